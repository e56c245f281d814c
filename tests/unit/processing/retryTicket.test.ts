// The retry ticket: the headers a re-queued retry carries, read back into the QUEUED job they stand for.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decideJob, type Job } from '../../../src/domain/processing/job.js';
import { jobOnArrival, readRetryTicket, retryHeaders, RETRY_COUNT_HEADER, RETRY_DUE_HEADER } from '../../../src/domain/processing/retryTicket.js';

const T0 = 1_700_000_000_000;
const arrival = (ticket: Parameters<typeof jobOnArrival>[0]['ticket']) => jobOnArrival({ requestId: 'req-1', level: 'high', ticker: 'SPX', source: 'gexbot', queuedAtMs: T0, ticket });

const ticket = suite('retry ticket');

ticket('a first attempt carries no ticket', () => {
  assert.equal(readRetryTicket({ 'gex-source': 'x' }), { _tag: 'Right', right: null });
});

ticket('headers round-trip into the same ticket', () => {
  const t = { retryCount: 2, dueAtMs: T0 + 1_000, lastError: 'TimeoutError: vendor timeout' };
  assert.equal(readRetryTicket({ 'gex-source': 'x', ...retryHeaders(t) }), { _tag: 'Right', right: t });
});

ticket('bad headers are path-precise errors, never a guess', () => {
  const r = readRetryTicket({ [RETRY_COUNT_HEADER]: '1.5', [RETRY_DUE_HEADER]: '-3' });
  assert.is(r._tag, 'Left');
  if (r._tag === 'Left') assert.equal(r.left.map((e) => e.path), [`headers.${RETRY_COUNT_HEADER}`, `headers.${RETRY_DUE_HEADER}`]);
  const over = readRetryTicket({ [RETRY_COUNT_HEADER]: '4', [RETRY_DUE_HEADER]: String(T0) });
  assert.is(over._tag, 'Left', 'beyond the 3 retries');
  const half = readRetryTicket({ [RETRY_DUE_HEADER]: String(T0) });
  assert.is(half._tag, 'Left', 'a due time without a count');
  assert.is(readRetryTicket({ [RETRY_COUNT_HEADER]: '0', [RETRY_DUE_HEADER]: String(T0) })._tag, 'Left', 'retry 0 is not a retry');
});

ticket('a first attempt is QUEUED with retry 0 and starts at once', () => {
  const job = arrival(null) as Job;
  assert.is(job.status, 'QUEUED');
  assert.is(job.retry_count, 0);
  assert.is(decideJob({ type: 'StartProcessing', atMs: T0 }, job)._tag, 'Right');
});

ticket('a retry read a millisecond early is refused by the job, on time it starts with its count', () => {
  const job = arrival({ retryCount: 3, dueAtMs: T0 + 500, lastError: 'x' }) as Job;
  assert.is(job.retry_count, 3);
  assert.is(job.error_message, 'x');
  assert.is(decideJob({ type: 'StartProcessing', atMs: T0 + 499 }, job)._tag, 'Left');
  const r = decideJob({ type: 'StartProcessing', atMs: T0 + 500 }, job);
  assert.is(r._tag, 'Right');
  if (r._tag === 'Right') assert.is(r.right.events[0]?.retry_count, 3);
  // the last retry failing again is final: the dead letter, not a fourth retry
  const failed = decideJob({ type: 'FailProcessing', atMs: T0 + 600, error: 'e', retriable: true, jitter01: 0 }, { ...job, status: 'PROCESSING', next_attempt_at_ms: null });
  assert.is(failed._tag === 'Right' && failed.right.outcome, 'dead_letter');
});

ticket.run();
