// Measures the DuckDB ceilings the projector is compared with: strike rows (100 per snapshot) appended in one transaction
// per batch, cell by cell (the old path), through data chunks of JS values, and as the projector writes them now (narrow
// table, typed-array columns copied into data chunks, src/duckdb/store.ts); and the same rows written to zstd Parquet.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOUBLE, DuckDBDataChunk, DuckDBInstance, VARCHAR } from '@duckdb/node-api';
import { appendStrikes } from '../src/domain/projection/rows.js';
import { CHUNK_ROWS, createStrikeColumns, snapKey } from '../src/domain/projection/strikeColumns.js';
import { blankStrike, type Strike } from '../src/domain/snapshot.js';
import { openStore, strikeDataChunk, STRIKE_ROWS_TABLE } from '../src/duckdb/store.js';
import { fmt, median } from './support.js';

const SNAPSHOTS = Number(process.argv[2] ?? 23_400);
const STRIKES = 100;
const RUNS = 3;
const dir = mkdtempSync(join(tmpdir(), 'gexstream-duckdb-'));
const appendTimes: number[] = [];
const chunkTimes: number[] = [];
const TYPES = [VARCHAR, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, VARCHAR, VARCHAR];
const parquetTimes: number[] = [];
const narrowTimes: number[] = [];
const strikes: Strike[] = Array.from({ length: STRIKES }, (_, i) => ({ ...blankStrike(6500 + 5 * i), gex_vol: i * 1.5, gex_oi: i * 2.5, call_oi: 1000 + i, put_oi: 900 + i, gamma: 0.001 * i, net_gex: i - 50, priors: [i, -i] }));
try {
  for (let r = 0; r < RUNS; r++) {
    const db = await DuckDBInstance.create(join(dir, `bench-${r}.duckdb`));
    const c = await db.connect();
    await c.run('CREATE TABLE gex_strikes (request_id VARCHAR, strike DOUBLE, gex_vol DOUBLE, gex_oi DOUBLE, call_oi DOUBLE, put_oi DOUBLE, gamma DOUBLE, net_gex DOUBLE, ticker VARCHAR, snapshot_date VARCHAR)');
    const t0 = process.hrtime.bigint();
    for (let s = 0; s < SNAPSHOTS; s += 200) {
      await c.run('BEGIN TRANSACTION');
      const a = await c.createAppender('gex_strikes');
      for (let k = s; k < Math.min(SNAPSHOTS, s + 200); k++) {
        const id = `req-${k}`;
        for (let i = 0; i < STRIKES; i++) {
          a.appendVarchar(id);
          a.appendDouble(6500 + 5 * i);
          a.appendDouble(i * 1.5);
          a.appendDouble(i * 2.5);
          a.appendDouble(1000 + i);
          a.appendDouble(900 + i);
          a.appendDouble(0.001 * i);
          a.appendDouble(i - 50);
          a.appendVarchar('SPX');
          a.appendVarchar('2025-11-07');
          a.endRow();
        }
      }
      a.closeSync();
      await c.run('COMMIT');
    }
    appendTimes.push(Number(process.hrtime.bigint() - t0) / 1e9);
    // columnar: one data chunk (<= 2048 rows) per 20 snapshots
    await c.run('CREATE TABLE strikes2 AS SELECT * FROM gex_strikes LIMIT 0');
    const t2 = process.hrtime.bigint();
    for (let s = 0; s < SNAPSHOTS; s += 200) {
      await c.run('BEGIN TRANSACTION');
      const a = await c.createAppender('strikes2');
      for (let k0 = s; k0 < Math.min(SNAPSHOTS, s + 200); k0 += 20) {
        const n = Math.min(20, SNAPSHOTS - k0) * STRIKES;
        const cols: (string | number)[][] = TYPES.map(() => new Array(n));
        let row = 0;
        for (let k = k0; k < k0 + n / STRIKES; k++)
          for (let i = 0; i < STRIKES; i++, row++) {
            (cols[0] as string[])[row] = `req-${k}`;
            (cols[1] as number[])[row] = 6500 + 5 * i;
            (cols[2] as number[])[row] = i * 1.5;
            (cols[3] as number[])[row] = i * 2.5;
            (cols[4] as number[])[row] = 1000 + i;
            (cols[5] as number[])[row] = 900 + i;
            (cols[6] as number[])[row] = 0.001 * i;
            (cols[7] as number[])[row] = i - 50;
            (cols[8] as string[])[row] = 'SPX';
            (cols[9] as string[])[row] = '2025-11-07';
          }
        const chunk = DuckDBDataChunk.create(TYPES, n);
        chunk.setColumns(cols);
        a.appendDataChunk(chunk);
      }
      a.closeSync();
      await c.run('COMMIT');
    }
    chunkTimes.push(Number(process.hrtime.bigint() - t2) / 1e9);
    // narrow: the projector's strike path (snapshot key, DOUBLEs, priors DOUBLE[]), 200 snapshots per transaction
    {
      const store = await openStore(join(dir, `narrow-${r}.duckdb`));
      const scratch = { key: new Uint32Array(CHUNK_ROWS * 2), entries: new Uint32Array(CHUNK_ROWS * 4), validity: new Uint32Array(CHUNK_ROWS >>> 5) };
      const t3 = process.hrtime.bigint();
      for (let s = 0; s < SNAPSHOTS; s += 200) {
        const b = createStrikeColumns();
        for (let k = s; k < Math.min(SNAPSHOTS, s + 200); k++) appendStrikes(b, snapKey(0, k), strikes);
        await store.connection.run('BEGIN TRANSACTION');
        const a = await store.connection.createAppender(STRIKE_ROWS_TABLE);
        for (const ch of b.chunks()) a.appendDataChunk(strikeDataChunk(ch, scratch));
        a.closeSync();
        await store.connection.run('COMMIT');
      }
      narrowTimes.push(Number(process.hrtime.bigint() - t3) / 1e9);
      store.close();
    }
    const t1 = process.hrtime.bigint();
    await c.run(`COPY gex_strikes TO '${join(dir, `p-${r}`)}' (FORMAT PARQUET, COMPRESSION ZSTD, PARTITION_BY (ticker, snapshot_date))`);
    parquetTimes.push(Number(process.hrtime.bigint() - t1) / 1e9);
    c.closeSync();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const rows = SNAPSHOTS * STRIKES;
console.log(`DuckDB appender: ${fmt(rows)} strike rows (${fmt(SNAPSHOTS)} snapshots x ${STRIKES}), batches of 200 snapshots per transaction, median of ${RUNS}`);
console.log(`  appender  ${fmt(rows / median(appendTimes)).padStart(11)} rows/s  ${fmt(median(appendTimes), 2)} s  (${fmt((median(appendTimes) * 1e6) / SNAPSHOTS)} us per 100-row snapshot)`);
console.log(`  data chunks ${fmt(rows / median(chunkTimes)).padStart(11)} rows/s  ${fmt(median(chunkTimes), 2)} s  (${fmt((median(chunkTimes) * 1e6) / SNAPSHOTS)} us per 100-row snapshot)`);
console.log(`  narrow chunks (the projector's strike path) ${fmt(rows / median(narrowTimes)).padStart(11)} rows/s  ${fmt(median(narrowTimes), 2)} s  (${fmt((median(narrowTimes) * 1e6) / SNAPSHOTS)} us per 100-row snapshot); appender / narrow ${fmt(median(appendTimes) / median(narrowTimes), 1)}x`);
console.log(`  Parquet (zstd, hive-partitioned) from DuckDB  ${fmt(rows / median(parquetTimes)).padStart(11)} rows/s  ${fmt(median(parquetTimes), 2)} s`);
