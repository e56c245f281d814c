// Owns what one fetch round writes (pure): the events of every partition and topic the round delivered, as rows of
// the small tables (merged per key, as one transaction writes them) and the strikes as columns.
import type { ProcessedSnapshot } from '../processed.js';
import type { ProcessedSnapshotV1 } from '../v1Strikes.js';
import { mergeRows, project, type ProjectedEvent, type TableRows } from './projection.js';
import { snapshotRowsOf, type At } from './rows.js';
import { createStrikeColumns, snapKey, type StrikeChunk } from './strikeColumns.js';
import { columnarOf, type ProcessedColumnar, type StrikeColumnsView } from './strikeColumnsReader.js';
import type { Row, TableName } from './tables.js';

export interface RoundWrite {
  /** Rows per table; gex_strikes is empty (its rows travel as `strikes`). */
  readonly rows: Readonly<Record<TableName, readonly Row[]>>;
  readonly strikes: readonly StrikeChunk[];
  readonly strikeRows: number;
}

/** What a round is made of: the projector's processed snapshots come as views of their message (or, from tests and cold paths, as records). */
export type RoundEvent = Exclude<ProjectedEvent, { readonly kind: 'processed' }> | { readonly kind: 'processed'; readonly value: ProcessedColumnar | ProcessedSnapshot | ProcessedSnapshotV1; readonly at?: At };

const isView = (strikes: unknown): strikes is StrikeColumnsView => !Array.isArray(strikes) && typeof (strikes as StrikeColumnsView).strike === 'object' && 'bytes' in (strikes as StrikeColumnsView).strike;

/** A processed value as a view (a record's strikes are converted: cold paths only). */
export const asColumnar = (v: ProcessedColumnar | ProcessedSnapshot | ProcessedSnapshotV1): ProcessedColumnar => (isView(v.snapshot.strikes) ? (v as ProcessedColumnar) : columnarOf(v as ProcessedSnapshot));

/**
 * The same rows the pure fold (projection.ts) gives, strikes as columns: a request processed twice in one round keeps
 * the strikes of its later snapshot only (they replace the earlier ones as a set).
 */
export const roundWrite = (events: readonly RoundEvent[]): RoundWrite => {
  const lastOf = new Map<string, number>();
  events.forEach((e, i) => {
    if (e.kind === 'processed') lastOf.set(e.value.request_id, i);
  });
  const b = createStrikeColumns();
  const rows: TableRows[] = [];
  events.forEach((e, i) => {
    if (e.kind !== 'processed') {
      rows.push(project(e));
      return;
    }
    if (e.at === undefined) throw new Error(`processed snapshot ${e.value.request_id} without its message position: strike rows are keyed by it`);
    rows.push(snapshotRowsOf(e.value, e.at));
    if (lastOf.get(e.value.request_id) === i) b.view(snapKey(e.at.partition, e.at.offset), asColumnar(e.value).snapshot.strikes);
  });
  return { rows: mergeRows(rows), strikes: b.chunks(), strikeRows: b.rows() };
};
