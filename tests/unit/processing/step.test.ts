// The processor's pure step: admit (wait, dead letter or start) and settle (processed record, scheduled retry or dead
// letter), on a real prioritized envelope (the prioritizer's step on the GEXBot fixture), the default breaker and retry
// configurations, and times that come only through the context.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { H } from '../../../src/domain/headers.js';
import type { PrioritizedEnvelope } from '../../../src/domain/prioritized.js';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { foldRuleEvents } from '../../../src/domain/priority/ruleSet.js';
import { initialPrioritizerState, prioritizeStep } from '../../../src/domain/priority/step.js';
import { defaultBreakerConfig, defaultRetryConfig, MAX_RETRIES, RETRY_COUNT_HEADER, RETRY_DUE_HEADER, type BreakerState } from '../../../src/domain/processing/index.js';
import {
  admit,
  HELD_HEADER,
  initialProcessorState,
  settle,
  type Attempt,
  type EnvelopeRead,
  type LevelMessage,
  type ProcessContext,
  type ProcessOutput,
  type ProcessorState,
} from '../../../src/domain/processing/step.js';
import { loadDefaultGuidelines } from '../../../src/pipelines/prioritize.js';
import { loadCalendar } from '../../../src/resources.js';
import { repoFile } from '../priority/helpers.js';

const test = suite('processor step');

const fixtureText = readFileSync(repoFile('fixtures/gexbot-classic-spx.json'), 'utf8');
const SNAPSHOT_MS = (JSON.parse(fixtureText) as { timestamp: number }).timestamp * 1000;

/** The envelope the prioritizer really makes of the fixture (its level record's value). */
const prioritized = (() => {
  const r = prioritizeStep(
    initialPrioritizerState(),
    {
      value: Buffer.from(fixtureText),
      key: Buffer.from('SPX'),
      headers: { [H.source]: 'gexbot', [H.requestId]: 'req-0123456789abcdef', [H.kind]: 'gexbot_classic', [H.category]: 'zero' },
      timestamp: SNAPSHOT_MS + 500,
      origin: { topic: 'gex.raw.v1', partition: 0, offset: 7 },
    },
    {
      ruleSet: foldRuleEvents(loadDefaultGuidelines(1_700_000_000_000)),
      priority: defaultPriorityConfig,
      calendar: loadCalendar(),
      sourceStats: () => null,
      defaultDataType: 'real_time',
      maxSkewMs: 5_000,
      maxBytes: 1024 * 1024,
      receivedAtMs: SNAPSHOT_MS + 1_000,
      nowMs: SNAPSHOT_MS + 1_003,
    },
  );
  const level = r.outputs.find((o) => o.kind.startsWith('level.'));
  if (!level || !('snapshot' in level)) throw new Error('the fixture was not prioritized');
  return { envelope: level.value as PrioritizedEnvelope, ticker: level.snapshot.ticker };
})();
const envelope = prioritized.envelope;
const LEVEL = envelope.level;
const LEVEL_KIND = `level.${LEVEL}`;
const T0 = envelope.prioritized_at_ms + 40;

const ctxAt = (nowMs: number): ProcessContext => ({ level: LEVEL, nowMs, breaker: defaultBreakerConfig, retry: defaultRetryConfig });
const message = (headers: Record<string, string> = {}, value: Buffer | null = Buffer.from('level record bytes')): LevelMessage => ({
  topic: `gex.priority.${LEVEL}.v2`,
  partition: 1,
  offset: 99,
  key: Buffer.from('SPX'),
  value,
  headers: { [H.source]: 'gexbot', ...headers },
});
const readable: EnvelopeRead = { ok: true, envelope, ticker: prioritized.ticker };
const kinds = (outputs: readonly ProcessOutput<string>[]): string[] => outputs.map((o) => o.kind);
const of = <K extends string>(outputs: readonly ProcessOutput<string>[], kind: K) => outputs.filter((o) => o.kind === kind);

/** Admits a readable message that starts, and returns its attempt. */
const started = (state: ProcessorState = initialProcessorState(), headers: Record<string, string> = {}, at = T0): { state: ProcessorState; attempt: Attempt } => {
  const a = admit<string>(state, message(headers), readable, ctxAt(at));
  if (a.attempt === null) throw new Error(`not started: ${kinds(a.outputs).join(', ')}`);
  return { state: a.state, attempt: a.attempt };
};

test('a readable message starts (PROCESSING keyed by ticker) and settles into its processed record, COMPLETED, source stats and SLA', () => {
  const s0 = initialProcessorState();
  const a = admit<string>(s0, message(), readable, ctxAt(T0));
  assert.is(a.waits, false);
  assert.ok(a.attempt);
  assert.equal(kinds(a.outputs), ['jobs']);
  const processing = a.outputs[0] as ProcessOutput<string> & { kind: 'jobs' };
  assert.is(processing.key, prioritized.ticker);
  assert.is(processing.value.status, 'PROCESSING');
  assert.is(processing.value.request_id, envelope.request_id);
  assert.is(processing.value.at_ms, T0);
  assert.is(a.attempt.startedAtMs, T0);
  assert.is(a.attempt.attempts, 1);

  const done = settle<string>(a.state, a.attempt, { ok: true, key: 'SPX', value: 'processed bytes', records: 100 }, ctxAt(T0 + 7));
  assert.equal(kinds(done.outputs), ['jobs', 'processed', 'sources']);
  const completed = done.outputs[0] as ProcessOutput<string> & { kind: 'jobs' };
  assert.is(completed.value.status, 'COMPLETED');
  assert.is(completed.value.records_processed, 100);
  assert.is(completed.value.data_size_bytes, message().value?.length);
  assert.is(completed.value.duration_ms, 7);
  assert.equal(done.outputs[1], { kind: 'processed', key: 'SPX', value: 'processed bytes' });
  const stats = done.outputs[2] as ProcessOutput<string> & { kind: 'sources' };
  assert.is(stats.key, 'gexbot');
  assert.is(stats.value.total_requests, 1);
  assert.is(stats.value.successful_requests, 1);
  assert.is(done.state.sources.get('gexbot'), stats.value);
  assert.is(done.state.counts.processed[LEVEL], 1);
  assert.is(done.state.sla[LEVEL].processed, 1);
  assert.is(done.notes.latencyMs, T0 + 7 - envelope.published_at_ms);
  // the states before are untouched
  assert.is(s0.sources.size, 0);
  assert.is(a.state.sources.size, 0);
  assert.is(s0.counts.processed[LEVEL], 0);
});

test('an unreadable message is one dead letter at stage process, with its reason and origin, and nothing else', () => {
  const m = message({}, Buffer.from([0, 1, 2]));
  const r = admit<string>(initialProcessorState(), m, { ok: false, errors: [{ path: '$.snapshot', message: 'undecodable prioritized snapshot: short' }] }, ctxAt(T0));
  assert.equal(kinds(r.outputs), ['dlq']);
  assert.is(r.attempt, null);
  assert.is(r.waits, false);
  const d = (r.outputs[0] as ProcessOutput<string> & { kind: 'dlq' }).value;
  assert.is(d.stage, 'process');
  assert.match(d.reason, '$.snapshot: undecodable prioritized snapshot: short');
  assert.equal([d.original_topic, d.original_partition, d.original_offset], [m.topic, 1, 99]);
  assert.is(d.failed_at_ms, T0);
  assert.is(r.state.counts.deadLetters, 1);
});

test('a retry ticket that does not decode is a dead letter naming the header', () => {
  const r = admit<string>(initialProcessorState(), message({ [RETRY_COUNT_HEADER]: 'two', [RETRY_DUE_HEADER]: String(T0) }), readable, ctxAt(T0));
  assert.equal(kinds(r.outputs), ['dlq']);
  const d = (r.outputs[0] as ProcessOutput<string> & { kind: 'dlq' }).value;
  assert.match(d.reason, RETRY_COUNT_HEADER);
  assert.is(d.request_id, envelope.request_id);
});

test('a retry read before it is due goes back to its level topic as it came, with how long it waits', () => {
  const m = message({ [RETRY_COUNT_HEADER]: '1', [RETRY_DUE_HEADER]: String(T0 + 1_200) });
  const r = admit<string>(initialProcessorState(), m, readable, ctxAt(T0));
  assert.is(r.waits, true);
  assert.is(r.attempt, null);
  assert.equal(r.outputs, [{ kind: LEVEL_KIND, key: m.key, value: m.value, headers: m.headers, waitMs: 1_200 }]);
  assert.is(r.state.counts.waiting, 1);
  // once due it starts, as retry 1 (attempt 2)
  const due = admit<string>(initialProcessorState(), m, readable, ctxAt(T0 + 1_200));
  assert.is(due.attempt?.attempts, 2);
});

test('a message of a source whose breaker is open is held: back to its level with the held header, for the cooldown', () => {
  const open: BreakerState = { source: 'gexbot', status: 'open', consecutiveFailures: 5, recent: [], openedAtMs: T0 - 1_000, probesInFlight: 0, lastProbeAtMs: null };
  const state = { ...initialProcessorState(), breakers: new Map([['gexbot', open]]) };
  const r = admit<string>(state, message(), readable, ctxAt(T0));
  assert.is(r.waits, true);
  assert.equal(kinds(r.outputs), [LEVEL_KIND]);
  const back = r.outputs[0] as ProcessOutput<string> & { kind: 'level.critical' };
  assert.is(back.headers[HELD_HEADER], 'gexbot');
  assert.is(back.waitMs, defaultBreakerConfig.cooldownMs);
  assert.is(r.state.counts.held, 1);
  // after the cooldown one probe goes through
  const probe = admit<string>(state, message(), readable, ctxAt(T0 - 1_000 + defaultBreakerConfig.cooldownMs));
  assert.ok(probe.attempt);
  assert.is(probe.state.breakers.get('gexbot')?.probesInFlight, 1);
});

test('a retriable failure schedules the retry: FAILED and QUEUED, the message back on its level with its ticket, in the same step', () => {
  const { state, attempt } = started();
  const r = settle<string>(state, attempt, { ok: false, name: 'TimeoutError', message: 'upstream slow', retriable: true, jitter01: 0.5 }, ctxAt(T0 + 30));
  assert.equal(kinds(r.outputs), ['sources', 'jobs', 'jobs', LEVEL_KIND]);
  const [failed, queued] = of(r.outputs, 'jobs') as Array<ProcessOutput<string> & { kind: 'jobs' }>;
  assert.is(failed?.value.status, 'FAILED');
  assert.is(failed?.value.error_message, 'TimeoutError: upstream slow');
  assert.is(queued?.value.status, 'QUEUED');
  assert.is(queued?.value.retry_count, 1);
  const back = r.outputs[3] as ProcessOutput<string> & { kind: 'level.critical' };
  assert.is(back.headers[RETRY_COUNT_HEADER], '1');
  assert.is(Number(back.headers[RETRY_DUE_HEADER]), queued?.value.next_attempt_at_ms);
  assert.ok(Number(back.headers[RETRY_DUE_HEADER]) > T0 + 30);
  assert.is(back.waitMs, null);
  assert.is(r.state.counts.retried, 1);
  assert.equal([r.state.sources.get('gexbot')?.total_requests, r.state.sources.get('gexbot')?.successful_requests], [1, 0]);
});

test('an error not worth a retry is dead-lettered with the attempt count and the error, after FAILED', () => {
  const { state, attempt } = started();
  const r = settle<string>(state, attempt, { ok: false, name: 'TypeError', message: 'bad strike', retriable: false, jitter01: 0.5 }, ctxAt(T0 + 3));
  assert.equal(kinds(r.outputs), ['sources', 'jobs', 'dlq']);
  const d = (r.outputs[2] as ProcessOutput<string> & { kind: 'dlq' }).value;
  assert.match(d.reason, 'processing failed after 1 attempt(s): bad strike');
  assert.is(d.attempts, 1);
  assert.is(r.state.counts.deadLetters, 1);
  assert.is(r.state.counts.retried, 0);
});

test(`the last retry (${MAX_RETRIES}) failing is dead-lettered as attempt ${MAX_RETRIES + 1}`, () => {
  const { state, attempt } = started(initialProcessorState(), { [RETRY_COUNT_HEADER]: String(MAX_RETRIES), [RETRY_DUE_HEADER]: String(T0) });
  assert.is(attempt.attempts, MAX_RETRIES + 1);
  const r = settle<string>(state, attempt, { ok: false, name: 'TimeoutError', message: 'still slow', retriable: true, jitter01: 0 }, ctxAt(T0 + 1));
  assert.equal(kinds(r.outputs), ['sources', 'jobs', 'dlq']);
  assert.match((r.outputs[2] as ProcessOutput<string> & { kind: 'dlq' }).value.reason, `after ${MAX_RETRIES + 1} attempt(s)`);
});

test('five failures in a row open the breaker (a noted change, kept in the source stats); the next message is held', () => {
  let state = initialProcessorState();
  let change;
  for (let i = 0; i < defaultBreakerConfig.failureThreshold; i++) {
    const s = started(state, {}, T0 + i);
    const r = settle<string>(s.state, s.attempt, { ok: false, name: 'Error', message: 'down', retriable: false, jitter01: 0 }, ctxAt(T0 + i));
    state = r.state;
    change = r.notes.breakerChange ?? change;
  }
  assert.is(change?.to, 'open');
  assert.is(state.breakers.get('gexbot')?.status, 'open');
  assert.is(state.sources.get('gexbot')?.breaker, 'open');
  assert.is(admit<string>(state, message(), readable, ctxAt(T0 + 10)).waits, true);
});

test('a clock that steps back between the phases gives a zero duration, never a negative one', () => {
  const { state, attempt } = started();
  const r = settle<string>(state, attempt, { ok: true, key: 'SPX', value: 'v', records: 1 }, ctxAt(T0 - 5_000));
  const completed = of(r.outputs, 'jobs')[0] as ProcessOutput<string> & { kind: 'jobs' };
  assert.is(completed.value.duration_ms, 0);
  assert.is(completed.value.at_ms, T0);
});

test('a job that refuses to complete is dead-lettered with the refusal (a negative record count is a bug at the edge)', () => {
  const { state, attempt } = started();
  const r = settle<string>(state, attempt, { ok: true, key: 'SPX', value: 'v', records: -1 }, ctxAt(T0 + 1));
  assert.equal(kinds(r.outputs), ['dlq']);
  assert.match(r.notes.refused ?? '', 'records must be a whole number');
  assert.is(r.state.counts.processed[LEVEL], 0);
});

test.run();
