// Owns the projector's DuckDB file: the tables of src/domain/projection/tables.ts (strikes stored narrow, with a view in
// the wide shape), a round's rows and strike columns written together with the consumed offsets that produced them in
// one transaction, and the per-table checksum.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import duckdb from '@duckdb/node-bindings';
import {
  BIGINT,
  blobValue,
  BLOB,
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  INTEGER,
  LIST,
  listValue,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { fnv1a64 } from '../domain/projection/checksum.js';
import {
  appendStrikeRows,
  chunkKeys,
  chunkPriors,
  chunkValidity,
  CHUNK_ROWS,
  createStrikeColumns,
  FROM_SNAPSHOT,
  runOfDouble,
  SNAP_KEY_SQL,
  STRIKE_DOUBLES,
  STRIKE_STORED,
  type StrikeChunk,
} from '../domain/projection/strikeColumns.js';
import { TABLES, TABLE_NAMES, type Cell, type Column, type ColumnType, type Row, type TableName } from '../domain/projection/tables.js';

/** Where the strike rows are stored: narrow (a snapshot key, the numbers, priors as DOUBLE[]); gex_strikes is a view over it. */
export const STRIKE_ROWS_TABLE = 'gex_strike_rows';

/** DuckDB's memory_limit and threads when the caller gives none: the projector stays small next to the other roles. */
export const DEFAULT_MEMORY_LIMIT = '128MB';
/**
 * One thread: a round's appends run on the caller's thread anyway, and with one thread a scan of the strike rows joined
 * to their snapshots comes out in storage order, which is (offset, strike) per partition: the Parquet writer then
 * needs no sort (measured, 780,000 strike rows of a segment: 1.3 s of CPU instead of 5.5 s with ORDER BY).
 */
export const DEFAULT_THREADS = 1;
/** WAL size at which DuckDB checkpoints the file. */
export const DEFAULT_CHECKPOINT_THRESHOLD = '256MB';

export interface Position {
  readonly topic: string;
  readonly partition: number;
}

export interface WriteBatch {
  /** Rows per table. gex_strikes may come as wide rows (with their src_partition/src_offset) or as `strikes` columns. */
  readonly rows: Partial<Record<TableName, readonly Row[]>>;
  /** Strike rows as columns (the projector's path). */
  readonly strikes?: readonly StrikeChunk[];
  /** Next offset to consume, per topic-partition, committed with the rows. */
  readonly offsets: ReadonlyArray<Position & { readonly next: number }>;
}

export interface StoredOffset extends Position {
  readonly next: number;
}

export interface TableSum {
  readonly table: TableName;
  readonly rows: number;
  /** Order-independent: the sum modulo 2^64 of DuckDB's hash() of each row's declared columns, as 16 hex digits. */
  readonly checksum: string;
}

export interface Store {
  readonly path: string;
  /** DuckDB worker threads of the instance. */
  readonly threads: number;
  readonly connection: DuckDBConnection;
  /** Another connection to the same file (the Parquet writer's: it reads committed rows while rounds are written). */
  readonly connect: () => Promise<DuckDBConnection>;
  readonly write: (batch: WriteBatch) => Promise<void>;
  /**
   * Writes a batch in the open transaction (opened by the first append): several rounds then commit as one, so that a
   * replay's strike rows reach DuckDB in transactions of more than a row group, which DuckDB writes to the file
   * compressed rather than to the WAL. A failure rolls back every batch appended since the last commit.
   */
  readonly append: (batch: WriteBatch) => Promise<void>;
  /** Commits the open transaction (nothing when none is open). */
  readonly commit: () => Promise<void>;
  /** An append is waiting for its commit. */
  readonly open: () => boolean;
  readonly offsets: () => Promise<StoredOffset[]>;
  /** A value of the file's gexstream_meta table (null when unset). */
  readonly meta: (key: string) => Promise<string | null>;
  readonly setMeta: (key: string, value: string) => Promise<void>;
  readonly checksums: () => Promise<TableSum[]>;
  readonly close: () => void;
}

export const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;
export const quoteLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`;

const TABLE_DDL = (t: TableName): string => {
  const spec = TABLES[t];
  const cols = [...spec.columns, ...spec.internal].map((c) => `${quoteIdent(c.name)} ${c.type}`);
  const pk = spec.append ? '' : `, PRIMARY KEY (${spec.primaryKey.map(quoteIdent).join(', ')})`;
  return `CREATE TABLE IF NOT EXISTS ${t} (${cols.join(', ')}${pk})`;
};

/** Stored strike columns: the snapshot key, then STRIKE_STORED (strike, gex_vol, gex_oi, priors, ...). */
const STRIKE_ROWS_COLUMNS: readonly Column[] = [{ name: 'snap', type: 'BIGINT' }, ...STRIKE_STORED];

const STRIKE_ROWS_DDL = `CREATE TABLE IF NOT EXISTS ${STRIKE_ROWS_TABLE} (${STRIKE_ROWS_COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`;

/**
 * The strike rows in the wide shape of TABLES.gex_strikes (and its internal position columns), joined to their
 * snapshot. `where` filters the stored rows (e.g. by snap range) before the join.
 */
export const strikesSelect = (where = ''): string => {
  const fromSnapshot = new Set<string>(FROM_SNAPSHOT);
  const cols = [...TABLES.gex_strikes.columns, ...TABLES.gex_strikes.internal].map((c) =>
    fromSnapshot.has(c.name) || TABLES.gex_strikes.internal.includes(c) ? `s.${quoteIdent(c.name)}` : `k.${quoteIdent(c.name)}`,
  );
  return `SELECT ${cols.join(', ')} FROM ${STRIKE_ROWS_TABLE} k JOIN gex_snapshots s ON k.snap = ${SNAP_KEY_SQL('s')}${where ? ` WHERE ${where}` : ''}`;
};

const VIEW_DDL = `CREATE VIEW IF NOT EXISTS gex_strikes AS ${strikesSelect()}`;

const OFFSETS_DDL =
  'CREATE TABLE IF NOT EXISTS consumer_offsets (topic VARCHAR, "partition" INTEGER, next_offset BIGINT, updated_at TIMESTAMP, PRIMARY KEY (topic, "partition"))';

/** Parquet segments are complete below `through` (written by the Parquet writer's own connection, never by a round). */
export const PARQUET_PROGRESS_DDL = 'CREATE TABLE IF NOT EXISTS parquet_segments (topic VARCHAR, "partition" INTEGER, through BIGINT, PRIMARY KEY (topic, "partition"))';

/** The DDL of every table and view, for docs and for tools that want the layout without opening a file. */
export const schemaSql = (): string =>
  [...TABLE_NAMES.filter((t) => t !== 'gex_strikes').map(TABLE_DDL), STRIKE_ROWS_DDL, VIEW_DDL, OFFSETS_DDL, PARQUET_PROGRESS_DDL].join(';\n') + ';\n';

const duckType = (t: ColumnType): DuckDBType => {
  switch (t) {
    case 'VARCHAR':
      return VARCHAR;
    case 'DOUBLE':
      return DOUBLE;
    case 'BIGINT':
      return BIGINT;
    case 'INTEGER':
      return INTEGER;
    case 'BOOLEAN':
      return BOOLEAN;
    case 'BLOB':
      return BLOB;
    case 'DOUBLE[]':
      return LIST(DOUBLE);
  }
};

const finite = (v: Cell): v is number => typeof v === 'number' && Number.isFinite(v);
const toValue = (t: ColumnType, v: Cell): DuckDBValue => {
  if (v === null) return null;
  switch (t) {
    case 'VARCHAR':
      return String(v);
    case 'DOUBLE':
      return typeof v === 'number' ? v : null;
    case 'BIGINT':
      return finite(v) ? BigInt(Math.trunc(v)) : null;
    case 'INTEGER':
      return finite(v) ? Math.trunc(v) : null;
    case 'BOOLEAN':
      return Boolean(v);
    case 'BLOB':
      return v instanceof Uint8Array ? blobValue(v) : null;
    case 'DOUBLE[]':
      return Array.isArray(v) ? listValue(v as number[]) : null;
  }
};

/** Appends rows of the small tables column by column (one data chunk per 2,048 rows; strings are still set one by one). */
const appendRows = (a: DuckDBAppender, cols: readonly Column[], rows: readonly Row[]): void => {
  const types = cols.map((c) => duckType(c.type));
  for (let s = 0; s < rows.length; s += CHUNK_ROWS) {
    const part = rows.slice(s, s + CHUNK_ROWS);
    const chunk = DuckDBDataChunk.create(types, part.length);
    cols.forEach((c, j) => chunk.setColumnValues(j, part.map((r) => toValue(c.type, r[c.name] ?? null))));
    a.appendDataChunk(chunk);
  }
};

const STRIKE_TYPES = STRIKE_ROWS_COLUMNS.map((c) => duckType(c.type));
/** Chunk column of each STRIKE_DOUBLES column, and of priors. */
const DOUBLE_POSITION = STRIKE_DOUBLES.map((name) => STRIKE_ROWS_COLUMNS.findIndex((c) => c.name === name));
const PRIORS_POSITION = STRIKE_ROWS_COLUMNS.findIndex((c) => c.name === 'priors');
const VALIDITY_WORDS = CHUNK_ROWS >>> 5;

/**
 * Copies a strike chunk into a DuckDB data chunk: each column of each part straight from its message buffer into the
 * vector (one memory copy, no JS array in between), the NULL masks where a column has NULLs, the snapshot keys as
 * int64 words and the priors as a list vector over the parts' priors values.
 */
export const strikeDataChunk = (c: StrikeChunk, scratch: { key: Uint32Array; entries: Uint32Array; validity: Uint32Array; chunk?: DuckDBDataChunk }): DuckDBDataChunk => {
  const n = c.rows;
  // One data chunk refilled for every strike chunk (the appender copies what it is given): a chunk per call would hold
  // its native vectors until V8 collects its small JS wrapper, hundreds of MB in a replay.
  let chunk = scratch.chunk;
  if (chunk === undefined) chunk = DuckDBDataChunk.create(STRIKE_TYPES, n);
  else {
    duckdb.data_chunk_reset(chunk.chunk);
    duckdb.data_chunk_set_size(chunk.chunk, n);
  }
  const raw = chunk.chunk;
  chunkKeys(c, scratch.key);
  duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(raw, 0), 0, scratch.key.buffer as ArrayBuffer, scratch.key.byteOffset, n * 8);
  for (let j = 0; j < STRIKE_DOUBLES.length; j++) {
    const vec = duckdb.data_chunk_get_vector(raw, DOUBLE_POSITION[j] as number);
    let row = 0;
    for (const p of c.parts) {
      const run = runOfDouble(p.view, j);
      if (run !== null) duckdb.copy_data_to_vector(vec, row * 8, run.bytes.buffer as ArrayBuffer, run.bytes.byteOffset + run.at + p.from * 8, p.n * 8);
      row += p.n;
    }
    if (chunkValidity(c, j, scratch.validity)) {
      duckdb.vector_ensure_validity_writable(vec);
      duckdb.copy_data_to_vector_validity(vec, 0, scratch.validity.buffer as ArrayBuffer, scratch.validity.byteOffset, Math.ceil(n / 64) * 8);
    }
  }
  const list = duckdb.data_chunk_get_vector(raw, PRIORS_POSITION);
  const { size, runs } = chunkPriors(c, scratch.entries);
  duckdb.list_vector_reserve(list, size);
  duckdb.list_vector_set_size(list, size);
  duckdb.copy_data_to_vector(list, 0, scratch.entries.buffer as ArrayBuffer, scratch.entries.byteOffset, n * 16);
  const child = duckdb.list_vector_get_child(list);
  let at = 0;
  for (const r of runs) {
    duckdb.copy_data_to_vector(child, at * 8, r.bytes.buffer as ArrayBuffer, r.bytes.byteOffset + r.at, r.count * 8);
    at += r.count;
  }
  return chunk;
};

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

export const openStore = async (
  path: string,
  { readOnly = false, memoryLimit, threads }: { readOnly?: boolean; memoryLimit?: string; threads?: number } = {},
): Promise<Store> => {
  if (readOnly && !existsSync(path)) throw new StoreError(`${path}: no such DuckDB file`);
  if (!readOnly) mkdirSync(dirname(path), { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, {
      ...(readOnly ? { access_mode: 'READ_ONLY' } : {}),
      memory_limit: memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      threads: String(threads ?? DEFAULT_THREADS),
      // A checkpoint rewrites the table's last row group: at the default 16 MB of WAL that happens every few rounds
      // (measured: 9.1 -> 7.4 s of CPU for 6,000 snapshots at 1 GB). The WAL is folded in at close either way.
      ...(readOnly ? {} : { checkpoint_threshold: DEFAULT_CHECKPOINT_THRESHOLD }),
    });
  } catch (err) {
    const msg = (err as Error).message;
    throw new StoreError(
      /lock/i.test(msg) ? `${path} is open in another process (a running projector holds it; stop it or use a replayed copy): ${msg}` : `${path}: ${msg}`,
    );
  }
  const c = await instance.connect();
  // The table layout is code: a file built by another layout is refused with the way out, not half-written.
  const layout = fnv1a64(new TextEncoder().encode(schemaSql()));
  const hasMeta = (await c.runAndReadAll("SELECT count(*) FROM information_schema.tables WHERE table_name = 'gexstream_meta'")).getRows()[0]?.[0];
  const hasTables = (await c.runAndReadAll("SELECT count(*) FROM information_schema.tables WHERE table_name = 'consumer_offsets'")).getRows()[0]?.[0];
  const stored = Number(hasMeta) > 0 ? (await c.runAndReadAll("SELECT value FROM gexstream_meta WHERE key = 'layout'")).getRows()[0]?.[0] : undefined;
  if ((stored !== undefined && stored !== layout) || (stored === undefined && Number(hasTables) > 0)) {
    c.closeSync();
    instance.closeSync();
    throw new StoreError(`${path} was built with another table layout than this gexstream's: rebuild it from the topics with \`gexstream replay --db NEW.duckdb\``);
  }
  const upserted = TABLE_NAMES.filter((t) => t !== 'gex_strikes' && !TABLES[t].append);
  if (!readOnly) {
    await c.run('CREATE TABLE IF NOT EXISTS gexstream_meta (key VARCHAR PRIMARY KEY, value VARCHAR)');
    await c.run(`INSERT OR REPLACE INTO gexstream_meta VALUES ('layout', '${layout}')`);
    for (const ddl of schemaSql().split(';\n').filter((x) => x.trim() !== '')) await c.run(ddl);
    for (const t of upserted) await c.run(`CREATE TEMP TABLE IF NOT EXISTS stage_${t} AS SELECT * FROM ${t} LIMIT 0`);
  }
  const columns = Object.fromEntries(TABLE_NAMES.map((t) => [t, [...TABLES[t].columns, ...TABLES[t].internal]])) as Record<TableName, Column[]>;
  const scratch = { key: new Uint32Array(CHUNK_ROWS * 2), entries: new Uint32Array(CHUNK_ROWS * 4), validity: new Uint32Array(VALIDITY_WORDS), chunk: DuckDBDataChunk.create(STRIKE_TYPES, 0) };

  const appendTo = async (target: string, t: TableName, rows: readonly Row[]): Promise<void> => {
    const a = await c.createAppender(target);
    try {
      appendRows(a, columns[t], rows);
    } finally {
      a.closeSync();
    }
  };

  let opened = false;
  const writeIn = async ({ rows, strikes = [], offsets }: WriteBatch): Promise<void> => {
    let chunks = strikes;
    const wide = rows.gex_strikes ?? [];
    if (wide.length > 0) {
      const b = createStrikeColumns();
      appendStrikeRows(b, wide);
      chunks = [...strikes, ...b.chunks()];
    }
    {
      // gex_snapshots first: a request seen before (a redriven snapshot keeps its request id) loses its earlier strike
      // rows, found by the key of its stored snapshot row, before that row is replaced.
      for (const t of upserted) {
        const rs = rows[t];
        if (rs === undefined || rs.length === 0) continue;
        // a fresh stage table: rows deleted from a temp table keep their space (the temp storage grew by ~100 MB a replay)
        await c.run(`CREATE OR REPLACE TEMP TABLE stage_${t} AS SELECT * FROM ${t} LIMIT 0`);
        await appendTo(`stage_${t}`, t, rs);
        if (t === 'gex_snapshots' && chunks.length > 0) {
          const seen = (await c.runAndReadAll(`SELECT ${SNAP_KEY_SQL('s')} FROM gex_snapshots s JOIN stage_gex_snapshots n USING (request_id)`)).getRows();
          if (seen.length > 0) await c.run(`DELETE FROM ${STRIKE_ROWS_TABLE} WHERE snap IN (${seen.map((r) => String(r[0])).join(', ')})`);
        }
        await c.run(`INSERT OR REPLACE INTO ${t} SELECT * FROM stage_${t}`);
      }
      for (const t of TABLE_NAMES) {
        const rs = rows[t];
        if (TABLES[t].append && rs !== undefined && rs.length > 0) await appendTo(t, t, rs);
      }
      if (chunks.length > 0) {
        const a = await c.createAppender(STRIKE_ROWS_TABLE);
        try {
          for (const ch of chunks) if (ch.rows > 0) a.appendDataChunk(strikeDataChunk(ch, scratch));
        } finally {
          a.closeSync();
        }
      }
      if (offsets.length > 0)
        await c.run(
          `INSERT INTO consumer_offsets VALUES ${offsets.map((o) => `(${quoteLiteral(o.topic)}, ${Math.trunc(o.partition)}, ${Math.trunc(o.next)}, now())`).join(', ')}
           ON CONFLICT (topic, "partition") DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at`,
        );
    }
  };

  const rollback = async (err: unknown): Promise<never> => {
    opened = false;
    await c.run('ROLLBACK').catch(() => undefined);
    throw err;
  };
  const append: Store['append'] = async (batch) => {
    if (!opened) {
      await c.run('BEGIN TRANSACTION');
      opened = true;
    }
    await writeIn(batch).catch(rollback);
  };
  const commit: Store['commit'] = async () => {
    if (!opened) return;
    await c.run('COMMIT').catch(rollback);
    opened = false;
  };
  const write: Store['write'] = async (batch) => {
    if (opened) throw new StoreError('write: a transaction of appends is open; commit it first');
    await append(batch);
    await commit();
  };

  const offsetsOf: Store['offsets'] = async () => {
    const r = await c.runAndReadAll('SELECT topic, "partition", next_offset FROM consumer_offsets ORDER BY topic, "partition"');
    return r.getRows().map(([topic, partition, next]) => ({ topic: String(topic), partition: Number(partition), next: Number(next) }));
  };

  const others: DuckDBConnection[] = [];
  return {
    path,
    threads: threads ?? DEFAULT_THREADS,
    connection: c,
    connect: async () => {
      const x = await instance.connect();
      others.push(x);
      return x;
    },
    write,
    append,
    commit,
    open: () => opened,
    offsets: offsetsOf,
    meta: async (key) => {
      const r = await c.runAndReadAll('SELECT value FROM gexstream_meta WHERE key = $key', { key });
      const v = r.getRows()[0]?.[0];
      return v === undefined || v === null ? null : String(v);
    },
    setMeta: async (key, value) => {
      await c.run('INSERT OR REPLACE INTO gexstream_meta VALUES ($key, $value)', { key, value });
    },
    checksums: () => tableChecksums(c, (t) => t),
    close: () => {
      for (const x of others) x.closeSync();
      c.closeSync();
      instance.closeSync();
    },
  };
};

/** Row count and order-independent checksum of each table; `source(t)` names what to read for table t (a table or a query). */
export const tableChecksums = async (c: DuckDBConnection, source: (t: TableName) => string, tables: readonly TableName[] = TABLE_NAMES): Promise<TableSum[]> => {
  const out: TableSum[] = [];
  for (const t of tables) {
    const cols = TABLES[t].columns.map((col) => quoteIdent(col.name)).join(', ');
    const r = await c.runAndReadAll(
      `SELECT count(*)::BIGINT, coalesce(sum(hash(${cols})::HUGEINT) % 18446744073709551616, 0)::UBIGINT FROM ${source(t)}`,
    );
    const [n, sum] = r.getRows()[0] ?? [0n, 0n];
    out.push({ table: t, rows: Number(n), checksum: BigInt(sum as bigint).toString(16).padStart(16, '0') });
  }
  return out;
};
