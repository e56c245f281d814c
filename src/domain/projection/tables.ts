// Owns the projector's table layout as data: each table's columns (DuckDB types, in declared order) and primary key.

export type ColumnType = 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'INTEGER' | 'BOOLEAN' | 'BLOB' | 'DOUBLE[]';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
}

export const TABLE_NAMES = [
  'priority_requests',
  'processing_jobs',
  'data_sources',
  'priority_rules',
  'gex_snapshots',
  'gex_strikes',
  'dead_letters',
  'lineage',
] as const;
export type TableName = (typeof TABLE_NAMES)[number];

export interface TableSpec {
  readonly name: TableName;
  /** In declared order: the order of CREATE TABLE and of the checksum's serialisation. */
  readonly columns: readonly Column[];
  /** Column names; a row's identity for upserts (a later row with the same key replaces the earlier one). */
  readonly primaryKey: readonly string[];
  /**
   * Stored but not content: the partition and offset of the processed-snapshot message a row came from, which the
   * Parquet segments are cut by. Left out of checksums and of the Parquet files.
   */
  readonly internal: readonly Column[];
  /**
   * Rows that belong to a parent as a set: an incoming group (same values of these columns) replaces every earlier row
   * of that group, not only rows with equal keys. A re-processed snapshot's strikes replace its earlier strikes.
   */
  readonly replaceBy?: readonly string[];
  /**
   * Rows are appended, never upserted: each comes from exactly one message, and the stored offsets already make every
   * message land exactly once, so a key index would only cost time (job status rows: three per snapshot).
   */
  readonly append?: true;
}

/** One cell of a row. Epoch milliseconds are doubles (exact up to 2^53) stored as BIGINT; a DOUBLE[] is a number array. */
export type Cell = number | string | boolean | null | Uint8Array | readonly number[];
export type Row = Readonly<Record<string, Cell>>;

const cols = (spec: string): Column[] =>
  spec
    .trim()
    .split(/\s*,\s*/)
    .map((c) => {
      const [name, type] = c.split(/\s+/);
      return { name: name as string, type: type as ColumnType };
    });

const POSITION = cols('src_partition INTEGER, src_offset BIGINT');

export const TABLES: Readonly<Record<TableName, TableSpec>> = {
  priority_requests: {
    name: 'priority_requests',
    columns: cols(`request_id VARCHAR, ticker VARCHAR, source VARCHAR, data_type VARCHAR, level VARCHAR, score DOUBLE,
      published_at_ms BIGINT, prioritized_at_ms BIGINT, processed_at_ms BIGINT, market_impact DOUBLE, freshness DOUBLE,
      source_reliability DOUBLE, urgency DOUBLE, matched_rules VARCHAR, rule_set_version INTEGER`),
    primaryKey: ['request_id'],
    internal: [],
  },
  processing_jobs: {
    name: 'processing_jobs',
    columns: cols(`event_key VARCHAR, job_id VARCHAR, request_id VARCHAR, status VARCHAR, level VARCHAR, ticker VARCHAR,
      source VARCHAR, at_ms BIGINT, retry_count INTEGER, records_processed BIGINT, data_size_bytes BIGINT,
      duration_ms DOUBLE, error_message VARCHAR, next_attempt_at_ms BIGINT`),
    primaryKey: ['event_key'],
    internal: [],
    append: true,
  },
  data_sources: {
    name: 'data_sources',
    columns: cols(`source VARCHAR, total_requests BIGINT, successful_requests BIGINT, reliability DOUBLE,
      ema_latency_ms DOUBLE, breaker VARCHAR, last_success_ms BIGINT, updated_at_ms BIGINT`),
    primaryKey: ['source'],
    internal: [],
  },
  priority_rules: {
    name: 'priority_rules',
    columns: cols(`rule_id VARCHAR, type VARCHAR, version INTEGER, at_ms BIGINT, actor VARCHAR, name VARCHAR,
      description VARCHAR, condition VARCHAR, score DOUBLE, level VARCHAR, adjust INTEGER, active BOOLEAN,
      created_at_ms BIGINT, updated_at_ms BIGINT`),
    primaryKey: ['rule_id', 'version', 'type', 'at_ms'],
    internal: [],
  },
  gex_snapshots: {
    name: 'gex_snapshots',
    columns: cols(`request_id VARCHAR, job_id VARCHAR, ticker VARCHAR, kind VARCHAR, category VARCHAR, data_type VARCHAR,
      timestamp_ms BIGINT, snapshot_date VARCHAR, spot DOUBLE, zero_gamma DOUBLE, major_pos_vol DOUBLE,
      major_pos_oi DOUBLE, major_neg_vol DOUBLE, major_neg_oi DOUBLE, sum_gex_vol DOUBLE, sum_gex_oi DOUBLE,
      net_gex_vol DOUBLE, net_gex_oi DOUBLE, delta_risk_reversal DOUBLE, derived_net_gex DOUBLE,
      derived_zero_gamma DOUBLE, quality_score DOUBLE, strike_count INTEGER, level VARCHAR, score DOUBLE,
      published_at_ms BIGINT, prioritized_at_ms BIGINT, processed_at_ms BIGINT`),
    primaryKey: ['request_id'],
    internal: POSITION,
  },
  gex_strikes: {
    name: 'gex_strikes',
    columns: cols(`request_id VARCHAR, strike DOUBLE, gex_vol DOUBLE, gex_oi DOUBLE, priors DOUBLE[], call_oi DOUBLE,
      put_oi DOUBLE, call_volume DOUBLE, put_volume DOUBLE, call_bid DOUBLE, call_ask DOUBLE, put_bid DOUBLE,
      put_ask DOUBLE, gamma DOUBLE, delta DOUBLE, theta DOUBLE, vega DOUBLE, call_gex DOUBLE, put_gex DOUBLE,
      net_gex DOUBLE, ticker VARCHAR, snapshot_date VARCHAR`),
    primaryKey: ['request_id', 'strike'],
    internal: POSITION,
    replaceBy: ['request_id'],
  },
  dead_letters: {
    name: 'dead_letters',
    columns: cols(`dead_letter_id VARCHAR, stage VARCHAR, reason VARCHAR, errors VARCHAR, original_topic VARCHAR,
      original_partition INTEGER, original_offset BIGINT, original_value BLOB, source VARCHAR, ticker VARCHAR,
      request_id VARCHAR, failed_at_ms BIGINT, attempts INTEGER, lineage_file VARCHAR, lineage_index BIGINT, import_batch VARCHAR`),
    primaryKey: ['dead_letter_id'],
    internal: [],
  },
  lineage: {
    name: 'lineage',
    columns: cols(`request_id VARCHAR, file VARCHAR, sha256 VARCHAR, idx BIGINT, batch VARCHAR, ticker VARCHAR`),
    primaryKey: ['request_id'],
    internal: [],
  },
};

const keyOf = (cols: readonly string[], row: Row): string =>
  JSON.stringify(
    cols.map((c) => {
      const v = row[c];
      return v === undefined || v instanceof Uint8Array ? null : v;
    }),
  );

/** The group a row belongs to when its table replaces by group (see replaceBy), else null. */
export const groupKeyOf = (table: TableName, row: Row): string | null => {
  const by = TABLES[table].replaceBy;
  return by === undefined ? null : keyOf(by, row);
};

/** A row's primary key as one string (JSON of the key's values), for maps keyed by identity. */
export const primaryKeyOf = (table: TableName, row: Row): string => keyOf(TABLES[table].primaryKey, row);
