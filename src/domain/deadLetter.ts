// Owns the dead-letter record: the original bytes and origin of a message that failed, and a path-precise reason.
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
  readonly original_value: Buffer;
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
  /** Largest original value kept; longer values are cut and the reason says so (their sha256 stays in lineage/headers). */
  readonly maxValueBytes?: number;
}

export const MAX_DEAD_LETTER_VALUE = 8 * 1024 * 1024; // 8 MiB: below the topic's max.message.bytes with room for the envelope

export const deadLetter = (d: DeadLetterInput, failedAtMs: number): DeadLetter => {
  const max = d.maxValueBytes ?? MAX_DEAD_LETTER_VALUE;
  const cut = d.value.length > max;
  const head = d.errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join('; ');
  const more = d.errors.length > 3 ? ` (+${d.errors.length - 3} more)` : '';
  return {
    // Same failure of the same message -> same id, so a retried write does not make a second dead letter.
    dead_letter_id: deterministicId('dlq', d.stage, d.origin ? `${d.origin.topic}/${d.origin.partition}/${d.origin.offset}` : d.requestId ?? '', d.lineage ? `${d.lineage.sha256}/${d.lineage.index}` : '', d.attempts ?? 1),
    stage: d.stage,
    reason: `${head}${more}${cut ? ` [original value of ${d.value.length} bytes cut to ${max}]` : ''}`,
    errors: d.errors.slice(0, 100),
    original_topic: d.origin?.topic ?? null,
    original_partition: d.origin?.partition ?? null,
    original_offset: d.origin?.offset ?? null,
    original_key: d.key === undefined || d.key === null ? null : Buffer.isBuffer(d.key) ? d.key : Buffer.from(d.key),
    original_value: cut ? d.value.subarray(0, max) : d.value,
    original_headers: d.headers ?? {},
    source: d.source ?? null,
    ticker: d.ticker ?? null,
    request_id: d.requestId ?? null,
    lineage: d.lineage ?? null,
    failed_at_ms: failedAtMs,
    attempts: d.attempts ?? 1,
  };
};
