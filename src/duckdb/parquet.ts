// Owns the Parquet audit tree written by DuckDB from the projector's tables: deterministic segment files
// <dir>/<table>/symbol=<ticker>/date=<yyyy-mm-dd>/<topic>-<partition>-<first offset>.parquet (zstd), and reading a tree back.
// Segments are written off the hot path, on a connection of their own: a complete segment once, in the background;
// open segments only when asked (idle projector, stop), never on a timer while rows flow.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { SNAP_PARTITION_STRIDE } from '../domain/projection/strikeColumns.js';
import { TABLES, type TableName } from '../domain/projection/tables.js';
import { quoteIdent, quoteLiteral, strikesSelect, tableChecksums, type Store, type TableSum } from './store.js';
import { DEFAULT_PARQUET_COMPRESSION, type ParquetCompression } from '../config.js';

/** The tables written to Parquet: the ones with a symbol and a date, fed by the processed-snapshot topic. */
export const PARQUET_TABLES = ['gex_snapshots', 'gex_strikes'] as const satisfies readonly TableName[];

/** Offsets of one processed-topic partition per segment: a segment's files are final once the projector has passed its end. */
export const DEFAULT_SEGMENT_OFFSETS = 8192;

const DUCKDB_CODEC: Record<ParquetCompression, string> = { snappy: 'SNAPPY', zstd: 'ZSTD', gzip: 'GZIP', lz4: 'LZ4_RAW', none: 'UNCOMPRESSED' };

export interface ParquetWriter {
  readonly dir: string;
  /** A round committed rows of `partition` from `firstOffset` up to (not including) `next`: segments now complete are queued. */
  readonly committed: (partition: number, firstOffset: number, next: number) => void;
  /** Writes the queued segments and every open segment with rows not yet on disk; resolves with the segments a round dirtied meanwhile (0: the tree holds every committed row). */
  readonly flush: () => Promise<number>;
  /** Open segments with rows not yet on disk. */
  readonly openSegments: () => number;
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
  { dir, topic, segmentOffsets = DEFAULT_SEGMENT_OFFSETS, compression = DEFAULT_PARQUET_COMPRESSION, onError }: { dir: string; topic: string; segmentOffsets?: number; compression?: ParquetCompression; onError?: (err: Error) => void },
): Promise<ParquetWriter> => {
  if (!Number.isInteger(segmentOffsets) || segmentOffsets < 1) throw new Error(`Parquet segments: expected a whole number of offsets >= 1, got ${segmentOffsets}`);
  const c: DuckDBConnection = await store.connect();
  mkdirSync(dir, { recursive: true });
  // Files already on disk per segment, so that a rewrite removes a file whose name it no longer produces.
  const files = new Map<string, Set<string>>();
  for (const p of listParquet(dir)) {
    const m = FILE.exec(p.slice(p.lastIndexOf('/') + 1));
    if (!m || m[1] !== topic) continue;
    const k = segKey({ partition: Number(m[2]), index: Math.floor(Number(m[3]) / segmentOffsets) });
    (files.get(k) ?? files.set(k, new Set()).get(k))?.add(p);
  }
  // Per partition: segments below `through` are final on disk; `next` is what DuckDB has committed.
  const through = new Map<number, number>();
  const next = new Map<number, number>();
  // segment -> generation: a round that adds rows to a segment while it is written bumps it, so the segment stays dirty
  const dirty = new Map<string, { readonly seg: Segment; readonly gen: number }>();
  let gen = 0;
  const markDirty = (s: Segment): void => {
    dirty.set(segKey(s), { seg: s, gen: ++gen });
  };
  const stored = (await c.runAndReadAll('SELECT "partition", through FROM parquet_segments WHERE topic = $topic', { topic })).getRows();
  for (const [p, t] of stored) through.set(Number(p), Number(t));
  for (const o of await store.offsets())
    if (o.topic === topic) {
      next.set(o.partition, o.next);
      // After a restart the files of these segments may predate the last committed rows: rewrite them.
      for (let i = Math.floor((through.get(o.partition) ?? 0) / segmentOffsets); i * segmentOffsets < o.next; i++) markDirty({ partition: o.partition, index: i });
    }
  let written = 0;

  const writeSegment = async (s: Segment): Promise<void> => {
    const lo = s.index * segmentOffsets;
    const hi = lo + segmentOffsets;
    const base = s.partition * SNAP_PARTITION_STRIDE;
    const sources: Record<(typeof PARQUET_TABLES)[number], { from: string; order: string }> = {
      gex_snapshots: { from: `(SELECT * FROM gex_snapshots WHERE src_partition = ${s.partition} AND src_offset >= ${lo} AND src_offset < ${hi})`, order: 'src_offset' },
      // the stored strike rows of the segment, by their snapshot key, joined to their snapshot for the wide shape
      // with one DuckDB thread the rows come in storage order, which is already (src_offset, strike): no sort of ~800,000
      // wide rows per segment; with more threads the join may interleave them, and they are sorted
      gex_strikes: { from: `(${strikesSelect(`k.snap >= ${base + lo} AND k.snap < ${base + hi}`)})`, order: store.threads === 1 ? '' : 'src_offset, strike' },
    };
    const now = new Set<string>();
    // one read transaction: every file of the segment sees the same committed rounds
    await c.run('BEGIN TRANSACTION');
    try {
    for (const table of PARQUET_TABLES) {
      const { from, order } = sources[table];
      const groups = await c.runAndReadAll(`SELECT ticker, snapshot_date, min(src_offset) FROM ${from} GROUP BY ALL ORDER BY ALL`);
      const cols = TABLES[table].columns.map((col) => quoteIdent(col.name)).join(', ');
      for (const [ticker, date, first] of groups.getRows()) {
        const d = join(dir, table, `symbol=${pathPart(String(ticker))}`, `date=${date === null ? '__HIVE_DEFAULT_PARTITION__' : pathPart(String(date))}`);
        mkdirSync(d, { recursive: true });
        const path = join(d, `${topic}-${s.partition}-${Number(first)}.parquet`);
        const where = `ticker = ${quoteLiteral(String(ticker))} AND snapshot_date ${date === null ? 'IS NULL' : `= ${quoteLiteral(String(date))}`}`;
        await c.run(`COPY (SELECT ${cols} FROM ${from} WHERE ${where}${order ? ` ORDER BY ${order}` : ''}) TO ${quoteLiteral(`${path}.tmp`)} (FORMAT PARQUET, COMPRESSION ${DUCKDB_CODEC[compression]})`);
        renameSync(`${path}.tmp`, path);
        now.add(path);
        written++;
      }
    }
    } finally {
      await c.run('COMMIT');
    }
    const k = segKey(s);
    for (const old of files.get(k) ?? []) if (!now.has(old)) rmSync(old, { force: true });
    files.set(k, now);
  };

  const setThrough = async (partition: number, to: number): Promise<void> => {
    through.set(partition, to);
    await c.run(
      `INSERT INTO parquet_segments VALUES ($topic, $partition, $through) ON CONFLICT (topic, "partition") DO UPDATE SET through = excluded.through`,
      { topic, partition, through: BigInt(to) },
    );
  };

  /** Writes the complete dirty segments of a partition in order and moves its `through` past them. */
  const writeComplete = async (partition: number): Promise<void> => {
    const from = through.get(partition) ?? 0;
    const upTo = next.get(partition) ?? 0;
    let done = from;
    for (let i = Math.floor(from / segmentOffsets); (i + 1) * segmentOffsets <= upTo; i++) {
      const s = { partition, index: i };
      if (dirty.has(segKey(s))) await writeSegment(s);
      dirty.delete(segKey(s));
      done = (i + 1) * segmentOffsets;
    }
    if (done !== from) await setThrough(partition, done);
  };

  // One background queue: segment writes never overlap each other, and a round never waits for them.
  let queue: Promise<void> = Promise.resolve();
  const queued = new Set<number>();
  const enqueue = (f: () => Promise<void>): Promise<void> => {
    const r = queue.then(f);
    queue = r.catch(() => undefined);
    return r;
  };

  return {
    dir,
    committed: (partition, firstOffset, upTo) => {
      next.set(partition, Math.max(next.get(partition) ?? 0, upTo));
      const from = through.get(partition) ?? 0;
      for (let i = Math.floor(Math.max(firstOffset, from) / segmentOffsets); i * segmentOffsets < upTo; i++) markDirty({ partition, index: i });
      if (Math.floor(upTo / segmentOffsets) * segmentOffsets > from && !queued.has(partition)) {
        queued.add(partition);
        enqueue(async () => {
          queued.delete(partition);
          await writeComplete(partition);
        }).catch((err: Error) => onError?.(err));
      }
    },
    flush: () =>
      enqueue(async () => {
        for (const p of next.keys()) await writeComplete(p);
        for (const { seg, gen: g } of [...dirty.values()]) {
          await writeSegment(seg);
          if (dirty.get(segKey(seg))?.gen === g) dirty.delete(segKey(seg));
        }
      }).then(() => dirty.size),
    openSegments: () => dirty.size,
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
