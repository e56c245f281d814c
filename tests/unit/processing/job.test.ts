// The job decider: given events, when a command, then the events (or a refusal); retries up to 3, then the dead letter.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Either } from 'fp-ts/lib/Either.js';
import { jobEvent, jobIdOf, type JobEvent } from '../../../src/domain/prioritized.js';
import { decideJob, evolveJob, foldJob, initialJobState, jobDecider, type Job, type JobCommand, type JobDecision, type JobState } from '../../../src/domain/processing/job.js';

const REQ = 'req-0001-abcdef';
const T0 = 1_700_000_000_000;
const base = { requestId: REQ, level: 'critical' as const, ticker: 'SPX', source: 'gexbot' };
const ev = (p: Omit<Parameters<typeof jobEvent>[0], 'requestId' | 'level' | 'ticker' | 'source'>): JobEvent => jobEvent({ ...base, ...p });

const queued = ev({ status: 'QUEUED', atMs: T0 });
const processing = (atMs = T0 + 100, retryCount = 0) => ev({ status: 'PROCESSING', atMs, retryCount });

const given = (events: JobEvent[]) => ({
  when: (cmd: JobCommand) => {
    const state = foldJob(events);
    const result = decideJob(cmd, state);
    return {
      then: (expected: Either<string, JobDecision>) => assert.equal(result, expected),
      thenCheck: (check: (r: Either<string, JobDecision>, s: JobState) => void) => check(result, state),
    };
  },
});

const right = (events: JobEvent[], outcome: JobDecision['outcome']) => ({ _tag: 'Right' as const, right: { events, outcome } });
const left = (reason: string) => ({ _tag: 'Left' as const, left: reason });
const fail = (atMs: number, retriable = true, jitter01 = 0): JobCommand => ({ type: 'FailProcessing', atMs, error: 'registry unreachable', retriable, jitter01 });

const happy = suite('job: happy path');

happy('queue a new job: one QUEUED event, retry 0', () => {
  given([]).when({ type: 'QueueJob', ...base, atMs: T0 }).then(right([queued], 'queued'));
  assert.is(queued.job_id, jobIdOf(REQ));
});

happy('start a queued job: PROCESSING', () => {
  given([queued]).when({ type: 'StartProcessing', atMs: T0 + 100 }).then(right([processing()], 'processing'));
});

happy('complete a processing job: COMPLETED with records, bytes and duration', () => {
  given([queued, processing()])
    .when({ type: 'CompleteProcessing', atMs: T0 + 350, records: 420, bytes: 65_536, durationMs: 250 })
    .then(right([ev({ status: 'COMPLETED', atMs: T0 + 350, records: 420, bytes: 65_536, durationMs: 250 })], 'completed'));
});

happy('the fold follows the events', () => {
  const s = foldJob([queued, processing(), ev({ status: 'COMPLETED', atMs: T0 + 350, records: 420, bytes: 65_536, durationMs: 250 })]) as Job;
  assert.is(s.status, 'COMPLETED');
  assert.is(s.queued_at_ms, T0);
  assert.is(s.started_at_ms, T0 + 100);
  assert.is(s.finished_at_ms, T0 + 350);
  assert.equal([s.records_processed, s.data_size_bytes, s.duration_ms], [420, 65_536, 250]);
  assert.is(s.dead_lettered, false);
  assert.equal(jobDecider.initialState(), initialJobState());
  assert.is(jobDecider.evolve, evolveJob);
});

happy.run();

const retries = suite('job: failures and retries');

retries('a retriable failure: FAILED with the next attempt, then QUEUED with retry_count + 1', () => {
  const at = T0 + 400;
  given([queued, processing()])
    .when(fail(at))
    .then(
      right(
        [
          ev({ status: 'FAILED', atMs: at, retryCount: 0, durationMs: 300, error: 'registry unreachable', nextAttemptAtMs: at + 500 }),
          ev({ status: 'QUEUED', atMs: at, retryCount: 1, nextAttemptAtMs: at + 500 }),
        ],
        'retry_scheduled',
      ),
    );
});

retries('a retried job cannot start before its next attempt, and can at it', () => {
  const at = T0 + 400;
  const history = [queued, processing(), ...(decideJob(fail(at), foldJob([queued, processing()])) as { right: JobDecision }).right.events];
  given(history).when({ type: 'StartProcessing', atMs: at + 499 }).then(left(`cannot start job ${jobIdOf(REQ)}: retry 1 is not due before ${at + 500} (now ${at + 499})`));
  given(history).when({ type: 'StartProcessing', atMs: at + 500 }).then(right([processing(at + 500, 1)], 'processing'));
  const s = foldJob(history) as Job;
  assert.equal([s.status, s.retry_count, s.next_attempt_at_ms, s.error_message, s.dead_lettered], ['QUEUED', 1, at + 500, 'registry unreachable', false]);
});

retries('three retries with growing delays, then the fourth failure is dead-lettered', () => {
  let events: JobEvent[] = [queued];
  let now = T0;
  const delays: number[] = [];
  const outcomes: string[] = [];
  for (let attempt = 0; attempt < 4; attempt++) {
    const start = decideJob({ type: 'StartProcessing', atMs: now }, foldJob(events));
    assert.is(start._tag, 'Right', `attempt ${attempt} starts`);
    if (start._tag === 'Left') return;
    events = [...events, ...start.right.events];
    now += 100;
    const failed = decideJob(fail(now, true, 0.5), foldJob(events));
    if (failed._tag === 'Left') return assert.unreachable(failed.left);
    outcomes.push(failed.right.outcome);
    events = [...events, ...failed.right.events];
    const next = failed.right.events[0]?.next_attempt_at_ms;
    if (next !== null && next !== undefined) {
      delays.push(next - now);
      now = next;
    }
  }
  assert.equal(outcomes, ['retry_scheduled', 'retry_scheduled', 'retry_scheduled', 'dead_letter']);
  assert.equal(delays, [450, 900, 1800]);
  const last = events[events.length - 1] as JobEvent;
  assert.equal([last.status, last.retry_count, last.next_attempt_at_ms], ['FAILED', 3, null]);
  assert.ok(events.every((e) => e.retry_count <= 3), 'retry_count never exceeds 3');
  const s = foldJob(events) as Job;
  assert.equal([s.status, s.dead_lettered], ['FAILED', true]);
  // Dead-lettered: nothing more may happen to it.
  given(events).when({ type: 'StartProcessing', atMs: now + 10_000 }).then(left(`cannot start job ${jobIdOf(REQ)}: it is FAILED (dead-lettered), expected QUEUED`));
});

retries('a non-retriable failure goes straight to the dead letter', () => {
  given([queued, processing()])
    .when(fail(T0 + 150, false))
    .then(right([ev({ status: 'FAILED', atMs: T0 + 150, retryCount: 0, durationMs: 50, error: 'registry unreachable' })], 'dead_letter'));
});

retries.run();

const invalid = suite('job: invalid transitions are refused');
const id = jobIdOf(REQ);
const completed = ev({ status: 'COMPLETED', atMs: T0 + 300, records: 1, bytes: 1, durationMs: 1 });

invalid('commands on a job that was never queued', () => {
  given([]).when({ type: 'StartProcessing', atMs: T0 }).then(left('cannot start: no such job (it was never queued)'));
  given([]).when({ type: 'CompleteProcessing', atMs: T0, records: 1, bytes: 1, durationMs: 1 }).then(left('cannot complete: no such job (it was never queued)'));
  given([]).when(fail(T0)).then(left('cannot fail: no such job (it was never queued)'));
});

invalid('queueing twice', () => {
  given([queued]).when({ type: 'QueueJob', ...base, atMs: T0 + 1 }).then(left(`cannot queue job ${id}: it already exists (QUEUED)`));
});

invalid('completing or failing a job that has not started', () => {
  given([queued]).when({ type: 'CompleteProcessing', atMs: T0 + 1, records: 1, bytes: 1, durationMs: 1 }).then(left(`cannot complete job ${id}: it is QUEUED, expected PROCESSING`));
  given([queued]).when(fail(T0 + 1)).then(left(`cannot fail job ${id}: it is QUEUED, expected PROCESSING`));
});

invalid('starting twice', () => {
  given([queued, processing()]).when({ type: 'StartProcessing', atMs: T0 + 200 }).then(left(`cannot start job ${id}: it is PROCESSING, expected QUEUED`));
});

invalid('anything after COMPLETED', () => {
  given([queued, processing(), completed]).when({ type: 'StartProcessing', atMs: T0 + 400 }).then(left(`cannot start job ${id}: it is COMPLETED, expected QUEUED`));
  given([queued, processing(), completed]).when(fail(T0 + 400)).then(left(`cannot fail job ${id}: it is COMPLETED, expected PROCESSING`));
  given([queued, processing(), completed])
    .when({ type: 'CompleteProcessing', atMs: T0 + 400, records: 1, bytes: 1, durationMs: 1 })
    .then(left(`cannot complete job ${id}: it is COMPLETED, expected PROCESSING`));
});

invalid('nonsense figures on completion', () => {
  const h = [queued, processing()];
  given(h).when({ type: 'CompleteProcessing', atMs: T0 + 1, records: -1, bytes: 1, durationMs: 1 }).then(left(`cannot complete job ${id}: records must be a whole number >= 0, got -1`));
  given(h).when({ type: 'CompleteProcessing', atMs: T0 + 1, records: 1, bytes: 1.5, durationMs: 1 }).then(left(`cannot complete job ${id}: bytes must be a whole number >= 0, got 1.5`));
  given(h).when({ type: 'CompleteProcessing', atMs: T0 + 1, records: 1, bytes: 1, durationMs: Number.NaN }).then(left(`cannot complete job ${id}: durationMs must be >= 0, got NaN`));
});

invalid.run();
