// Owns the v1 wire form of snapshots (io.gexstream.CanonicalSnapshot, strikes as Strike rows): the retired v1 topics'
// records, which the projector still folds when a record was written with that schema, and the v1 side of bench/wire.
// In memory a snapshot's strikes are columns (strikeColumns.ts); these converters are the boundary (cold: an object per strike).
import type { PrioritizedSnapshot } from './prioritized.js';
import type { ProcessedSnapshot } from './processed.js';
import type { CanonicalSnapshot, Strike } from './snapshot.js';
import { columnsOfRows, strikeRows } from './strikeColumns.js';

/** A snapshot with its strikes as Strike rows: the value of io.gexstream.CanonicalSnapshot (v1), which avsc encodes as is. */
export type RowSnapshot = Omit<CanonicalSnapshot, 'strikes'> & { strikes: Strike[] };

/** Columns to rows, for a v1 encoder or a row view (cold path). */
export const toRowSnapshot = (s: CanonicalSnapshot): RowSnapshot => ({ ...s, strikes: strikeRows(s.strikes) });

/** Rows (as a v1 decoder gives them) to columns. */
export const fromRowSnapshot = (s: RowSnapshot): CanonicalSnapshot => ({ ...s, strikes: columnsOfRows(s.strikes) });

/** An envelope (prioritized, processed) as v1 carries it: its snapshot's strikes as rows. */
export type WithRowSnapshot<T extends { readonly snapshot: CanonicalSnapshot }> = Omit<T, 'snapshot'> & { readonly snapshot: RowSnapshot };

export const withRowSnapshot = <T extends { readonly snapshot: CanonicalSnapshot }>(p: T): WithRowSnapshot<T> => ({ ...p, snapshot: toRowSnapshot(p.snapshot) });

export const withColumnSnapshot = <T extends { readonly snapshot: CanonicalSnapshot }>(p: WithRowSnapshot<T>): T => ({ ...p, snapshot: fromRowSnapshot(p.snapshot) }) as unknown as T;

/** A processed snapshot as the v1 topic carries it (what the projector decodes until it reads v2). */
export type ProcessedSnapshotV1 = WithRowSnapshot<ProcessedSnapshot>;
/** A prioritized snapshot as the v1 level topics carry it. */
export type PrioritizedSnapshotV1 = WithRowSnapshot<PrioritizedSnapshot>;
