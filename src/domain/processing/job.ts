// Owns the processing job's lifecycle: QUEUED -> PROCESSING -> COMPLETED | FAILED, FAILED -> QUEUED on retry, then the dead letter.
/**
 * A decider over JobEvent values (schemas/io.gexstream.JobEvent.avsc). Event conventions:
 * - `retry_count` is the number of retries before the attempt the event belongs to: the first attempt is 0, and the
 *   QUEUED event of a retry carries the previous count + 1 (never more than MAX_RETRIES).
 * - A FAILED event with `next_attempt_at_ms` set is followed by a QUEUED event with the same `next_attempt_at_ms`:
 *   the job is taken again no earlier than that. A FAILED event without it is final: the job goes to the dead letter.
 * - `duration_ms` of FAILED is the time since the attempt started; COMPLETED carries what the processor measured.
 */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { jobEvent, type JobEvent, type JobIdentity, type JobStatus } from '../prioritized.js';
import type { Level } from '../priority/level.js';
import { defaultRetryConfig, nextAttempt, type RetryConfig } from './retry.js';

export interface Job extends JobIdentity {
  readonly queued_at_ms: number;
  /** Start of the current or last attempt. */
  readonly started_at_ms: number | null;
  /** End of the last attempt (COMPLETED or FAILED). */
  readonly finished_at_ms: number | null;
  readonly updated_at_ms: number;
  readonly next_attempt_at_ms: number | null;
  readonly records_processed: number | null;
  readonly data_size_bytes: number | null;
  readonly duration_ms: number | null;
  /** The last error, kept across retries. */
  readonly error_message: string | null;
  /** FAILED for good: no retry left or an error not worth one. */
  readonly dead_lettered: boolean;
}

/** No event yet. */
export interface NoJob {
  readonly status: 'NEW';
}

export type JobState = NoJob | Job;

export const initialJobState = (): JobState => ({ status: 'NEW' });

export interface QueueJob {
  readonly type: 'QueueJob';
  readonly requestId: string;
  readonly level: Level;
  readonly ticker: string;
  readonly source: string;
  readonly atMs: number;
}

export interface StartProcessing {
  readonly type: 'StartProcessing';
  readonly atMs: number;
}

export interface CompleteProcessing {
  readonly type: 'CompleteProcessing';
  readonly atMs: number;
  readonly records: number;
  readonly bytes: number;
  readonly durationMs: number;
}

export interface FailProcessing {
  readonly type: 'FailProcessing';
  readonly atMs: number;
  readonly error: string;
  /** From `isRetriable` at the edge. */
  readonly retriable: boolean;
  /** Uniform in [0, 1), from the caller's random source, for the backoff jitter. */
  readonly jitter01: number;
}

export type JobCommand = QueueJob | StartProcessing | CompleteProcessing | FailProcessing;

/** What the events mean for the edge: `dead_letter` means the job must go to the dlq topic. */
export type JobOutcome = 'queued' | 'processing' | 'completed' | 'retry_scheduled' | 'dead_letter';

export interface JobDecision {
  readonly events: JobEvent[];
  readonly outcome: JobOutcome;
}

const isCount = (x: number): boolean => Number.isInteger(x) && x >= 0;

const refuse = (verb: string, s: JobState, expected: JobStatus): Either<string, JobDecision> =>
  left(s.status === 'NEW' ? `cannot ${verb}: no such job (it was never queued)` : `cannot ${verb} job ${s.job_id}: it is ${s.status}${s.status === 'FAILED' && s.dead_lettered ? ' (dead-lettered)' : ''}, expected ${expected}`);

const eventOf = (j: Job, p: Omit<Parameters<typeof jobEvent>[0], 'requestId' | 'level' | 'ticker' | 'source'>): JobEvent =>
  jobEvent({ requestId: j.request_id, level: j.level, ticker: j.ticker, source: j.source, ...p });

/** The events a command produces, or why it does not apply. The retry policy is the spec's unless given. */
export const decideJob = (cmd: JobCommand, state: JobState, retry: RetryConfig = defaultRetryConfig): Either<string, JobDecision> => {
  switch (cmd.type) {
    case 'QueueJob': {
      if (state.status !== 'NEW') return left(`cannot queue job ${state.job_id}: it already exists (${state.status})`);
      const ev = jobEvent({ status: 'QUEUED', requestId: cmd.requestId, level: cmd.level, ticker: cmd.ticker, source: cmd.source, atMs: cmd.atMs });
      return right({ events: [ev], outcome: 'queued' });
    }
    case 'StartProcessing': {
      if (state.status !== 'QUEUED') return refuse('start', state, 'QUEUED');
      if (state.next_attempt_at_ms !== null && cmd.atMs < state.next_attempt_at_ms)
        return left(`cannot start job ${state.job_id}: retry ${state.retry_count} is not due before ${state.next_attempt_at_ms} (now ${cmd.atMs})`);
      return right({ events: [eventOf(state, { status: 'PROCESSING', atMs: cmd.atMs, retryCount: state.retry_count })], outcome: 'processing' });
    }
    case 'CompleteProcessing': {
      if (state.status !== 'PROCESSING') return refuse('complete', state, 'PROCESSING');
      if (!isCount(cmd.records)) return left(`cannot complete job ${state.job_id}: records must be a whole number >= 0, got ${cmd.records}`);
      if (!isCount(cmd.bytes)) return left(`cannot complete job ${state.job_id}: bytes must be a whole number >= 0, got ${cmd.bytes}`);
      if (!(Number.isFinite(cmd.durationMs) && cmd.durationMs >= 0)) return left(`cannot complete job ${state.job_id}: durationMs must be >= 0, got ${cmd.durationMs}`);
      const ev = eventOf(state, { status: 'COMPLETED', atMs: cmd.atMs, retryCount: state.retry_count, records: cmd.records, bytes: cmd.bytes, durationMs: Math.round(cmd.durationMs) });
      return right({ events: [ev], outcome: 'completed' });
    }
    case 'FailProcessing': {
      if (state.status !== 'PROCESSING') return refuse('fail', state, 'PROCESSING');
      const durationMs = state.started_at_ms === null ? null : Math.max(0, cmd.atMs - state.started_at_ms);
      const next = cmd.retriable ? nextAttempt(state.retry_count, cmd.jitter01, retry) : ({ retry: false } as const);
      if (!next.retry) {
        const ev = eventOf(state, { status: 'FAILED', atMs: cmd.atMs, retryCount: state.retry_count, durationMs, error: cmd.error });
        return right({ events: [ev], outcome: 'dead_letter' });
      }
      const nextAttemptAtMs = cmd.atMs + next.delayMs;
      return right({
        events: [
          eventOf(state, { status: 'FAILED', atMs: cmd.atMs, retryCount: state.retry_count, durationMs, error: cmd.error, nextAttemptAtMs }),
          eventOf(state, { status: 'QUEUED', atMs: cmd.atMs, retryCount: state.retry_count + 1, nextAttemptAtMs }),
        ],
        outcome: 'retry_scheduled',
      });
    }
    default: {
      const never: never = cmd;
      return left(`unknown command ${String((never as { type?: unknown }).type)}`);
    }
  }
};

const fromEvent = (e: JobEvent): Job => ({
  status: e.status,
  job_id: e.job_id,
  request_id: e.request_id,
  level: e.level,
  ticker: e.ticker,
  source: e.source,
  retry_count: e.retry_count,
  queued_at_ms: e.at_ms,
  started_at_ms: e.status === 'PROCESSING' ? e.at_ms : null,
  finished_at_ms: e.status === 'COMPLETED' || e.status === 'FAILED' ? e.at_ms : null,
  updated_at_ms: e.at_ms,
  next_attempt_at_ms: e.next_attempt_at_ms,
  records_processed: e.records_processed,
  data_size_bytes: e.data_size_bytes,
  duration_ms: e.duration_ms,
  error_message: e.error_message,
  dead_lettered: e.status === 'FAILED' && e.next_attempt_at_ms === null,
});

/** Applies an event as the fact it is; the decider is what keeps the transitions valid. */
export const evolveJob = (state: JobState, e: JobEvent): JobState => {
  // A stream read from the middle (retention) starts from whatever event comes first.
  if (state.status === 'NEW') return fromEvent(e);
  const base = { ...state, status: e.status, retry_count: e.retry_count, updated_at_ms: e.at_ms };
  switch (e.status) {
    case 'QUEUED':
      return { ...base, started_at_ms: null, finished_at_ms: null, next_attempt_at_ms: e.next_attempt_at_ms, dead_lettered: false };
    case 'PROCESSING':
      return { ...base, started_at_ms: e.at_ms, finished_at_ms: null, next_attempt_at_ms: null };
    case 'COMPLETED':
      return { ...base, finished_at_ms: e.at_ms, records_processed: e.records_processed, data_size_bytes: e.data_size_bytes, duration_ms: e.duration_ms, next_attempt_at_ms: null };
    case 'FAILED':
      return {
        ...base,
        finished_at_ms: e.at_ms,
        duration_ms: e.duration_ms,
        error_message: e.error_message,
        next_attempt_at_ms: e.next_attempt_at_ms,
        dead_lettered: e.next_attempt_at_ms === null,
      };
    default: {
      const never: never = e.status;
      throw new Error(`unknown job status ${String(never)}`);
    }
  }
};

export const foldJob = (events: readonly JobEvent[]): JobState => events.reduce(evolveJob, initialJobState());

export const jobDecider = { decide: decideJob, evolve: evolveJob, initialState: initialJobState } as const;
