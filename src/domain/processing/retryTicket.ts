// Owns how a scheduled retry travels with its message: the headers of a re-queued message and the job state they stand for.
/**
 * A failed attempt that deserves a retry does not wait inside its batch: the message goes back to the end of its level
 * topic, in the same transaction as its FAILED and QUEUED events and the consumed offset, carrying the retry's
 * count and due time in headers (exactly once: the retry exists if and only if the failure was committed). When the
 * processor reads it again it rebuilds the QUEUED job from these headers; before the due time it is re-queued again.
 */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import type { PathError } from '../errors.js';
import { jobEvent } from '../prioritized.js';
import type { Level } from '../priority/level.js';
import { evolveJob, initialJobState, type JobState } from './job.js';
import { MAX_RETRIES } from './retry.js';

export const RETRY_COUNT_HEADER = 'gex-retry-count';
export const RETRY_DUE_HEADER = 'gex-retry-due-at-ms';
export const RETRY_ERROR_HEADER = 'gex-retry-last-error';

export interface RetryTicket {
  /** Retries before the coming attempt: 1 for the first retry. */
  readonly retryCount: number;
  /** The attempt is not made before this time (epoch ms). */
  readonly dueAtMs: number;
  readonly lastError: string | null;
}

const MAX_ERROR_CHARS = 1_000; // a header, not a log: the full error is in the FAILED event

export const retryHeaders = (t: RetryTicket): Record<string, string> => ({
  [RETRY_COUNT_HEADER]: String(t.retryCount),
  [RETRY_DUE_HEADER]: String(t.dueAtMs),
  ...(t.lastError === null ? {} : { [RETRY_ERROR_HEADER]: t.lastError.slice(0, MAX_ERROR_CHARS) }),
});

const wholeNumber = (name: string, raw: string, max: number): Either<PathError, number> => {
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(n) && n <= max ? right(n) : left({ path: `headers.${name}`, message: `expected a whole number in 0..${max}, got ${JSON.stringify(raw.slice(0, 40))}` });
};

/** The ticket a message carries, null for a first attempt, or what is wrong with its headers. */
export const readRetryTicket = (headers: Readonly<Record<string, string>>): Either<PathError[], RetryTicket | null> => {
  const count = headers[RETRY_COUNT_HEADER];
  const due = headers[RETRY_DUE_HEADER];
  if (count === undefined && due === undefined) return right(null);
  const errors: PathError[] = [];
  if (count === undefined) errors.push({ path: `headers.${RETRY_COUNT_HEADER}`, message: `missing while ${RETRY_DUE_HEADER} is set` });
  if (due === undefined) errors.push({ path: `headers.${RETRY_DUE_HEADER}`, message: `missing while ${RETRY_COUNT_HEADER} is set` });
  const c = count === undefined ? undefined : wholeNumber(RETRY_COUNT_HEADER, count, MAX_RETRIES);
  const d = due === undefined ? undefined : wholeNumber(RETRY_DUE_HEADER, due, 8.64e15);
  if (c?._tag === 'Left') errors.push(c.left);
  if (d?._tag === 'Left') errors.push(d.left);
  if (errors.length > 0 || c?._tag !== 'Right' || d?._tag !== 'Right') return left(errors);
  if (c.right === 0) return left([{ path: `headers.${RETRY_COUNT_HEADER}`, message: 'a retry is at least the first (1), got 0' }]);
  return right({ retryCount: c.right, dueAtMs: d.right, lastError: headers[RETRY_ERROR_HEADER] ?? null });
};

/** The job a message stands for when it is read: freshly QUEUED by the prioritizer, or QUEUED again by its ticket. */
export const jobOnArrival = (p: { requestId: string; level: Level; ticker: string; source: string; queuedAtMs: number; ticket: RetryTicket | null }): JobState =>
  evolveJob(initialJobState(), jobEvent({
    status: 'QUEUED',
    requestId: p.requestId,
    level: p.level,
    ticker: p.ticker,
    source: p.source,
    atMs: p.queuedAtMs,
    retryCount: p.ticket?.retryCount ?? 0,
    nextAttemptAtMs: p.ticket?.dueAtMs ?? null,
    error: p.ticket?.lastError ?? null,
  }));
