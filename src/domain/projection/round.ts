// Owns what one fetch round writes (pure): the events of every partition and topic the round delivered, as rows of
// the small tables (merged per key, as one transaction writes them) and the strikes as columns.
import { mergeRows, project, type ProjectedEvent, type TableRows } from './projection.js';
import { appendStrikes, snapshotRowsOf } from './rows.js';
import { createStrikeColumns, snapKey, type StrikeChunk } from './strikeColumns.js';
import type { Row, TableName } from './tables.js';

export interface RoundWrite {
  /** Rows per table; gex_strikes is empty (its rows travel as `strikes`). */
  readonly rows: Readonly<Record<TableName, readonly Row[]>>;
  readonly strikes: readonly StrikeChunk[];
  readonly strikeRows: number;
}

/**
 * The same rows the pure fold (projection.ts) gives, strikes as columns: a request processed twice in one round keeps
 * the strikes of its later snapshot only (they replace the earlier ones as a set).
 */
export const roundWrite = (events: readonly ProjectedEvent[]): RoundWrite => {
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
    if (lastOf.get(e.value.request_id) === i) appendStrikes(b, snapKey(e.at.partition, e.at.offset), e.value.snapshot.strikes);
  });
  return { rows: mergeRows(rows), strikes: b.chunks(), strikeRows: b.rows() };
};
