// A trading day from a pre-filled raw topic to DuckDB, the comparison: W-day (23,400 SPX snapshots x 100
// strikes) is published first; then `gexstream run` (all roles in one process, as a user starts it) and the peer, the
// seeds' own Python stack (../shared/peers/seeds_stack.py), each read the same topic, in turn, in the same run (their
// order alternates between runs). Each is timed from the first message it handles to the last row in DuckDB: the peer
// prints its own time that way; gexstream's first handled message is the earliest prioritized_at_ms in its DuckDB, and
// its end is when /metrics first shows every snapshot projected (polled every 100 ms). Also prints each side's CPU
// seconds per snapshot and peak RSS. No critical feed here: bench/e2e measures latency under load.
//   node dist/bench/day.js [RUNS] [SNAPSHOTS]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeadLetter } from '../src/domain/deadLetter.js';
import { openStore } from '../src/duckdb/store.js';
import { createProducer } from '../src/kafka/producer.js';
import { publishFiles } from '../src/pipelines/publish.js';
import { registry } from '../tests/support/pipeline.js';
import { isolatedPipeline } from '../tests/support/projection.js';
import { config, fmt, kafka, median, wdayFile } from './support.js';

const RUNS = Number(process.argv[2] ?? 3);
const SNAPSHOTS = Number(process.argv[3] ?? 23_400);
const file = wdayFile(SNAPSHOTS);

const peerScript = join(process.cwd(), '..', 'shared', 'peers', 'seeds_stack.py');
const peerDeps = (): boolean =>
  spawnSync('python3', ['-c', 'import confluent_kafka, pydantic, duckdb, pyarrow'], { stdio: 'ignore' }).status === 0 ||
  spawnSync('python3', ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', 'confluent-kafka', 'pydantic', 'duckdb', 'pyarrow'], { stdio: 'inherit' }).status === 0;
if (!existsSync(peerScript) || !peerDeps()) throw new Error(`the peer (${peerScript}) or its Python deps (confluent-kafka pydantic duckdb pyarrow) are not available`);

/** User + system CPU seconds of a live process and its peak RSS in MB, from /proc. */
const procStat = (pid: number | undefined): { cpu: number; rss: number } => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpu: (Number(f[11]) + Number(f[12])) / 100, rss: hwm ? Number(hwm[1]) / 1024 : NaN };
  } catch {
    return { cpu: NaN, rss: NaN };
  }
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });

interface Side {
  seconds: number;
  cpu: number;
  rss: number;
}

const runPeer = (topic: string, db: string): Side => {
  // /usr/bin/time is not everywhere: the peer's CPU comes from the rusage of its process group via a wrapper
  const wrapper = `import resource, subprocess, sys\nr = subprocess.run(sys.argv[1:], capture_output=True, text=True)\nu = resource.getrusage(resource.RUSAGE_CHILDREN)\nsys.stdout.write(r.stdout)\nsys.stderr.write(r.stderr)\nprint(f"cpu {u.ru_utime + u.ru_stime:.3f} rss {u.ru_maxrss / 1024:.1f}")\nsys.exit(r.returncode)\n`;
  const r = spawnSync('python3', ['-c', wrapper, 'python3', peerScript, '--topic', topic, '--count', String(SNAPSHOTS), '--db', db, '--brokers', config.brokers.join(',')], { encoding: 'utf8', timeout: 20 * 60_000 });
  const m = /in ([0-9.]+) s/.exec(r.stdout ?? '');
  const u = /cpu ([0-9.]+) rss ([0-9.]+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m || !u) throw new Error(`the peer failed: ${r.stdout} ${r.stderr}`);
  return { seconds: Number(m[1]), cpu: Number(u[1]), rss: Number(u[2]) };
};

const projectedSnapshots = async (opsPort: number): Promise<number> => {
  try {
    const res = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
    const m = /gexstream_projected_rows_total\{table="gex_snapshots"\} (\d+)/.exec(await res.text());
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // not listening yet
  }
};

const runGexstream = async (prefix: string, dir: string, instance: string): Promise<Side> => {
  const opsPort = await freePort();
  const db = join(dir, 'state.duckdb');
  const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'gexstream.js'), 'run', '--topic-prefix', prefix, '--ops-port', String(opsPort), '--http-port', '0', '--instance', instance, '--db', db, '--parquet', join(dir, 'pq')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    // GEXSTREAM_BENCH_CPU_PROF=DIR: a V8 CPU profile of the run in DIR (for finding where the time goes)
    env: { ...process.env, GEXSTREAM_LOG_LEVEL: 'warn', ...(process.env['GEXSTREAM_BENCH_CPU_PROF'] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env['GEXSTREAM_BENCH_CPU_PROF']}` } : {}) },
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const started = Date.now();
  let end = 0;
  let last = { cpu: NaN, rss: NaN };
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`gexstream run exited with ${child.exitCode}`);
      if (Date.now() - started > 20 * 60_000) throw new Error('gexstream did not project W-day in 20 minutes');
      last = procStat(child.pid);
      if ((await projectedSnapshots(opsPort)) >= SNAPSHOTS) {
        end = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const store = await openStore(db, { readOnly: true });
  try {
    const [row] = (await store.connection.runAndReadAll('SELECT min(prioritized_at_ms), count(*), max(prioritized_at_ms), min(processed_at_ms), max(processed_at_ms) FROM gex_snapshots')).getRows();
    const first = Number(row?.[0]);
    const count = Number(row?.[1]);
    const at = (i: number): string => fmt((Number(row?.[i]) - first) / 1000, 2);
    process.stderr.write(`  gexstream timeline (s after the first prioritized): last prioritized ${at(2)}, first processed ${at(3)}, last processed ${at(4)}, all projected ${fmt((end - first) / 1000, 2)} (process started ${fmt((started - first) / 1000, 2)})\n`);
    if (count !== SNAPSHOTS) throw new Error(`DuckDB holds ${count} snapshots, expected ${SNAPSHOTS}`);
    return { seconds: (end - first) / 1000, cpu: last.cpu, rss: last.rss };
  } finally {
    store.close();
  }
};

const results: Array<{ gex: Side; peer: Side }> = [];
for (let run = 0; run < RUNS; run++) {
  const iso = await isolatedPipeline('day', 6);
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-day-'));
  try {
    const producer = await createProducer({ kafka: kafka(), compression: config.compression });
    const dlq = await registry.encoder<DeadLetter>(`${iso.topology.dlq}-value`);
    await publishFiles([file], { producer, encodeDeadLetter: dlq.encode }, { topology: iso.topology, source: 'gexbot', dataType: 'real_time' });
    await producer.close();
    let gex: Side;
    let peer: Side;
    if (run % 2 === 0) {
      gex = await runGexstream(iso.prefix, dir, `day-${run}`);
      peer = runPeer(iso.raw, join(dir, 'peer.duckdb'));
    } else {
      peer = runPeer(iso.raw, join(dir, 'peer.duckdb'));
      gex = await runGexstream(iso.prefix, dir, `day-${run}`);
    }
    results.push({ gex, peer });
    process.stderr.write(`run ${run + 1}: gexstream ${fmt(gex.seconds, 2)} s (${fmt(gex.cpu, 1)} CPU s, peak RSS ${fmt(gex.rss)} MB), peer ${fmt(peer.seconds, 2)} s (${fmt(peer.cpu, 1)} CPU s incl. start, peak RSS ${fmt(peer.rss)} MB): ${fmt(gex.seconds / peer.seconds, 2)}x\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await iso.cleanup();
  }
}

const g = median(results.map((r) => r.gex.seconds));
const p = median(results.map((r) => r.peer.seconds));
console.log(`W-day (${fmt(SNAPSHOTS)} snapshots x 100 strikes) from a pre-filled raw topic to DuckDB, median of ${RUNS}, same topic, same run:`);
console.log(`  gexstream (one \`run\`, all roles, DuckDB + Parquet): ${fmt(g, 2)} s, ${fmt(SNAPSHOTS / g)} snapshots/s, CPU ${fmt((median(results.map((r) => r.gex.cpu)) / SNAPSHOTS) * 1e6)} us/snapshot (whole process, start-up included), peak RSS ${fmt(median(results.map((r) => r.gex.rss)))} MB`);
console.log(`  the peer (seeds_stack.py: confluent-kafka + pydantic + duckdb via pyarrow): ${fmt(p, 2)} s, ${fmt(SNAPSHOTS / p)} snapshots/s, CPU ${fmt((median(results.map((r) => r.peer.cpu)) / SNAPSHOTS) * 1e6)} us/snapshot, peak RSS ${fmt(median(results.map((r) => r.peer.rss)))} MB`);
console.log(`  gexstream / peer: ${fmt(g / p, 2)}x (per run ${results.map((r) => fmt(r.gex.seconds / r.peer.seconds, 2)).join(', ')}; target <= 1.5x)`);
