// Owns the dead-letter record: the original bytes and origin of a message that failed, and a path-precise reason.
import { createHash } from 'node:crypto';
import type { PathError } from './errors.js';
import { deterministicId } from './ids.js';

export type DeadLetterStage = 'publish' | 'decode' | 'validate' | 'prioritize' | 'process' | 'project';

export interface Lineage {
  readonly file: string;
  readonly sha256: string;
  readonly index: number;
  readonly batch: string | null;
}

/** Mirrors schemas/io.gexstream.DeadLetter.avsc. */
export interface DeadLetter {
  readonly dead_letter_id: string;
  readonly stage: DeadLetterStage;
  readonly reason: string;
  readonly errors: PathError[];
  readonly original_topic: string | null;
  readonly original_partition: number | null;
  readonly original_offset: number | null;
  readonly original_key: Buffer | null;
  /** The original bytes, or empty when they were over the limit (then sha256, length and origin find them). */
  readonly original_value: Buffer;
  /** Null in dead letters written before these fields existed. */
  readonly original_value_bytes?: number | null;
  readonly original_value_sha256?: string | null;
  readonly original_headers: Record<string, string>;
  readonly source: string | null;
  readonly ticker: string | null;
  readonly request_id: string | null;
  readonly lineage: Lineage | null;
  readonly failed_at_ms: number;
  readonly attempts: number;
}

export interface DeadLetterInput {
  readonly stage: DeadLetterStage;
  readonly errors: PathError[];
  readonly value: Buffer;
  readonly key?: Buffer | string | null;
  readonly headers?: Record<string, string>;
  readonly origin?: { topic: string; partition: number; offset: number };
  readonly source?: string | null;
  readonly ticker?: string | null;
  readonly requestId?: string | null;
  readonly lineage?: Lineage | null;
  readonly attempts?: number;
  /** Largest original value kept; a longer one is replaced by its sha256 and length (the origin or lineage finds it). */
  readonly maxValueBytes?: number;
}

/**
 * 8 MiB: every record the raw topic accepts uncompressed is kept whole. With the bounded envelope below, a dead letter
 * stays under 8.7 MiB, below the DLQ topic's max.message.bytes (10 MiB): a dead letter can always be written.
 */
export const MAX_DEAD_LETTER_VALUE = 8 * 1024 * 1024;
/** Bounds of everything else a dead letter carries, so hostile keys, headers or error paths cannot make it unwritable. */
export const DEAD_LETTER_BOUNDS = {
  errors: 100,
  pathChars: 512,
  messageChars: 1024,
  reasonChars: 4096,
  keyBytes: 64 * 1024,
  headerBytes: 64 * 1024, // names and values together
  headerValueChars: 4096,
  textChars: 1024, // source, ticker, request id, lineage file and batch
} as const;

const cutText = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max)}... (${s.length} characters)`);
const optText = (s: string | null | undefined, max: number): string | null => (s === undefined || s === null ? null : cutText(String(s), max));
const int32 = (n: number | undefined): number | null => (n !== undefined && Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 ? n : null);
const safeInt = (n: number | undefined): number | null => (n !== undefined && Number.isSafeInteger(n) ? n : null);

const boundedHeaders = (h: Record<string, string>): { headers: Record<string, string>; dropped: number } => {
  const headers: Record<string, string> = {};
  let bytes = 0;
  let dropped = 0;
  for (const [k, v] of Object.entries(h)) {
    const name = cutText(k, 256);
    const value = cutText(String(v), DEAD_LETTER_BOUNDS.headerValueChars);
    const size = Buffer.byteLength(name) + Buffer.byteLength(value);
    if (bytes + size > DEAD_LETTER_BOUNDS.headerBytes) {
      dropped++;
      continue;
    }
    headers[name] = value;
    bytes += size;
  }
  return { headers, dropped };
};

const sanitizedLineage = (l: Lineage | null | undefined): Lineage | null => {
  if (l === undefined || l === null) return null;
  const index = safeInt(l.index);
  if (index === null || index < 0) return null;
  return { file: cutText(String(l.file), DEAD_LETTER_BOUNDS.textChars), sha256: cutText(String(l.sha256), DEAD_LETTER_BOUNDS.textChars), index, batch: optText(l.batch, DEAD_LETTER_BOUNDS.textChars) };
};

/**
 * The dead letter of a failed message. Total and bounded: whatever the input (a 1e300 lineage index, a fractional
 * clock, megabytes of keys, headers or error paths), the record is valid for the Avro schema and under the DLQ
 * topic's size limit, so writing it can never block a partition.
 */
export const deadLetter = (d: DeadLetterInput, failedAtMs: number): DeadLetter => {
  const max = d.maxValueBytes ?? MAX_DEAD_LETTER_VALUE;
  const kept = d.value.length <= max;
  const sha256 = createHash('sha256').update(d.value).digest('hex');
  const errors = d.errors.slice(0, DEAD_LETTER_BOUNDS.errors).map((e) => ({ path: cutText(String(e.path), DEAD_LETTER_BOUNDS.pathChars), message: cutText(String(e.message), DEAD_LETTER_BOUNDS.messageChars) }));
  const head = errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join('; ');
  const more = d.errors.length > 3 ? ` (+${d.errors.length - 3} more)` : '';
  const { headers, dropped } = boundedHeaders(d.headers ?? {});
  const origin = d.origin === undefined ? null : { topic: cutText(String(d.origin.topic), 249), partition: int32(d.origin.partition), offset: safeInt(d.origin.offset) };
  const lineage = sanitizedLineage(d.lineage);
  const key = d.key === undefined || d.key === null ? null : Buffer.isBuffer(d.key) ? d.key : Buffer.from(d.key);
  const notes = [
    kept ? '' : ` [original value of ${d.value.length} bytes over the ${max}-byte limit: not kept, sha256 ${sha256}]`,
    dropped > 0 ? ` [${dropped} headers over the ${DEAD_LETTER_BOUNDS.headerBytes}-byte limit not kept]` : '',
    key !== null && key.length > DEAD_LETTER_BOUNDS.keyBytes ? ` [key of ${key.length} bytes cut to ${DEAD_LETTER_BOUNDS.keyBytes}]` : '',
  ].join('');
  return {
    // Same failure of the same message -> same id, so a retried write does not make a second dead letter.
    dead_letter_id: deterministicId('dlq', d.stage, d.origin ? `${d.origin.topic}/${d.origin.partition}/${d.origin.offset}` : d.requestId ?? '', d.lineage ? `${d.lineage.sha256}/${d.lineage.index}` : '', d.attempts ?? 1),
    stage: d.stage,
    reason: `${cutText(head, DEAD_LETTER_BOUNDS.reasonChars)}${more}${notes}`,
    errors,
    original_topic: origin?.topic ?? null,
    original_partition: origin?.partition ?? null,
    original_offset: origin?.offset ?? null,
    original_key: key === null || key.length <= DEAD_LETTER_BOUNDS.keyBytes ? key : key.subarray(0, DEAD_LETTER_BOUNDS.keyBytes),
    original_value: kept ? d.value : Buffer.alloc(0),
    original_value_bytes: d.value.length,
    original_value_sha256: sha256,
    original_headers: headers,
    source: optText(d.source, DEAD_LETTER_BOUNDS.textChars),
    ticker: optText(d.ticker, DEAD_LETTER_BOUNDS.textChars),
    request_id: optText(d.requestId, DEAD_LETTER_BOUNDS.textChars),
    lineage,
    failed_at_ms: Number.isFinite(failedAtMs) ? Math.trunc(failedAtMs) : 0,
    attempts: int32(d.attempts) ?? 1,
  };
};

/** False when the dead letter kept only the sha256 and length of its original value (re-drive it from its origin). */
export const valueKept = (d: DeadLetter): boolean =>
  d.original_value_bytes === undefined || d.original_value_bytes === null || d.original_value.length === d.original_value_bytes;
