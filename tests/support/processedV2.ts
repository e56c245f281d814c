// Owns building processed v2 values in tests and benches (no I/O): a processed record with its strikes as rows, as the
// value the processor writes to the processed topic (io.gexstream.v2.ProcessedSnapshot), for avsc to encode.
import type { ProcessedSnapshot } from '../../src/domain/processed.js';
import type { ProcessedSnapshotV1 } from '../../src/domain/v1Strikes.js';
import type { Strike } from '../../src/domain/snapshot.js';
import { columnsOfRows, STRIKE_COLUMNS, type StrikeColumns } from '../../src/domain/strikeColumns.js';

/** The processed topic's value schema: io.gexstream.v2.ProcessedSnapshot (strikes as columns, snapshot last). */
export const PROCESSED_V2_SCHEMA = 'io.gexstream.v2.ProcessedSnapshot';

/** A processed record (strikes as rows) as the v2 value the processor writes: strikes as one array per column, NaN for a null cell. */
export const processedV2Value = (p: ProcessedSnapshot | ProcessedSnapshotV1): unknown => {
  // strike rows (v1 records) or already columns (once the canonical snapshot carries StrikeColumns)
  const given = p.snapshot.strikes as readonly Strike[] | StrikeColumns;
  const c = Array.isArray(given) ? columnsOfRows(given as readonly Strike[]) : (given as StrikeColumns);
  const strikes: Record<string, unknown> = { strike: Array.from(c.strike) };
  for (const name of STRIKE_COLUMNS) strikes[name] = c.columns[name] === null ? null : Array.from(c.columns[name]);
  strikes['priors_values'] = Array.from(c.priorsValues);
  strikes['priors_ends'] = c.priorsEnds === null ? [] : Array.from(c.priorsEnds);
  const { snapshot, ...envelope } = p;
  return { components: null, matched_rules: [], rule_set_version: 0, ...envelope, snapshot: { ...snapshot, strikes } };
};

