// Benchmarks the projector on the local broker with W-day (23,400 processed snapshots x 100 strikes from the generator's
// W-day feed, plus 3 job events each) on scratch topics, the processed topic in v2 (io.gexstream.v2.ProcessedSnapshot,
// encoded here with avsc):
//  1. `gexstream replay` of W-day into a fresh DuckDB file and Parquet tree, end to end as a user runs it (child
//     process: wall time, snapshots/s, peak RSS, CPU per snapshot), against the targets (<= 4 s, <= 300 MB);
//  2. in the same run, its bare ceilings without Kafka: decoding the v2 messages alone (envelope + strike columns
//     located in place), rounds into chunk arrays alone, and appending alone (whole rounds through the store, every
//     table and the offsets; and the strike chunks only);
//  3. with BENCH_PROJECTOR_BASELINE=DIR (another build's checkout, e.g. the commit before, which reads processed v1),
//     that build's replay of the same W-day from topics of its own (processed v1) in each run, and after/before ratios.
//   node dist/bench/projector.js [SNAPSHOTS] [RUNS]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listParquet } from '../src/duckdb/parquet.js';
import { openStore, strikeDataChunk, STRIKE_ROWS_TABLE } from '../src/duckdb/store.js';
import { roundWrite, type RoundEvent } from '../src/domain/projection/round.js';
import { CHUNK_ROWS } from '../src/domain/projection/strikeColumns.js';
import type { ProcessedColumnar } from '../src/domain/projection/strikeColumnsReader.js';
import { createProcessedDecoder } from '../src/registry/processedReader.js';
import { avroType, loadSchemas, schemaJson } from '../src/registry/schemas.js';
import { schemasDir } from '../src/resources.js';
import { loadTopology } from '../src/resources.js';
import { generatedDay, isolatedProjection, projectedTopics, sendTruth } from '../tests/support/projection.js';
import { PROCESSED_V2_SCHEMA, processedV2Value } from '../tests/support/processedV2.js';
import { fmt, median } from './support.js';

const SNAPSHOTS = Number(process.argv[2] ?? 23_400);
const RUNS = Number(process.argv[3] ?? 3);
const ROUND = 2_000; // snapshots per round in the bare ceilings: about what a replay round of 4 MiB per partition holds
const baseline = process.env['BENCH_PROJECTOR_BASELINE'];
const dir = mkdtempSync(join(tmpdir(), 'gexstream-bench-proj-'));
const CLK_TCK = 100; // /proc/<pid>/stat ticks per second on Linux
// BENCH_PROJECTOR_TOPICS=PREFIX reuses topics a previous run filled with the same W-day (seed 5), and keeps them
// (and BENCH_PROJECTOR_TOPICS_V1=PREFIX the baseline's set, with processed v1)
const reuse = process.env['BENCH_PROJECTOR_TOPICS'];
const reuseV1 = process.env['BENCH_PROJECTOR_TOPICS_V1'];
const iso = reuse ? { prefix: reuse, topics: projectedTopics(loadTopology(reuse)), cleanup: async () => undefined } : await isolatedProjection('bench', 6);
const isoV1 = !baseline ? null : reuseV1 ? { prefix: reuseV1, topics: projectedTopics(loadTopology(reuseV1)), cleanup: async () => undefined } : null; // processed v1 is retired: a baseline build's topics are filled by that build (BENCH_PROJECTOR_TOPICS_V1)

interface Replay {
  readonly s: number;
  readonly rss: number;
  /** CPU seconds (user + system) of the replay process, all its threads. */
  readonly cpu: number;
}

/** `gexstream replay` from checkout `root` as a child process: wall seconds, peak RSS (MB), CPU seconds. */
const replay = async (root: string, prefix: string, name: string, strikeRows: number): Promise<Replay> => {
  const db = join(dir, `${name}.duckdb`);
  const t = Date.now();
  const child = spawn(process.execPath, [...(process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_CPU_PROF']] : []), join(root, 'bin', 'gexstream.js'), 'replay', '--db', db, '--parquet', join(dir, `${name}-pq`), '--topic-prefix', prefix, '--json'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, GEXSTREAM_LOG_LEVEL: 'warn' },
  });
  let peak = 0;
  let cpu = 0;
  const sample = (): void => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu = (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime
    } catch {
      // exited
    }
  };
  const timer = setInterval(sample, 20);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => child.on('exit', res));
  clearInterval(timer);
  if (code !== 0) throw new Error(`replay (${root}) exited ${code}`);
  const res = JSON.parse(out) as { tables: { table: string; rows: number; checksum: string }[] };
  const got = res.tables.find((x) => x.table === 'gex_strikes')?.rows;
  if (got !== strikeRows) throw new Error(`replay (${root}) wrote ${got} strike rows, expected ${strikeRows}`);
  sums.set(name, res.tables.map((x) => `${x.table}:${x.rows}:${x.checksum}`).join(' '));
  return { s: (Date.now() - t) / 1000, rss: peak, cpu };
};
const sums = new Map<string, string>();

const seconds = async (f: () => Promise<void> | void): Promise<number> => {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e9;
};

try {
  const t0 = Date.now();
  const truth = generatedDay({ seed: 5, count: SNAPSHOTS, strikes: 100 });
  if (!reuse) await sendTruth(iso.topics, truth);
  if (isoV1 && !reuseV1) await sendTruth(isoV1.topics, truth);
  // the v2 bodies as the processor writes them (without the 5-byte Confluent header)
  const v2 = schemaJson(loadSchemas(schemasDir), PROCESSED_V2_SCHEMA);
  const v2Type = avroType(v2);
  const bodies = truth.processed.map((p) => v2Type.toBuffer(processedV2Value(p)));
  const bytes = bodies.reduce((a, b) => a + b.length, 0);
  const countOf = createProcessedDecoder(v2);
  const strikeRows = bodies.reduce((a, b) => a + countOf(b).snapshot.strikes.count, 0);
  process.stderr.write(
    `W-day on scratch topics: ${fmt(truth.processed.length)} processed snapshots (v2: ${fmt(bytes / truth.processed.length)} B each), ${fmt(strikeRows)} strike rows, ${fmt(truth.jobs.length)} job events in ${fmt((Date.now() - t0) / 1000, 1)} s\n`,
  );
  const jobsOf = new Map<string, typeof truth.jobs>();
  for (const j of truth.jobs) (jobsOf.get(j.request_id) ?? jobsOf.set(j.request_id, []).get(j.request_id))?.push(j);

  const decodeTimes: number[] = [];
  const roundTimes: number[] = [];
  const chunkTimes: number[] = [];
  const storeTimes: number[] = [];
  const replays: Replay[] = [];
  const before: Replay[] = [];
  for (let r = 0; r < RUNS; r++) {
    // bare 1: decoding alone (envelope and snapshot fields with avsc, strike columns located in place)
    const decode = createProcessedDecoder(v2);
    let decoded: ProcessedColumnar[] = [];
    decodeTimes.push(await seconds(() => void (decoded = bodies.map((b) => decode(b)))));
    // bare 2: rounds alone: every event of a round into rows and chunk arrays (strike bytes copied out of the messages)
    const rounds: { w: ReturnType<typeof roundWrite>; next: number }[] = [];
    roundTimes.push(
      await seconds(() => {
        for (let s = 0; s < decoded.length; s += ROUND) {
          const evs: RoundEvent[] = decoded.slice(s, s + ROUND).flatMap((p, i) => [
            { kind: 'processed' as const, value: p, at: { partition: 0, offset: s + i } },
            ...(jobsOf.get(p.request_id) ?? []).map((j) => ({ kind: 'jobs' as const, value: j })),
          ]);
          rounds.push({ w: roundWrite(evs), next: Math.min(decoded.length, s + ROUND) });
        }
      }),
    );
    decoded = [];
    // bare 3: appending alone, strike chunks only, one transaction per round
    {
      const store = await openStore(join(dir, `chunks-${r}.duckdb`));
      const c = store.connection;
      const scratch = { key: new Uint32Array(CHUNK_ROWS * 2), entries: new Uint32Array(CHUNK_ROWS * 4), validity: new Uint32Array(CHUNK_ROWS >>> 5) };
      chunkTimes.push(
        await seconds(async () => {
          for (const { w } of rounds) {
            await c.run('BEGIN TRANSACTION');
            const a = await c.createAppender(STRIKE_ROWS_TABLE);
            for (const ch of w.strikes) a.appendDataChunk(strikeDataChunk(ch, scratch));
            a.closeSync();
            await c.run('COMMIT');
          }
          store.close();
        }),
      );
    }
    // bare 4: appending alone, whole rounds (requests, snapshots, lineage upserts, job rows, strikes, offsets), and the close
    {
      const store = await openStore(join(dir, `store-${r}.duckdb`));
      storeTimes.push(
        await seconds(async () => {
          for (const { w, next } of rounds) await store.write({ rows: w.rows, strikes: w.strikes, offsets: [{ topic: 'p', partition: 0, next }, { topic: 'j', partition: 0, next: 3 * next }] });
          store.close();
        }),
      );
    }
    rounds.length = 0;
    replays.push(await replay(process.cwd(), iso.prefix, `replay-${r}`, strikeRows));
    if (baseline && isoV1) before.push(await replay(baseline, isoV1.prefix, `before-${r}`, strikeRows));
    const x = replays[r] as Replay;
    const b = before[r];
    process.stderr.write(
      `run ${r + 1}: decode ${fmt(decodeTimes[r] ?? 0, 2)} s, rounds ${fmt(roundTimes[r] ?? 0, 2)} s, strike chunks ${fmt(chunkTimes[r] ?? 0, 2)} s, store rounds ${fmt(storeTimes[r] ?? 0, 2)} s, replay ${fmt(x.s, 2)} s (peak RSS ${fmt(x.rss)} MB, CPU ${fmt(x.cpu, 1)} s)` +
        (b ? `, baseline replay ${fmt(b.s, 2)} s (peak RSS ${fmt(b.rss)} MB, CPU ${fmt(b.cpu, 1)} s)` : '') +
        '\n',
    );
  }
  const n = truth.processed.length;
  const us = (s: number): string => fmt((s * 1e6) / n);
  const de = median(decodeTimes);
  const ro = median(roundTimes);
  const ch = median(chunkTimes);
  const st = median(storeTimes);
  const rp = median(replays.map((x) => x.s));
  const rss = median(replays.map((x) => x.rss));
  const cpu = median(replays.map((x) => x.cpu));
  console.log(`W-day: ${fmt(n)} processed v2 snapshots, ${fmt(strikeRows)} strike rows, ${fmt(truth.jobs.length)} job events; median of ${RUNS} (us are per snapshot)`);
  console.log(`  bare decode (avsc envelope + strike columns in place): ${fmt(de, 2)} s  (${us(de)} us)`);
  console.log(`  bare rounds into rows and chunk arrays:                ${fmt(ro, 2)} s  (${us(ro)} us)`);
  console.log(`  bare append, strike chunks only (and close):           ${fmt(ch, 2)} s  (${us(ch)} us)`);
  console.log(`  bare append, whole rounds through the store (and close): ${fmt(st, 2)} s  (${us(st)} us)`);
  console.log(`  ceiling without Kafka (decode + rounds + store):       ${fmt(de + ro + st, 2)} s  (${us(de + ro + st)} us)`);
  console.log(`  replay end to end (child process: Kafka, decode, rounds, Parquet, checksums): ${fmt(rp, 2)} s = ${fmt(n / rp)} snapshots/s, CPU ${fmt(cpu, 1)} s (${us(cpu)} us per snapshot), peak RSS ${fmt(rss)} MB`);
  console.log(`  targets: replay <= 4 s (${rp <= 4 ? 'met' : 'NOT met'}), RSS <= 300 MB (${rss <= 300 ? 'met' : 'NOT met'})`);
  if (baseline) {
    const bs = median(before.map((x) => x.s));
    const br = median(before.map((x) => x.rss));
    const bc = median(before.map((x) => x.cpu));
    const ratios = replays.map((x, i) => (before[i]?.s ?? 0) / x.s);
    console.log(`  baseline ${baseline} (processed v1): replay ${fmt(bs, 2)} s, CPU ${fmt(bc, 1)} s (${us(bc)} us per snapshot), peak RSS ${fmt(br)} MB`);
    console.log(`  speed-up ${fmt(bs / rp, 1)}x (per run ${ratios.map((x) => fmt(x, 1)).join(', ')}), CPU ${fmt(bc / cpu, 1)}x less, RSS ${fmt(br / rss, 1)}x smaller`);
    const same = sums.get('replay-0') === sums.get('before-0');
    console.log(`  table checksums of this build's replay ${same ? 'equal' : 'DIFFER from'} the baseline's`);
  }
  console.log(`  Parquet tree of one replay: ${listParquet(join(dir, 'replay-0-pq')).length} files`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await iso.cleanup();
  await isoV1?.cleanup();
}
