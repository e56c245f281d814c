// Benchmarks the projector on the local broker with W-day (23,400 processed snapshots x 100 strikes, plus 3 job events
// each) on scratch topics:
//  1. `gexstream replay` of W-day into a fresh DuckDB file and Parquet tree, end to end as a user runs it (child
//     process: wall time, snapshots/s, peak RSS), against the targets (<= 4 s, <= 300 MB);
//  2. in the same run, its bare ceilings without Kafka and Avro: the strike columns copied into DuckDB data chunks
//     (the projector's write path for strikes alone), and whole rounds through the store (every table, offsets);
//  3. with BENCH_PROJECTOR_BASELINE=DIR (another build's checkout, e.g. the commit before), that build's replay of the
//     same topics in each run, and after/before ratios.
//   node dist/bench/projector.js [SNAPSHOTS] [RUNS]
import { withRowSnapshot } from '../src/domain/v1Strikes.js';
import { strikeRows as rowsOfColumns } from '../src/domain/strikeColumns.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listParquet } from '../src/duckdb/parquet.js';
import { openStore, strikeDataChunk, STRIKE_ROWS_TABLE } from '../src/duckdb/store.js';
import { roundWrite } from '../src/domain/projection/round.js';
import { appendStrikes } from '../src/domain/projection/rows.js';
import { CHUNK_ROWS, createStrikeColumns, snapKey } from '../src/domain/projection/strikeColumns.js';
import { loadTopology } from '../src/resources.js';
import { generatedDay, isolatedProjection, projectedTopics, sendTruth } from '../tests/support/projection.js';
import { fmt, median } from './support.js';

const SNAPSHOTS = Number(process.argv[2] ?? 23_400);
const RUNS = Number(process.argv[3] ?? 3);
const ROUND = 400; // snapshots per round in the bare ceilings: about what a round of 1 MiB per partition holds
const baseline = process.env['BENCH_PROJECTOR_BASELINE'];
const dir = mkdtempSync(join(tmpdir(), 'gexstream-bench-proj-'));
// BENCH_PROJECTOR_TOPICS=PREFIX reuses topics a previous run filled with the same W-day (seed 5), and keeps them
const reuse = process.env['BENCH_PROJECTOR_TOPICS'];
const iso = reuse ? { prefix: reuse, topics: projectedTopics(loadTopology(reuse)), cleanup: async () => undefined } : await isolatedProjection('bench', 6);

/** `gexstream replay` from checkout `root` as a child process: wall seconds and peak RSS (MB). */
const replay = async (root: string, name: string, strikeRows: number): Promise<{ s: number; rss: number }> => {
  const db = join(dir, `${name}.duckdb`);
  const t = Date.now();
  const child = spawn(process.execPath, [...(process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_CPU_PROF']] : []), join(root, 'bin', 'gexstream.js'), 'replay', '--db', db, '--parquet', join(dir, `${name}-pq`), '--topic-prefix', iso.prefix, '--json'], {
    cwd: root,
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
  }, 20);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => child.on('exit', res));
  clearInterval(timer);
  if (code !== 0) throw new Error(`replay (${root}) exited ${code}`);
  const res = JSON.parse(out) as { tables: { table: string; rows: number }[] };
  const got = res.tables.find((x) => x.table === 'gex_strikes')?.rows;
  if (got !== strikeRows) throw new Error(`replay (${root}) wrote ${got} strike rows, expected ${strikeRows}`);
  return { s: (Date.now() - t) / 1000, rss: peak };
};

try {
  const t0 = Date.now();
  const truth = generatedDay({ seed: 5, count: SNAPSHOTS, strikes: 100 });
  if (!reuse) await sendTruth(iso.topics, truth);
  const strikeRows = truth.processed.reduce((a, p) => a + p.snapshot.strikes.count, 0);
  process.stderr.write(`W-day on scratch topics: ${fmt(truth.processed.length)} processed snapshots, ${fmt(strikeRows)} strike rows, ${fmt(truth.jobs.length)} job events in ${fmt((Date.now() - t0) / 1000, 1)} s\n`);

  const chunkTimes: number[] = [];
  const storeTimes: number[] = [];
  const replays: { s: number; rss: number }[] = [];
  const before: { s: number; rss: number }[] = [];
  for (let r = 0; r < RUNS; r++) {
    // bare 1: the strikes as columns, into data chunks, one transaction per round
    {
      const store = await openStore(join(dir, `chunks-${r}.duckdb`));
      const c = store.connection;
      const scratch = { key: new Uint32Array(CHUNK_ROWS * 2), entries: new Uint32Array(CHUNK_ROWS * 4), validity: new Uint32Array(CHUNK_ROWS >>> 5) };
      const t = process.hrtime.bigint();
      for (let s = 0; s < truth.processed.length; s += ROUND) {
        const b = createStrikeColumns();
        truth.processed.slice(s, s + ROUND).forEach((p, i) => appendStrikes(b, snapKey(0, s + i), rowsOfColumns(p.snapshot.strikes)) /* TEMP until project2 */);
        await c.run('BEGIN TRANSACTION');
        const a = await c.createAppender(STRIKE_ROWS_TABLE);
        for (const ch of b.chunks()) a.appendDataChunk(strikeDataChunk(ch, scratch));
        a.closeSync();
        await c.run('COMMIT');
      }
      chunkTimes.push(Number(process.hrtime.bigint() - t) / 1e9);
      store.close();
    }
    // bare 2: whole rounds (requests, snapshots, lineage upserts, job rows, strikes, offsets) through the store
    {
      const store = await openStore(join(dir, `store-${r}.duckdb`));
      const jobsOf = new Map<string, typeof truth.jobs>();
      for (const j of truth.jobs) (jobsOf.get(j.request_id) ?? jobsOf.set(j.request_id, []).get(j.request_id))?.push(j);
      const t = process.hrtime.bigint();
      for (let s = 0; s < truth.processed.length; s += ROUND) {
        const evs = truth.processed.slice(s, s + ROUND).flatMap((p, i) => [
          { kind: 'processed' as const, value: withRowSnapshot(p) /* TEMP until project2 */, at: { partition: 0, offset: s + i } },
          ...(jobsOf.get(p.request_id) ?? []).map((j) => ({ kind: 'jobs' as const, value: j })),
        ]);
        const w = roundWrite(evs);
        await store.write({ rows: w.rows, strikes: w.strikes, offsets: [{ topic: 'p', partition: 0, next: s + ROUND }, { topic: 'j', partition: 0, next: 3 * (s + ROUND) }] });
      }
      storeTimes.push(Number(process.hrtime.bigint() - t) / 1e9);
      store.close();
    }
    replays.push(await replay(process.cwd(), `replay-${r}`, strikeRows));
    if (baseline) before.push(await replay(baseline, `before-${r}`, strikeRows));
    process.stderr.write(
      `run ${r + 1}: strike chunks ${fmt(chunkTimes[r] ?? 0, 2)} s, store rounds ${fmt(storeTimes[r] ?? 0, 2)} s, replay ${fmt(replays[r]?.s ?? 0, 2)} s (peak RSS ${fmt(replays[r]?.rss ?? 0)} MB)` +
        (baseline ? `, baseline replay ${fmt(before[r]?.s ?? 0, 2)} s (peak RSS ${fmt(before[r]?.rss ?? 0)} MB)` : '') +
        '\n',
    );
  }
  const n = truth.processed.length;
  const us = (s: number): string => fmt((s * 1e6) / n);
  const ch = median(chunkTimes);
  const st = median(storeTimes);
  const rp = median(replays.map((x) => x.s));
  const rss = median(replays.map((x) => x.rss));
  console.log(`W-day: ${fmt(n)} processed snapshots, ${fmt(strikeRows)} strike rows, ${fmt(truth.jobs.length)} job events; median of ${RUNS}`);
  console.log(`  bare strike columns -> DuckDB data chunks:  ${fmt(ch, 2)} s  (${us(ch)} us per 100-strike snapshot)`);
  console.log(`  bare rounds through the store (all tables): ${fmt(st, 2)} s  (${us(st)} us per snapshot)`);
  console.log(`  replay end to end (child process: Kafka, Avro decode, rounds, Parquet): ${fmt(rp, 2)} s = ${fmt(n / rp)} snapshots/s (${us(rp)} us per snapshot), peak RSS ${fmt(rss)} MB`);
  console.log(`  targets: replay <= 4 s (${rp <= 4 ? 'met' : 'NOT met'}), RSS <= 300 MB (${rss <= 300 ? 'met' : 'NOT met'})`);
  console.log(`  replay / bare rounds: ${fmt(rp / st, 2)}x; replay / bare strike chunks: ${fmt(rp / ch, 2)}x`);
  if (baseline) {
    const bs = median(before.map((x) => x.s));
    const br = median(before.map((x) => x.rss));
    const ratios = replays.map((x, i) => (before[i]?.s ?? 0) / x.s);
    console.log(`  baseline ${baseline}: replay ${fmt(bs, 2)} s, peak RSS ${fmt(br)} MB; speed-up ${fmt(bs / rp, 1)}x (per run ${ratios.map((x) => fmt(x, 1)).join(', ')}), RSS ${fmt(br / rss, 1)}x smaller`);
  }
  console.log(`  Parquet tree of one replay: ${listParquet(join(dir, 'replay-0-pq')).length} files`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await iso.cleanup();
}
