// Owns the projector's DuckDB file: the tables of src/domain/projection/tables.ts, upserts of a batch's rows together with
// the consumed offsets that produced them in one transaction, and the per-table checksum.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { fnv1a64 } from '../domain/projection/checksum.js';
import { TABLES, TABLE_NAMES, type Cell, type ColumnType, type Row, type TableName } from '../domain/projection/tables.js';

/**
 * gex_strikes carries no primary-key index (millions of rows a day): its rows are replaced per request, when the
 * request's gex_snapshots row already exists. Every other table upserts through its primary key.
 */
const UNINDEXED: ReadonlySet<TableName> = new Set(['gex_strikes']);

export interface Position {
  readonly topic: string;
  readonly partition: number;
}

export interface WriteBatch {
  readonly rows: Partial<Record<TableName, readonly Row[]>>;
  /** Next offset to consume, per topic-partition, committed with the rows. */
  readonly offsets: ReadonlyArray<Position & { readonly next: number }>;
}

export interface StoredOffset extends Position {
  readonly next: number;
  /** Parquet segments are complete below this offset. */
  readonly parquetThrough: number;
}

export interface TableSum {
  readonly table: TableName;
  readonly rows: number;
  /** Order-independent: the sum modulo 2^64 of DuckDB's hash() of each row's declared columns, as 16 hex digits. */
  readonly checksum: string;
}

export interface Store {
  readonly path: string;
  readonly connection: DuckDBConnection;
  readonly write: (batch: WriteBatch) => Promise<void>;
  readonly offsets: () => Promise<StoredOffset[]>;
  readonly setParquetThrough: (p: Position, through: number) => Promise<void>;
  readonly checksums: () => Promise<TableSum[]>;
  readonly close: () => void;
}

const sqlType = (t: ColumnType): string => t;
export const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;
export const quoteLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`;

const ddl = (t: TableName): string => {
  const spec = TABLES[t];
  const cols = [...spec.columns, ...spec.internal].map((c) => `${quoteIdent(c.name)} ${sqlType(c.type)}`);
  const pk = UNINDEXED.has(t) ? '' : `, PRIMARY KEY (${spec.primaryKey.map(quoteIdent).join(', ')})`;
  return `CREATE TABLE IF NOT EXISTS ${t} (${cols.join(', ')}${pk})`;
};

/** The DDL of every table, for docs and for tools that want the layout without opening a file. */
export const schemaSql = (): string => [...TABLE_NAMES.map(ddl), OFFSETS_DDL].join(';\n') + ';\n';

const OFFSETS_DDL =
  'CREATE TABLE IF NOT EXISTS consumer_offsets (topic VARCHAR, "partition" INTEGER, next_offset BIGINT, parquet_through BIGINT, updated_at TIMESTAMP, PRIMARY KEY (topic, "partition"))';

type Append = (a: DuckDBAppender, v: Cell) => void;
const appender = (t: ColumnType): Append => {
  switch (t) {
    case 'VARCHAR':
      return (a, v) => (v === null ? a.appendNull() : a.appendVarchar(String(v)));
    case 'DOUBLE':
      return (a, v) => (v === null || typeof v !== 'number' ? a.appendNull() : a.appendDouble(v));
    case 'BIGINT':
      return (a, v) => (v === null || typeof v !== 'number' || !Number.isFinite(v) ? a.appendNull() : a.appendBigInt(BigInt(Math.trunc(v))));
    case 'INTEGER':
      return (a, v) => (v === null || typeof v !== 'number' || !Number.isFinite(v) ? a.appendNull() : a.appendInteger(Math.trunc(v)));
    case 'BOOLEAN':
      return (a, v) => (v === null ? a.appendNull() : a.appendBoolean(Boolean(v)));
    case 'BLOB':
      return (a, v) => (v instanceof Uint8Array ? a.appendBlob(v) : a.appendNull());
  }
};

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

export const openStore = async (path: string, { readOnly = false, memoryLimit, threads }: { readOnly?: boolean; memoryLimit?: string; threads?: number } = {}): Promise<Store> => {
  if (readOnly && !existsSync(path)) throw new StoreError(`${path}: no such DuckDB file`);
  if (!readOnly) mkdirSync(dirname(path), { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { ...(readOnly ? { access_mode: 'READ_ONLY' } : {}), ...(memoryLimit ? { memory_limit: memoryLimit } : {}), ...(threads ? { threads: String(threads) } : {}) });
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
  if (!readOnly) {
    await c.run('CREATE TABLE IF NOT EXISTS gexstream_meta (key VARCHAR PRIMARY KEY, value VARCHAR)');
    await c.run(`INSERT OR REPLACE INTO gexstream_meta VALUES ('layout', '${layout}')`);
    for (const t of TABLE_NAMES) await c.run(ddl(t));
    await c.run(OFFSETS_DDL);
    for (const t of TABLE_NAMES) if (!UNINDEXED.has(t)) await c.run(`CREATE TEMP TABLE IF NOT EXISTS stage_${t} AS SELECT * FROM ${t} LIMIT 0`);
  }
  const columns = Object.fromEntries(
    TABLE_NAMES.map((t) => [t, [...TABLES[t].columns, ...TABLES[t].internal].map((col) => ({ name: col.name, append: appender(col.type) }))]),
  ) as Record<
    TableName,
    { name: string; append: Append }[]
  >;

  const appendRows = (a: DuckDBAppender, t: TableName, rows: readonly Row[]): void => {
    const cols = columns[t];
    for (const r of rows) {
      for (const col of cols) col.append(a, r[col.name] ?? null);
      a.endRow();
    }
  };

  const write: Store['write'] = async ({ rows, offsets }) => {
    await c.run('BEGIN TRANSACTION');
    try {
      // Strikes replace by request (tables.ts replaceBy): a request seen before (a redriven snapshot keeps its request
      // id) loses its earlier strike rows. Its snapshot row tells, through the gex_snapshots key index, whether it was
      // seen, so the unindexed strike table is only scanned when one was.
      const snaps = rows.gex_snapshots ?? [];
      if (snaps.length > 0 && (rows.gex_strikes?.length ?? 0) > 0) {
        await c.run('DELETE FROM stage_gex_snapshots');
        const a = await c.createAppender('stage_gex_snapshots');
        appendRows(a, 'gex_snapshots', snaps);
        a.closeSync();
        const seen = (await c.runAndReadAll('SELECT s.request_id FROM gex_snapshots s JOIN stage_gex_snapshots n USING (request_id)')).getRows();
        if (seen.length > 0) await c.run(`DELETE FROM gex_strikes WHERE request_id IN (${seen.map((r) => quoteLiteral(String(r[0]))).join(', ')})`);
      }
      for (const t of TABLE_NAMES) {
        const rs = rows[t];
        if (rs === undefined || rs.length === 0) continue;
        if (UNINDEXED.has(t)) {
          const a = await c.createAppender(t);
          appendRows(a, t, rs);
          a.closeSync();
          continue;
        }
        await c.run(`DELETE FROM stage_${t}`);
        const a = await c.createAppender(`stage_${t}`);
        appendRows(a, t, rs);
        a.closeSync();
        await c.run(`INSERT OR REPLACE INTO ${t} SELECT * FROM stage_${t}`);
      }
      for (const o of offsets)
        await c.run(
          `INSERT INTO consumer_offsets VALUES ($topic, $partition, $next, 0, now()) ON CONFLICT (topic, "partition") DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at`,
          { topic: o.topic, partition: o.partition, next: BigInt(o.next) },
        );
      await c.run('COMMIT');
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };

  const offsetsOf: Store['offsets'] = async () => {
    const r = await c.runAndReadAll('SELECT topic, "partition", next_offset, parquet_through FROM consumer_offsets ORDER BY topic, "partition"');
    return r.getRows().map(([topic, partition, next, through]) => ({
      topic: String(topic),
      partition: Number(partition),
      next: Number(next),
      parquetThrough: Number(through),
    }));
  };

  const setParquetThrough: Store['setParquetThrough'] = async (p, through) => {
    await c.run(
      `INSERT INTO consumer_offsets VALUES ($topic, $partition, 0, $through, now()) ON CONFLICT (topic, "partition") DO UPDATE SET parquet_through = excluded.parquet_through`,
      { topic: p.topic, partition: p.partition, through: BigInt(through) },
    );
  };

  return {
    path,
    connection: c,
    write,
    offsets: offsetsOf,
    setParquetThrough,
    checksums: () => tableChecksums(c, (t) => t),
    close: () => {
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
