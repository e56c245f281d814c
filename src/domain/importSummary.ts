// Owns the outcome of a history import: each published record (file sha256 + index) ends imported or rejected; the
// summary counts them per file, groups rejections by reason and gives the error rate (pure).
import type { DeadLetter, Lineage } from './deadLetter.js';

export type ImportOutcome =
  | { readonly kind: 'imported'; readonly lineage: Lineage }
  | { readonly kind: 'rejected'; readonly lineage: Lineage; readonly stage: string; readonly path: string; readonly reason: string };

export const outcomeOfDeadLetter = (d: DeadLetter): ImportOutcome | null =>
  d.lineage === null ? null : { kind: 'rejected', lineage: d.lineage, stage: d.stage, path: d.errors[0]?.path ?? '$', reason: d.reason };

export interface ImportState {
  /** By "sha256/index": a record processed after an earlier rejection (a redrive) counts as imported. */
  readonly records: ReadonlyMap<string, ImportOutcome>;
}

export const emptyImport = (): ImportState => ({ records: new Map() });

const recordKey = (l: Lineage): string => `${l.sha256}/${l.index}`;

/** Folds outcomes of `batch` in (others are ignored); copies the state once per call, so the edge folds a fetched batch at a time. */
export const foldImport = (s: ImportState, outcomes: Iterable<ImportOutcome>, batch: string): ImportState => {
  let records: Map<string, ImportOutcome> | null = null;
  for (const o of outcomes) {
    if (o.lineage.batch !== batch) continue;
    const k = recordKey(o.lineage);
    if ((records ?? s.records).get(k)?.kind === 'imported') continue;
    records ??= new Map(s.records);
    records.set(k, o);
  }
  return records === null ? s : { records };
};

export interface ImportSummary {
  readonly batch: string;
  readonly expected: number;
  readonly imported: number;
  readonly rejected: number;
  /** Published records with no outcome yet. */
  readonly pending: number;
  /** rejected / expected. */
  readonly errorRate: number;
  readonly files: ReadonlyArray<{ readonly file: string; readonly imported: number; readonly rejected: number }>;
  /** Rejections grouped by stage and field path, most frequent first, with one example reason and up to 5 record indexes. */
  readonly reasons: ReadonlyArray<{ readonly stage: string; readonly path: string; readonly count: number; readonly example: string; readonly indexes: readonly number[] }>;
}

export const summarizeImport = (s: ImportState, batch: string, expected: number): ImportSummary => {
  let imported = 0;
  let rejected = 0;
  const files = new Map<string, { file: string; imported: number; rejected: number }>();
  const reasons = new Map<string, { stage: string; path: string; count: number; example: string; indexes: number[] }>();
  for (const o of s.records.values()) {
    const f = files.get(o.lineage.file) ?? files.set(o.lineage.file, { file: o.lineage.file, imported: 0, rejected: 0 }).get(o.lineage.file);
    if (o.kind === 'imported') {
      imported++;
      if (f) f.imported++;
      continue;
    }
    rejected++;
    if (f) f.rejected++;
    const k = `${o.stage} ${o.path}`;
    const r = reasons.get(k) ?? reasons.set(k, { stage: o.stage, path: o.path, count: 0, example: o.reason, indexes: [] }).get(k);
    if (r) {
      r.count++;
      if (r.indexes.length < 5) r.indexes.push(o.lineage.index);
    }
  }
  return {
    batch,
    expected,
    imported,
    rejected,
    pending: Math.max(0, expected - imported - rejected),
    errorRate: expected > 0 ? rejected / expected : 0,
    files: [...files.values()].sort((a, b) => a.file.localeCompare(b.file)),
    reasons: [...reasons.values()].map((r) => ({ ...r, indexes: [...r.indexes].sort((a, b) => a - b) })).sort((a, b) => b.count - a.count),
  };
};
