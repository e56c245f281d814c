// Owns the values the prioritizer writes: PrioritizedSnapshot and JobEvent records, built from a decision (pure).
import type { Lineage } from './deadLetter.js';
import { H, recordHeaders, type RawHeaders } from './headers.js';
import { deterministicId, requestIdForPosition } from './ids.js';
import type { Decision } from './priority/decide.js';
import type { Level } from './priority/level.js';
import type { CanonicalSnapshot } from './snapshot.js';
import type { ColumnarSnapshot } from './strikeColumns.js';

/**
 * The prioritizer's record with the snapshot as decoded (strike columns). On the wire it is
 * schemas/io.gexstream.v2.PrioritizedSnapshot.avsc: these envelope fields, then the snapshot as columns, last.
 */
export interface PrioritizedSnapshot {
  readonly request_id: string;
  readonly level: Level;
  readonly score: number;
  readonly components: { market_impact: number; freshness: number; source_reliability: number; urgency: number };
  readonly matched_rules: string[];
  readonly rule_set_version: number;
  readonly overridden: boolean;
  readonly source: string;
  readonly raw: { topic: string; partition: number; offset: number };
  readonly lineage: Lineage | null;
  readonly headers: Record<string, string>;
  readonly published_at_ms: number;
  readonly received_at_ms: number;
  readonly prioritized_at_ms: number;
  readonly snapshot: CanonicalSnapshot;
}

/** Every field of io.gexstream.v2.PrioritizedSnapshot but the snapshot, which follows them on the wire. */
export type PrioritizedEnvelope = Omit<PrioritizedSnapshot, 'snapshot'>;

/** The value of io.gexstream.v2.PrioritizedSnapshot: the envelope and its snapshot as columns. */
export type PrioritizedSnapshotV2 = PrioritizedEnvelope & { readonly snapshot: ColumnarSnapshot };

export type JobStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

/** What identifies a job and its request, shared by job events and the job state folded from them. */
export interface JobIdentity {
  readonly status: JobStatus;
  readonly job_id: string;
  readonly request_id: string;
  readonly level: Level;
  readonly ticker: string;
  readonly source: string;
  readonly retry_count: number;
}

/** Mirrors schemas/io.gexstream.JobEvent.avsc. */
export interface JobEvent extends JobIdentity {
  readonly at_ms: number;
  readonly records_processed: number | null;
  readonly data_size_bytes: number | null;
  readonly duration_ms: number | null;
  readonly error_message: string | null;
  readonly next_attempt_at_ms: number | null;
}

const UUIDISH = /^[A-Za-z0-9-]{8,64}$/;

/** A publisher's request id when it is usable, else one derived from the message's position: the same message always gets the same id. */
export const requestIdOf = (headers: RawHeaders, origin: { topic: string; partition: number; offset: number }): string => {
  const h = headers[H.requestId];
  return h !== undefined && UUIDISH.test(h) ? h : requestIdForPosition(origin.topic, origin.partition, origin.offset);
};

export const jobIdOf = (requestId: string): string => deterministicId('job', requestId);

/** Best-effort lineage of a message whose headers may not decode (for its dead letter): null unless file, sha256 and a whole index are there. */
export const lineageOf = (headers: RawHeaders): Lineage | null => {
  const file = headers[H.lineageFile];
  const sha256 = headers[H.lineageSha256];
  const ix = headers[H.lineageIndex];
  const index = ix !== undefined && /^\d{1,16}$/.test(ix) ? Number(ix) : Number.NaN;
  if (file === undefined || sha256 === undefined || !Number.isSafeInteger(index)) return null;
  return { file, sha256, index, batch: headers[H.importBatch] ?? null };
};

export const prioritizedSnapshot = (args: {
  snapshot: CanonicalSnapshot;
  decision: Decision;
  requestId: string;
  source: string;
  headers: RawHeaders;
  /** As decodeHeaders read it; by default the best-effort lineageOf(headers). */
  lineage?: Lineage | null;
  origin: { topic: string; partition: number; offset: number };
  publishedAtMs: number;
  receivedAtMs: number;
  prioritizedAtMs: number;
}): PrioritizedSnapshot => ({
  request_id: args.requestId,
  level: args.decision.level,
  score: args.decision.score,
  components: { ...args.decision.components },
  matched_rules: args.decision.matched_rules,
  rule_set_version: args.decision.rule_set_version,
  overridden: args.decision.overridden,
  source: args.source,
  raw: args.origin,
  lineage: args.lineage !== undefined ? args.lineage : lineageOf(args.headers),
  headers: recordHeaders(args.headers, (args.lineage !== undefined ? args.lineage : lineageOf(args.headers)) !== null),
  published_at_ms: args.publishedAtMs,
  received_at_ms: args.receivedAtMs,
  prioritized_at_ms: args.prioritizedAtMs,
  snapshot: args.snapshot,
});

export const jobEvent = (p: { status: JobStatus; requestId: string; level: Level; ticker: string; source: string; atMs: number; retryCount?: number; records?: number | null; bytes?: number | null; durationMs?: number | null; error?: string | null; nextAttemptAtMs?: number | null }): JobEvent => ({
  status: p.status,
  job_id: jobIdOf(p.requestId),
  request_id: p.requestId,
  level: p.level,
  ticker: p.ticker,
  source: p.source,
  at_ms: p.atMs,
  retry_count: p.retryCount ?? 0,
  records_processed: p.records ?? null,
  data_size_bytes: p.bytes ?? null,
  duration_ms: p.durationMs ?? null,
  error_message: p.error ?? null,
  next_attempt_at_ms: p.nextAttemptAtMs ?? null,
});
