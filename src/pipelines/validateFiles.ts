// Owns `validate`: decode every record of every file offline and report, per file, the valid count and each error.
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeRaw, type DecodeMeta, type DecodeOptions } from '../domain/decode.js';
import type { PathError } from '../domain/errors.js';
import { splitRecords, type FileFormat } from '../domain/records.js';
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
  readonly errors: RecordError[];
}

export const validateFile = async (file: string, meta: DecodeMeta, opts: DecodeOptions, onValid?: (s: CanonicalSnapshot, index: number) => void): Promise<FileReport> => {
  const { bytes } = await readFileBytes(file);
  const { format, records, problems } = splitRecords(bytes);
  let valid = 0;
  const errors: RecordError[] = [];
  for (const r of records) {
    const d = decodeRaw(r.bytes, meta, opts);
    if (isLeft(d)) errors.push({ index: r.index, line: r.line, errors: d.left });
    else {
      valid++;
      onValid?.(d.right, r.index);
    }
  }
  for (const p of problems) errors.push({ index: p.index, line: p.line, errors: [{ path: '$', message: p.message }] });
  if (records.length === 0 && problems.length === 0) errors.push({ index: 0, line: 1, errors: [{ path: '$', message: 'the file holds no snapshot' }] });
  return { file, format, valid, invalid: errors.length, errors };
};
