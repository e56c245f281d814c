// Owns the Parquet audit tree written by DuckDB from the projector's tables: deterministic segment files
// <dir>/<table>/symbol=<ticker>/date=<yyyy-mm-dd>/<topic>-<partition>-<first offset>.parquet (zstd), and reading a tree back.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { TABLES, type TableName } from '../domain/projection/tables.js';
import { quoteIdent, quoteLiteral, tableChecksums, type Store, type TableSum } from './store.js';

/** The tables written to Parquet: the ones with a symbol and a date, fed by the processed-snapshot topic. */
export const PARQUET_TABLES = ['gex_snapshots', 'gex_strikes'] as const satisfies readonly TableName[];

/** Offsets of one processed-topic partition per segment: a segment's files are final once the projector has passed its end. */
export const DEFAULT_SEGMENT_OFFSETS = 8192;

export interface ParquetWriter {
  readonly dir: string;
  /** Rows up to (not including) `next` of `partition` are committed to DuckDB: writes the segments that are now complete. */
  readonly committed: (partition: number, firstOffset: number, next: number) => Promise<void>;
  /** Writes the segments still open (time-based flush, and at stop): they are rewritten under the same names as they grow. */
  readonly flushOpen: () => Promise<number>;
  readonly filesWritten: () => number;
}

const FILE = /^(.+)-(\d+)-(\d+)\.parquet$/;
const pathPart = (v: string): string => encodeURIComponent(v);

interface Segment {
  readonly partition: number;
  readonly index: number;
}
const segKey = (s: Segment): string => `${s.partition}/${s.index}`;

/** Every Parquet file under dir (recursively), and removes the temporary files a killed writer left. */
export const listParquet = (dir: string): string[] => {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.parquet.tmp')) rmSync(p, { force: true });
      else if (name.endsWith('.parquet')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
};

export const createParquetWriter = async (
  store: Store,
  { dir, topic, segmentOffsets = DEFAULT_SEGMENT_OFFSETS }: { dir: string; topic: string; segmentOffsets?: number },
): Promise<ParquetWriter> => {
  if (!Number.isInteger(segmentOffsets) || segmentOffsets < 1) throw new Error(`Parquet segments: expected a whole number of offsets >= 1, got ${segmentOffsets}`);
  const c = store.connection;
  mkdirSync(dir, { recursive: true });
  // Files already on disk per segment, so that a rewrite removes a file whose name it no longer produces.
  const files = new Map<string, Set<string>>();
  for (const p of listParquet(dir)) {
    const m = FILE.exec(p.slice(p.lastIndexOf('/') + 1));
    if (!m || m[1] !== topic) continue;
    const k = segKey({ partition: Number(m[2]), index: Math.floor(Number(m[3]) / segmentOffsets) });
    (files.get(k) ?? files.set(k, new Set()).get(k))?.add(p);
  }
  // Per partition: segments below `through` are final on disk; open segments may need a (re)write.
  const through = new Map<number, number>();
  const dirty = new Map<string, Segment>();
  for (const o of await store.offsets())
    if (o.topic === topic) {
      through.set(o.partition, o.parquetThrough);
      // After a restart the files of these segments may predate the last committed rows: rewrite them.
      for (let i = Math.floor(o.parquetThrough / segmentOffsets); i * segmentOffsets < o.next; i++) dirty.set(segKey({ partition: o.partition, index: i }), { partition: o.partition, index: i });
    }
  let written = 0;

  const writeSegment = async (s: Segment): Promise<void> => {
    const lo = s.index * segmentOffsets;
    const hi = lo + segmentOffsets;
    const range = `src_partition = ${s.partition} AND src_offset >= ${lo} AND src_offset < ${hi}`;
    const now = new Set<string>();
    for (const table of PARQUET_TABLES) {
      const groups = await c.runAndReadAll(`SELECT ticker, snapshot_date, min(src_offset) FROM ${table} WHERE ${range} GROUP BY ALL ORDER BY ALL`);
      const cols = TABLES[table].columns.map((col) => quoteIdent(col.name)).join(', ');
      const order = table === 'gex_strikes' ? 'src_offset, strike' : 'src_offset';
      for (const [ticker, date, first] of groups.getRows()) {
        const d = join(dir, table, `symbol=${pathPart(String(ticker))}`, `date=${date === null ? '__HIVE_DEFAULT_PARTITION__' : pathPart(String(date))}`);
        mkdirSync(d, { recursive: true });
        const path = join(d, `${topic}-${s.partition}-${Number(first)}.parquet`);
        const where = `${range} AND ticker = ${quoteLiteral(String(ticker))} AND snapshot_date ${date === null ? 'IS NULL' : `= ${quoteLiteral(String(date))}`}`;
        await c.run(
          `COPY (SELECT ${cols} FROM ${table} WHERE ${where} ORDER BY ${order}) TO ${quoteLiteral(`${path}.tmp`)} (FORMAT PARQUET, COMPRESSION ZSTD)`,
        );
        renameSync(`${path}.tmp`, path);
        now.add(path);
        written++;
      }
    }
    const k = segKey(s);
    for (const old of files.get(k) ?? []) if (!now.has(old)) rmSync(old, { force: true });
    files.set(k, now);
  };

  return {
    dir,
    committed: async (partition, firstOffset, next) => {
      const from = through.get(partition) ?? 0;
      for (let i = Math.floor(Math.max(firstOffset, from) / segmentOffsets); i * segmentOffsets < next; i++)
        dirty.set(segKey({ partition, index: i }), { partition, index: i });
      let done = from;
      for (let i = Math.floor(from / segmentOffsets); (i + 1) * segmentOffsets <= next; i++) {
        const s = { partition, index: i };
        await writeSegment(s);
        dirty.delete(segKey(s));
        done = (i + 1) * segmentOffsets;
      }
      if (done !== from) {
        through.set(partition, done);
        await store.setParquetThrough({ topic, partition }, done);
      }
    },
    flushOpen: async () => {
      const open = [...dirty.values()];
      dirty.clear();
      for (const s of open) await writeSegment(s);
      return open.length;
    },
    filesWritten: () => written,
  };
};

/** Row count and checksum per table of a Parquet tree, with the table's upsert semantics: the row of the latest file wins per key. */
export const auditParquet = async (c: DuckDBConnection, dir: string): Promise<{ sums: TableSum[]; files: number }> => {
  const all = listParquet(dir);
  const sums: TableSum[] = [];
  for (const table of PARQUET_TABLES) {
    const tableFiles = all.filter((p) => p.startsWith(join(dir, table) + '/'));
    if (tableFiles.length === 0) {
      sums.push({ table, rows: 0, checksum: '0'.padStart(16, '0') });
      continue;
    }
    const list = `[${tableFiles.map(quoteLiteral).join(', ')}]`;
    const key = TABLES[table].primaryKey.map(quoteIdent).join(', ');
    // A file's name carries its partition and first offset: the newest copy of a key is the one from the later file.
    const source = `(SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY
      CAST(regexp_extract(filename, '-(\\d+)-(\\d+)\\.parquet$', 2) AS BIGINT) DESC) AS rn
      FROM read_parquet(${list}, hive_partitioning = true, filename = true, union_by_name = true)) WHERE rn = 1)`;
    sums.push(...(await tableChecksums(c, () => source, [table])));
  }
  return { sums, files: all.length };
};
