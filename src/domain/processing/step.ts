// Owns the processor's per-message step (pure), in two phases around the work only the edge can do (the user's
// processing step and the encode): `admit` decides whether a level message waits, is dead-lettered or starts, and
// `settle` turns the attempt's outcome into the processed record, a scheduled retry or a dead letter, with the job
// events, source stats, breakers and SLA tally that follow. Neither reads a clock: the times come in through the context.
import { isLeft } from 'fp-ts/lib/Either.js';
import { deadLetter, type DeadLetter, type Lineage } from '../deadLetter.js';
import type { PathError } from '../errors.js';
import type { RawHeaders } from '../headers.js';
import type { JobEvent, PrioritizedEnvelope } from '../prioritized.js';
import type { Level } from '../priority/level.js';
import { levelKind, type LevelKind } from '../topicKind.js';
import { decideSourceAdmission, evolveBreakers, type BreakerChanged, type BreakerConfig, type Breakers } from './breaker.js';
import { decideJob, evolveJob, type JobCommand, type JobState } from './job.js';
import type { RetryConfig } from './retry.js';
import { jobOnArrival, readRetryTicket, retryHeaders } from './retryTicket.js';
import { evolveSlaTally, initialSlaTally, type SlaTally } from './sla.js';
import { applyBreakerChange, evolveSourceStats, initialSourceStats, type SourceStats } from './sourceStats.js';

/** The header a message held by its source's open breaker carries when it goes back to the end of its level topic. */
export const HELD_HEADER = 'gex-held-by-breaker';

/** One message of a level topic as consumed. */
export interface LevelMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  /** Null for a tombstone. */
  readonly value: Buffer | null;
  readonly headers: RawHeaders;
}

/** What the edge read of a level message: its envelope and the snapshot's ticker, or why it could not. */
export type EnvelopeRead =
  | { readonly ok: true; readonly envelope: PrioritizedEnvelope; readonly ticker: string }
  | { readonly ok: false; readonly errors: PathError[] };

export interface ProcessCounts {
  readonly processed: Readonly<Record<Level, number>>;
  readonly deadLetters: number;
  /** Messages put back because their source's breaker is open. */
  readonly held: number;
  /** Retries scheduled (the message re-queued with a retry ticket). */
  readonly retried: number;
  /** Retries read before they were due, put back to wait. */
  readonly waiting: number;
}

/** What the processor folds from its own decisions (and, for sources and breakers, from the sources topic). */
export interface ProcessorState {
  readonly breakers: Breakers;
  readonly sources: ReadonlyMap<string, SourceStats>;
  readonly sla: SlaTally;
  readonly counts: ProcessCounts;
}

export const initialProcessorState = (): ProcessorState => ({
  breakers: new Map(),
  sources: new Map(),
  sla: initialSlaTally(),
  counts: { processed: { critical: 0, high: 0, medium: 0, low: 0 }, deadLetters: 0, held: 0, retried: 0, waiting: 0 },
});

/**
 * An output of the step, addressed by the kind of topic it goes to and not yet encoded, except for what the edge made
 * (the processed value, P) and what goes back as it came (a re-queued message keeps its bytes and key).
 */
export type ProcessOutput<P> =
  | { readonly kind: 'processed'; readonly key: string; readonly value: P }
  | { readonly kind: 'jobs'; readonly key: string; readonly value: JobEvent }
  | { readonly kind: 'dlq'; readonly key: string; readonly value: DeadLetter }
  | { readonly kind: 'sources'; readonly key: string; readonly value: SourceStats }
  | {
      readonly kind: LevelKind;
      readonly key: Buffer | null;
      readonly value: Buffer;
      readonly headers: RawHeaders;
      /** A message that only waits (held, or a retry not due): how long, so that the edge can rest instead of spinning. */
      readonly waitMs: number | null;
    };

/** What happened, for the edge's logs and metrics. */
export interface ProcessNotes {
  /** The job refused a command: this processor and the job's events disagree (the message is dead-lettered). */
  readonly refused?: string;
  readonly breakerChange?: BreakerChanged;
  /** Published -> processed, for a completed snapshot. */
  readonly latencyMs?: number;
}

export interface ProcessContext {
  readonly level: Level;
  readonly nowMs: number;
  readonly breaker: BreakerConfig;
  readonly retry: RetryConfig;
}

/** A message admitted to an attempt: what `settle` needs once the edge has run the processing step. */
export interface Attempt {
  readonly message: LevelMessage;
  readonly envelope: PrioritizedEnvelope;
  readonly ticker: string;
  readonly job: JobState;
  readonly startedAtMs: number;
  /** This attempt's number, 1 for the first. */
  readonly attempts: number;
}

export interface Admitted<P> {
  readonly state: ProcessorState;
  readonly outputs: readonly ProcessOutput<P>[];
  /** Set when the message is to be processed now. */
  readonly attempt: Attempt | null;
  /** The message only waits (held or not due): nothing else came of it. */
  readonly waits: boolean;
  readonly notes: ProcessNotes;
}

export interface Settled<P> {
  readonly state: ProcessorState;
  readonly outputs: readonly ProcessOutput<P>[];
  readonly notes: ProcessNotes;
}

/** The attempt's outcome at the edge: the processed value made, or the error thrown (classified by `isRetriable`). */
export type AttemptOutcome<P> =
  | { readonly ok: true; readonly key: string; readonly value: P; readonly records: number }
  | { readonly ok: false; readonly name: string; readonly message: string; readonly retriable: boolean; readonly jitter01: number };

const withCounts = (s: ProcessorState, f: (c: ProcessCounts) => Partial<ProcessCounts>): ProcessorState => ({ ...s, counts: { ...s.counts, ...f(s.counts) } });

const toDeadLetter = <P>(
  state: ProcessorState,
  m: LevelMessage,
  errors: PathError[],
  extra: { source?: string; ticker?: string; requestId?: string; attempts?: number; lineage?: Lineage | null },
  nowMs: number,
): { state: ProcessorState; output: ProcessOutput<P> } => {
  const d = deadLetter(
    {
      stage: 'process',
      errors,
      value: m.value ?? Buffer.alloc(0),
      key: m.key,
      headers: m.headers,
      origin: { topic: m.topic, partition: m.partition, offset: m.offset },
      source: extra.source ?? null,
      ticker: extra.ticker ?? null,
      requestId: extra.requestId ?? null,
      lineage: extra.lineage ?? null,
      attempts: extra.attempts ?? 1,
    },
    nowMs,
  );
  return { state: withCounts(state, (c) => ({ deadLetters: c.deadLetters + 1 })), output: { kind: 'dlq', key: d.dead_letter_id, value: d } };
};

/** Applies a job command: its events (keyed by ticker, as the input, so a transaction touches few jobs partitions), or the refusal. */
const runJob = (job: JobState, cmd: JobCommand, retry: RetryConfig): { job: JobState; events: JobEvent[]; outcome: string } | { refused: string } => {
  const r = decideJob(cmd, job, retry);
  if (isLeft(r)) return { refused: r.left };
  let j = job;
  for (const e of r.right.events) j = evolveJob(j, e);
  return { job: j, events: r.right.events, outcome: r.right.outcome };
};

/**
 * Phase one: a level message whose envelope the edge read (or could not). It is dead-lettered (unreadable, a bad
 * retry ticket, a job that refuses to start), waits at the end of its level topic (a retry read before it is due, or
 * its source's breaker is open), or starts: then the attempt is returned with the PROCESSING event.
 */
export const admit = <P>(state: ProcessorState, m: LevelMessage, read: EnvelopeRead, ctx: ProcessContext): Admitted<P> => {
  const { level, nowMs } = ctx;
  if (!read.ok) {
    const d = toDeadLetter<P>(state, m, read.errors, {}, nowMs);
    return { state: d.state, outputs: [d.output], attempt: null, waits: false, notes: {} };
  }
  const p = read.envelope;
  const { ticker } = read;
  const source = p.source;
  const ticket = readRetryTicket(m.headers);
  if (isLeft(ticket)) {
    const d = toDeadLetter<P>(state, m, ticket.left, { source, ticker, requestId: p.request_id, lineage: p.lineage }, nowMs);
    return { state: d.state, outputs: [d.output], attempt: null, waits: false, notes: {} };
  }
  const back = (headers: RawHeaders, waitMs: number): ProcessOutput<P> => ({ kind: levelKind(level), key: m.key, value: m.value ?? Buffer.alloc(0), headers, waitMs: Math.max(0, waitMs) });
  if (ticket.right && nowMs < ticket.right.dueAtMs) {
    // a scheduled retry read before its time (timers and fetches wake early): it waits at the end of the topic
    return { state: withCounts(state, (c) => ({ waiting: c.waiting + 1 })), outputs: [back(m.headers, ticket.right.dueAtMs - nowMs)], attempt: null, waits: true, notes: {} };
  }
  const admission = decideSourceAdmission(state.breakers, source, nowMs, ctx.breaker);
  if (admission === 'hold') {
    // its messages wait (back at the end of the level topic), the others flow
    return { state: withCounts(state, (c) => ({ held: c.held + 1 })), outputs: [back({ ...m.headers, [HELD_HEADER]: source }, ctx.breaker.cooldownMs)], attempt: null, waits: true, notes: {} };
  }
  let next = state;
  if (admission === 'probe') next = { ...next, breakers: evolveBreakers(next.breakers, source, { type: 'probe_started', atMs: nowMs }, ctx.breaker).breakers };
  const attempts = (ticket.right?.retryCount ?? 0) + 1;
  const arrived = jobOnArrival({ requestId: p.request_id, level, ticker, source, queuedAtMs: p.prioritized_at_ms, ticket: ticket.right });
  // one reading of the clock decides: the one that found the retry due
  const begun = runJob(arrived, { type: 'StartProcessing', atMs: nowMs }, ctx.retry);
  if ('refused' in begun) {
    // The job refusing a command means this processor and the job's events disagree: the message goes to the DLQ with
    // the refusal rather than being processed against a lifecycle nobody could read back.
    const d = toDeadLetter<P>(next, m, [{ path: '$', message: `job refused: ${begun.refused}` }], { source, ticker, requestId: p.request_id, attempts, lineage: p.lineage }, nowMs);
    return { state: d.state, outputs: [d.output], attempt: null, waits: false, notes: { refused: begun.refused } };
  }
  return {
    state: next,
    outputs: begun.events.map((e) => ({ kind: 'jobs', key: e.ticker, value: e })),
    attempt: { message: m, envelope: p, ticker, job: begun.job, startedAtMs: nowMs, attempts },
    waits: false,
    notes: {},
  };
};

/**
 * Phase two: the attempt's outcome. Success gives the processed record and the COMPLETED event; a failure gives a
 * retry (the message itself, back at the end of its level topic with its ticket) or, with no retry left or an error not
 * worth one, the dead letter. Either way the source's stats and breaker take the outcome.
 */
export const settle = <P>(state: ProcessorState, a: Attempt, outcome: AttemptOutcome<P>, ctx: ProcessContext): Settled<P> => {
  const { level } = ctx;
  const p = a.envelope;
  const source = p.source;
  // a wall clock may step back (NTP): a duration is never negative, and a step back is not the snapshot's fault
  const now = Math.max(ctx.nowMs, a.startedAtMs);
  const outputs: ProcessOutput<P>[] = [];
  let next = state;
  const observe = (success: boolean): BreakerChanged | undefined => {
    const { breakers, change } = evolveBreakers(next.breakers, source, { type: success ? 'success' : 'failure', atMs: now }, ctx.breaker);
    let s = evolveSourceStats(next.sources.get(source) ?? initialSourceStats(source, now), { success, latencyMs: now - a.startedAtMs, atMs: now });
    if (change) s = applyBreakerChange(s, change);
    const sources = new Map(next.sources);
    sources.set(source, s);
    next = { ...next, breakers, sources };
    outputs.push({ kind: 'sources', key: source, value: s });
    return change ?? undefined;
  };
  const deadLettered = (errors: PathError[]): void => {
    const d = toDeadLetter<P>(next, a.message, errors, { source, ticker: a.ticker, requestId: p.request_id, attempts: a.attempts, lineage: p.lineage }, now);
    next = d.state;
    outputs.push(d.output);
  };
  const refusal = (reason: string): void => deadLettered([{ path: '$', message: `job refused: ${reason}` }]);
  if (!outcome.ok) {
    const breakerChange = observe(false);
    const r = runJob(a.job, { type: 'FailProcessing', atMs: now, error: `${outcome.name}: ${outcome.message}`, retriable: outcome.retriable, jitter01: outcome.jitter01 }, ctx.retry);
    if ('refused' in r) {
      refusal(r.refused);
      return { state: next, outputs, notes: { refused: r.refused, ...(breakerChange ? { breakerChange } : {}) } };
    }
    for (const e of r.events) outputs.push({ kind: 'jobs', key: e.ticker, value: e });
    const job = r.job;
    if (r.outcome === 'dead_letter') deadLettered([{ path: '$', message: `processing failed after ${a.attempts} attempt(s): ${outcome.message}` }]);
    else if (job.status === 'QUEUED' && job.next_attempt_at_ms !== null) {
      // the retry is the message itself, back at the end of its level topic in this very transaction
      const m = a.message;
      outputs.push({ kind: levelKind(level), key: m.key, value: m.value ?? Buffer.alloc(0), headers: { ...m.headers, ...retryHeaders({ retryCount: job.retry_count, dueAtMs: job.next_attempt_at_ms, lastError: job.error_message }) }, waitMs: null });
      next = withCounts(next, (c) => ({ retried: c.retried + 1 }));
    } else {
      const reason = `a ${r.outcome} outcome left the job ${job.status}`;
      refusal(reason);
      return { state: next, outputs, notes: { refused: reason, ...(breakerChange ? { breakerChange } : {}) } };
    }
    return { state: next, outputs, notes: breakerChange ? { breakerChange } : {} };
  }
  const done = runJob(a.job, { type: 'CompleteProcessing', atMs: now, records: outcome.records, bytes: a.message.value?.length ?? 0, durationMs: now - a.startedAtMs }, ctx.retry);
  if ('refused' in done) {
    refusal(done.refused);
    return { state: next, outputs, notes: { refused: done.refused } };
  }
  for (const e of done.events) outputs.push({ kind: 'jobs', key: e.ticker, value: e });
  outputs.push({ kind: 'processed', key: outcome.key, value: outcome.value });
  const breakerChange = observe(true);
  const latencyMs = now - p.published_at_ms;
  next = withCounts({ ...next, sla: evolveSlaTally(next.sla, { level, publishToProcessedMs: latencyMs }) }, (c) => ({ processed: { ...c.processed, [level]: c.processed[level] + 1 } }));
  return { state: next, outputs, notes: { latencyMs, ...(breakerChange ? { breakerChange } : {}) } };
};
