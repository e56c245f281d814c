// Owns `validate`: decode every record of every file offline and report, per file, the valid count and the errors (bounded, with a summary).
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeRaw, type DecodeMeta, type DecodeOptions } from '../domain/decode.js';
import type { PathError } from '../domain/errors.js';
import { isProblem, scanRecords, type FileFormat } from '../domain/records.js';
import type { CanonicalSnapshot } from '../domain/snapshot.js';
import { readFileBytes } from './publish.js';

export interface RecordError {
  readonly index: number;
  readonly line: number;
  readonly errors: PathError[];
}

export interface FileReport {
  readonly file: string;
  readonly format: FileFormat;
  readonly valid: number;
  readonly invalid: number;
  /**
   * The first `maxReportedRecords` invalid records with their errors; when there are more, one last entry (at the
   * first record not listed) summarises them: how many, and the most frequent reasons.
   */
  readonly errors: RecordError[];
  /** Invalid records not listed in `errors`. */
  readonly notListed: number;
  /** The most frequent reasons over every invalid record (path and message, array indices folded to [*]). */
  readonly topReasons: ReadonlyArray<{ readonly reason: string; readonly count: number }>;
}

export interface ValidateFileOptions {
  /** Invalid records listed with their errors (default 1000); the rest are counted and summarised. */
  readonly maxReportedRecords?: number;
  /** Largest file held in memory, after gzip inflation (readFileBytes' default when absent). */
  readonly maxFileBytes?: number;
}

/** Distinct reasons tracked for the summary; a file with more kinds of error counts the rest under "other". */
const MAX_REASONS = 1000;

/** `strikes[3][1]: expected number, got "abc"` -> `strikes[*][1]: expected number` (the kind of error, not its instance). */
const reasonOf = (e: PathError): string => `${e.path.replace(/\[\d+\]/g, '[*]')}: ${e.message.replace(/, got .*$/s, '')}`;

export const validateFile = async (
  file: string,
  meta: DecodeMeta,
  opts: DecodeOptions,
  // may return a promise (a writer held back by its reader): the next record waits for it
  onValid?: (s: CanonicalSnapshot, index: number) => Promise<void> | undefined,
  { maxReportedRecords = 1000, maxFileBytes }: ValidateFileOptions = {},
): Promise<FileReport> => {
  const { bytes } = await readFileBytes(file, maxFileBytes === undefined ? {} : { maxBytes: maxFileBytes });
  const { format, pieces } = scanRecords(bytes);
  let valid = 0;
  let invalid = 0;
  let seen = 0;
  let firstNotListed: { index: number; line: number } | null = null;
  const errors: RecordError[] = [];
  const reasons = new Map<string, number>();
  const invalidRecord = (r: RecordError): void => {
    invalid++;
    for (const e of r.errors) {
      const k = reasonOf(e);
      const key = reasons.has(k) || reasons.size < MAX_REASONS ? k : 'other reasons';
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
    if (errors.length < maxReportedRecords) errors.push(r);
    else firstNotListed ??= { index: r.index, line: r.line };
  };
  for (const r of pieces) {
    seen++;
    if (isProblem(r)) {
      invalidRecord({ index: r.index, line: r.line, errors: [{ path: '$', message: r.message }] });
      continue;
    }
    const d = decodeRaw(r.bytes, meta, opts);
    if (isLeft(d)) invalidRecord({ index: r.index, line: r.line, errors: d.left });
    else {
      valid++;
      const held = onValid?.(d.right, r.index);
      if (held !== undefined) await held;
    }
  }
  if (seen === 0) invalidRecord({ index: 0, line: 1, errors: [{ path: '$', message: 'the file holds no snapshot' }] });
  const topReasons = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([reason, count]) => ({ reason, count }));
  const notListed = invalid - errors.length;
  const at = firstNotListed as { index: number; line: number } | null;
  if (at !== null) {
    const top = topReasons.slice(0, 5).map((r) => `${r.count} x ${r.reason}`).join('; ');
    errors.push({ index: at.index, line: at.line, errors: [{ path: '$', message: `${notListed} more invalid records from here on are not listed (only the first ${maxReportedRecords} are); most frequent reasons in the file: ${top}` }] });
  }
  return { file, format, valid, invalid, errors, notListed, topReasons };
};
