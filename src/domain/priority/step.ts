// Owns the prioritizer's per-message step (pure): one raw message to its level record and QUEUED job event, or to its dead letter.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { ExchangeCalendar } from '../calendar.js';
import { deadLetter, type DeadLetter } from '../deadLetter.js';
import { decodeRaw } from '../decode.js';
import type { PathError } from '../errors.js';
import { decodeHeaders, H, locateInHeaders, type RawHeaders } from '../headers.js';
import { jobEvent, lineageOf, prioritizedSnapshot, requestIdOf, type JobEvent, type PrioritizedEnvelope } from '../prioritized.js';
import { peekTicker } from '../records.js';
import type { CanonicalSnapshot, DataType } from '../snapshot.js';
import { levelKind, type LevelKind } from '../topicKind.js';
import type { PriorityConfig } from './config.js';
import { decide } from './decide.js';
import type { SourceStatsView } from './facts.js';
import type { RuleSet } from './ruleSet.js';
import { evolveTally, initialTally, type DecisionTally } from './tally.js';

/** Where a consumed message was read from. */
export interface RawOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** One message of the raw topic as consumed: any bytes, any headers, from any client. */
export interface RawInput {
  /** Null for a tombstone. */
  readonly value: Buffer | null;
  readonly key: Buffer | null;
  readonly headers: RawHeaders;
  /** The record's timestamp (ms), its published-at when it carries no gex-published-at header. */
  readonly timestamp: number;
  readonly origin: RawOrigin;
}

/** Everything the step reads besides the message: the rules and scoring, the limits, and the time (the step reads no clock). */
export interface PrioritizeContext {
  readonly ruleSet: RuleSet;
  readonly priority: PriorityConfig;
  readonly calendar: ExchangeCalendar;
  /** The source's current stats, null when the source is not known yet. */
  readonly sourceStats: (source: string) => SourceStatsView | null;
  /** Data type of messages that carry no gex-data-type header. */
  readonly defaultDataType: DataType;
  readonly maxSkewMs: number; // ms a snapshot may be ahead of receivedAtMs
  readonly maxBytes: number; // bytes per raw message
  /** When the batch holding the message was received (ms): the record's received_at_ms and the clock of the skew check. */
  readonly receivedAtMs: number;
  /** Now (ms): the decision's clock, prioritized_at_ms and a dead letter's failed_at_ms. */
  readonly nowMs: number;
}

/** What the prioritizer folds from its own decisions, for its stats and metrics. */
export interface PrioritizerState {
  readonly tally: DecisionTally;
  readonly deadLetters: number;
}

export const initialPrioritizerState = (): PrioritizerState => ({ tally: initialTally(), deadLetters: 0 });

/**
 * An output of the step, addressed by the kind of topic it goes to and not yet encoded: a level record (its envelope and
 * the snapshot's columns, which travel last on the wire), a job event, or a dead letter.
 */
export type PrioritizeOutput =
  | { readonly kind: LevelKind; readonly key: string; readonly value: PrioritizedEnvelope; readonly snapshot: CanonicalSnapshot }
  | { readonly kind: 'jobs'; readonly key: string; readonly value: JobEvent }
  | { readonly kind: 'dlq'; readonly key: string; readonly value: DeadLetter };

export interface PrioritizeResult {
  readonly state: PrioritizerState;
  readonly outputs: readonly PrioritizeOutput[];
}

/** Why a raw message is a dead letter, at which stage. */
export interface Rejection {
  readonly stage: 'decode' | 'prioritize';
  readonly errors: PathError[];
}

/**
 * A raw message as a dead letter, with whatever of it can be read without trusting it (the raw gex-source header, a
 * peeked ticker, a usable or position-derived request id, a whole lineage). The step's own refusals come here, and so do
 * the ones only the edge can make (a record too big once encoded, a bug), so that a dead letter is made in one way.
 */
export const rejectRaw = (state: PrioritizerState, input: RawInput, rejection: Rejection, nowMs: number): PrioritizeResult => {
  const value = input.value ?? Buffer.alloc(0);
  const d = deadLetter(
    {
      stage: rejection.stage,
      errors: rejection.errors,
      value,
      key: input.key,
      headers: input.headers,
      origin: input.origin,
      source: input.headers[H.source] ?? 'unknown',
      ticker: peekTicker(value) ?? null,
      requestId: requestIdOf(input.headers, input.origin),
      lineage: lineageOf(input.headers),
    },
    nowMs,
  );
  return { state: { tally: state.tally, deadLetters: state.deadLetters + 1 }, outputs: [{ kind: 'dlq', key: d.dead_letter_id, value: d }] };
};

/**
 * One raw message: headers, decode, rules and score, then the prioritized record on its level (keyed by ticker) and the
 * QUEUED job event; or one dead letter when the message is not a snapshot gexstream can take (a tombstone, a header that
 * does not decode, a value that does not decode; every reason located by its path). Throws only on bugs.
 */
export const prioritizeStep = (state: PrioritizerState, input: RawInput, ctx: PrioritizeContext): PrioritizeResult => {
  if (input.value === null) return rejectRaw(state, input, { stage: 'decode', errors: [{ path: '$', message: 'a tombstone (null value) is not a snapshot' }] }, ctx.nowMs);
  const headers = decodeHeaders(input.headers);
  if (isLeft(headers)) return rejectRaw(state, input, { stage: 'decode', errors: headers.left }, ctx.nowMs);
  const h = headers.right;
  const decoded = decodeRaw(input.value, { kind: h.kind ?? undefined, category: h.category ?? undefined, dataType: h.dataType ?? ctx.defaultDataType }, { nowMs: ctx.receivedAtMs, maxSkewMs: ctx.maxSkewMs, maxBytes: ctx.maxBytes });
  if (isLeft(decoded)) return rejectRaw(state, input, { stage: 'decode', errors: locateInHeaders(decoded.left) }, ctx.nowMs);
  const snapshot = decoded.right;
  const source = h.source ?? 'unknown';
  const requestId = h.requestId ?? requestIdOf({}, input.origin);
  const decision = decide({ snapshot, source, headers: input.headers, sourceStats: ctx.sourceStats(source) }, ctx.ruleSet, ctx.priority, ctx.nowMs, ctx.calendar);
  const record = prioritizedSnapshot({
    snapshot,
    decision,
    requestId,
    source,
    headers: input.headers,
    lineage: h.lineage,
    origin: input.origin,
    publishedAtMs: h.publishedAtMs ?? input.timestamp,
    receivedAtMs: ctx.receivedAtMs,
    prioritizedAtMs: ctx.nowMs,
  });
  const job = jobEvent({ status: 'QUEUED', requestId, level: record.level, ticker: snapshot.ticker, source, atMs: record.prioritized_at_ms });
  return {
    state: { tally: evolveTally(state.tally, decision), deadLetters: state.deadLetters },
    outputs: [
      // the record carries its snapshot too; the envelope encoder reads only the envelope's fields from it
      { kind: levelKind(record.level), key: snapshot.ticker, value: record, snapshot },
      { kind: 'jobs', key: snapshot.ticker, value: job },
    ],
  };
};
