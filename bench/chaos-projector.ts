// Chaos: 100k processed snapshots (with 3 job events each) on scratch topics, the projector (a child process) killed
// with SIGKILL at random moments (20 times by default) and restarted each time; afterwards every table must hold the
// generator's ground truth exactly (no row lost, none twice) and the Parquet tree must agree with DuckDB.
//   node dist/bench/chaos-projector.js [SNAPSHOTS] [KILLS] [SEED] [STRIKES]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { auditParquet } from '../src/duckdb/parquet.js';
import { openStore } from '../src/duckdb/store.js';
import { groupConsumed } from '../tests/support/pipeline.js';
import { generatedDay, isolatedProjection, sendTruth } from '../tests/support/projection.js';
import { fmt, median, runWithRandomKills } from './support.js';

const N = Number(process.argv[2] ?? 100_000);
const KILLS = Number(process.argv[3] ?? 20);
const seed = Number(process.argv[4] ?? Date.now() % 100_000);
const STRIKES = Number(process.argv[5] ?? 100);

const iso = await isolatedProjection('pjchaos', 6);
const dir = mkdtempSync(join(tmpdir(), 'gexstream-pjchaos-'));
let ok = false;
try {
  // sent in chunks (the whole truth of 100k x 100 strikes would not fit comfortably in memory); only counts are kept
  const truth = { snapshots: 0, strikes: 0, jobs: 0 };
  const CHUNK = 10_000;
  for (let from = 0; from < N; from += CHUNK) {
    const part = generatedDay({ seed: 7, count: Math.min(CHUNK, N - from), strikes: STRIKES, from });
    await sendTruth(iso.topics, part);
    truth.snapshots += part.processed.length;
    truth.strikes += part.processed.reduce((a, p) => a + p.snapshot.strikes.count, 0);
    truth.jobs += part.jobs.length;
  }
  process.stderr.write(`sent ${fmt(truth.snapshots)} processed snapshots, ${fmt(truth.strikes)} strike rows, ${fmt(truth.jobs)} job events\n`);
  const lagGroup = `${iso.prefix}.projector`;
  const total = truth.snapshots + truth.jobs;
  const consumed = async (): Promise<number> => (await groupConsumed(lagGroup, iso.topics.processed)) + (await groupConsumed(lagGroup, iso.topics.jobs));
  const db = join(dir, 'state.duckdb');
  const pq = join(dir, 'pq');
  const args = ['--role', 'projector', '--topic-prefix', iso.prefix, '--db', db, '--parquet', pq, '--segment-offsets', '2048'];
  const { elapsed, recoveries } = await runWithRandomKills({ args, total, consumed, kills: KILLS, seed });

  const store = await openStore(db, { readOnly: true });
  const q = async (sql: string): Promise<number[]> => ((await store.connection.runAndReadAll(sql)).getRows()[0] ?? []).map(Number);
  const [snaps = 0, snapIds = 0] = await q('SELECT count(*), count(DISTINCT request_id) FROM gex_snapshots');
  const [strikes = 0, strikeKeys = 0] = await q('SELECT count(*), count(DISTINCT (request_id, strike)) FROM gex_strikes');
  const [jobs = 0, jobKeys = 0] = await q('SELECT count(*), count(DISTINCT event_key) FROM processing_jobs');
  const truthStrikes = truth.strikes;
  const dbSums = (await store.checksums()).filter((s) => s.table === 'gex_snapshots' || s.table === 'gex_strikes');
  store.close();
  const mem = await DuckDBInstance.create(':memory:');
  const c = await mem.connect();
  const { sums, files } = await auditParquet(c, pq);
  c.closeSync();
  mem.closeSync();
  const parquetMatches = JSON.stringify(sums) === JSON.stringify(dbSums);
  const lost = truth.snapshots - snapIds + (truthStrikes - strikeKeys) + (truth.jobs - jobKeys);
  const duplicates = snaps - snapIds + (strikes - strikeKeys) + (jobs - jobKeys);
  console.log(`chaos projector: ${fmt(N)} snapshots x ${STRIKES} strikes + ${fmt(truth.jobs)} job events, ${recoveries.length} SIGKILLs at random moments (seed ${seed})`);
  console.log(`  gex_snapshots ${fmt(snaps)} (truth ${fmt(truth.snapshots)}), gex_strikes ${fmt(strikes)} (truth ${fmt(truthStrikes)}), processing_jobs ${fmt(jobs)} (truth ${fmt(truth.jobs)}): lost ${lost}, duplicated ${duplicates}`);
  console.log(`  Parquet tree (${files} files) ${parquetMatches ? 'matches' : 'DIFFERS FROM'} DuckDB for gex_snapshots and gex_strikes`);
  console.log(`  wall time ${fmt(elapsed, 1)} s incl. restarts; progress visible on the lag group again after a restart: median ${fmt(median(recoveries))} ms, max ${fmt(Math.max(...recoveries))} ms`);
  ok = lost === 0 && duplicates === 0 && parquetMatches && recoveries.length >= Math.min(KILLS, 20);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await iso.cleanup();
}
process.exit(ok ? 0 : 1);
