// Benchmarks the projector on the local broker with W-day (23,400 processed snapshots x 100 strikes, plus 3 job events
// each) on scratch topics:
//  1. `gexstream replay` of W-day into a fresh DuckDB file and Parquet tree, end to end as a user runs it (child
//     process: wall time, strike rows/s, peak RSS), next to the bare DuckDB appender rate for the same strike rows
//     measured in the same run (no Kafka, no decode, no upserts);
//  (DuckDB writes the Parquet: parquetjs was measured 41x slower on the same rows and has left the dependencies.)
//   node dist/bench/projector.js [SNAPSHOTS] [RUNS]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listParquet } from '../src/duckdb/parquet.js';
import { openStore } from '../src/duckdb/store.js';
import { rowsOfProcessed } from '../src/domain/projection/rows.js';
import { TABLES } from '../src/domain/projection/tables.js';
import type { Row } from '../src/domain/projection/tables.js';
import { generatedDay, isolatedProjection, sendTruth } from '../tests/support/projection.js';
import { fmt, median } from './support.js';

const SNAPSHOTS = Number(process.argv[2] ?? 23_400);
const RUNS = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'gexstream-bench-proj-'));
const iso = await isolatedProjection('bench', 6);
try {
  const t0 = Date.now();
  const truth = generatedDay({ seed: 5, count: SNAPSHOTS, strikes: 100 });
  await sendTruth(iso.topics, truth);
  const strikeRows = truth.processed.reduce((a, p) => a + p.snapshot.strikes.length, 0);
  process.stderr.write(`W-day on scratch topics: ${fmt(truth.processed.length)} processed snapshots, ${fmt(strikeRows)} strike rows, ${fmt(truth.jobs.length)} job events in ${fmt((Date.now() - t0) / 1000, 1)} s\n`);

  // the strike rows as the fold makes them, for the bare appender
  const rows: Row[][] = truth.processed.map((p, i) => rowsOfProcessed(p, { partition: 0, offset: i }).gex_strikes);
  const cols = [...TABLES.gex_strikes.columns, ...TABLES.gex_strikes.internal];

  const bare: number[] = [];
  const replay: number[] = [];
  const rss: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    // 1a. bare appender: the same rows, 400 snapshots per transaction, into the same table layout
    {
      const store = await openStore(join(dir, `bare-${r}.duckdb`));
      const c = store.connection;
      const t = process.hrtime.bigint();
      for (let s = 0; s < rows.length; s += 400) {
        await c.run('BEGIN TRANSACTION');
        const a = await c.createAppender('gex_strikes');
        for (const snap of rows.slice(s, s + 400))
          for (const row of snap) {
            for (const col of cols) {
              const v = row[col.name] ?? null;
              if (v === null) a.appendNull();
              else if (col.type === 'DOUBLE') a.appendDouble(v as number);
              else if (col.type === 'VARCHAR') a.appendVarchar(v as string);
              else if (col.type === 'INTEGER') a.appendInteger(v as number);
              else a.appendBigInt(BigInt(v as number));
            }
            a.endRow();
          }
        a.closeSync();
        await c.run('COMMIT');
      }
      bare.push(Number(process.hrtime.bigint() - t) / 1e9);
      store.close();
    }
    // 1b. replay end to end, as a child process
    {
      const db = join(dir, `replay-${r}.duckdb`);
      const t = Date.now();
      const child = spawn(process.execPath, [...(process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_CPU_PROF']] : []), join(process.cwd(), 'bin', 'gexstream.js'), 'replay', '--db', db, '--parquet', join(dir, `pq-${r}`), '--topic-prefix', iso.prefix, '--json'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, GEXSTREAM_LOG_LEVEL: 'warn' },
      });
      let peak = 0;
      const timer = setInterval(() => {
        try {
          const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) peak = Math.max(peak, Number(m[1]) / 1024);
        } catch {
          // exited
        }
      }, 50);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((res) => child.on('exit', res));
      clearInterval(timer);
      if (code !== 0) throw new Error(`replay exited ${code}`);
      const res = JSON.parse(out) as { tables: { table: string; rows: number }[] };
      const got = res.tables.find((x) => x.table === 'gex_strikes')?.rows;
      if (got !== strikeRows) throw new Error(`replay wrote ${got} strike rows, expected ${strikeRows}`);
      replay.push((Date.now() - t) / 1000);
      rss.push(peak);
    }
    process.stderr.write(`run ${r + 1}: bare appender ${fmt(bare[r] ?? 0, 2)} s, replay ${fmt(replay[r] ?? 0, 2)} s (peak RSS ${fmt(rss[r] ?? 0)} MB)\n`);
  }
  const b = median(bare);
  const rp = median(replay);
  const ratios = replay.map((x, i) => x / (bare[i] as number));
  console.log(`bare DuckDB appender:  ${fmt(strikeRows / b)} strike rows/s (${fmt(b, 2)} s for ${fmt(strikeRows)} rows; median of ${RUNS})`);
  console.log(`replay W-day end to end (child process: Kafka read, Avro decode, fold, DuckDB upserts + offsets, Parquet): ${fmt(rp, 2)} s = ${fmt(truth.processed.length / rp)} snapshots/s, ${fmt(strikeRows / rp)} strike rows/s, ${fmt((truth.processed.length + truth.jobs.length) / rp)} events/s`);
  console.log(`replay / bare appender time: median ${fmt(median(ratios), 2)}x (per run ${ratios.map((x) => fmt(x, 2)).join(', ')}); projector peak RSS median ${fmt(median(rss))} MB`);

  console.log(`Parquet tree of one replay: ${listParquet(join(dir, 'pq-0')).length} files`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await iso.cleanup();
}
