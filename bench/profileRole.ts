// Profiles one role on W-day: publishes SNAPSHOTS raw snapshots (and, for the processor or projector, lets the roles
// before it in a separate process fill their input first), then runs ROLE alone under V8's CPU profiler until its
// group has caught up, and prints where its CPU time went (self time by function and by package).
//   node dist/bench/profileRole.js ROLE [SNAPSHOTS]    (ROLE: prioritizer | processor | projector)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeadLetter } from '../src/domain/deadLetter.js';
import { LEVELS } from '../src/domain/priority/level.js';
import { createProducer } from '../src/kafka/producer.js';
import { publishFiles } from '../src/pipelines/publish.js';
import { groupCaughtUp, registry } from '../tests/support/pipeline.js';
import { isolatedPipeline } from '../tests/support/projection.js';
import { config, fmt, kafka, wdayFile } from './support.js';

const ROLE = process.argv[2] ?? 'prioritizer';
const SNAPSHOTS = Number(process.argv[3] ?? 5000);
const iso = await isolatedPipeline('profile', 6);
const dir = mkdtempSync(join(tmpdir(), 'gexstream-profile-'));
const run = (roles: string, prof: boolean): ChildProcess =>
  spawn(process.execPath, [join(process.cwd(), 'bin', 'gexstream.js'), 'run', '--role', roles, '--topic-prefix', iso.prefix, '--ops-port', '0', '--http-port', '0', '--db', join(dir, 'state.duckdb'), '--parquet', join(dir, 'pq')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, GEXSTREAM_LOG_LEVEL: 'warn', ...(prof ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${join(dir, 'prof')}` } : {}) },
  });
const stop = async (c: ChildProcess): Promise<void> => {
  c.kill('SIGTERM');
  if (c.exitCode === null) await new Promise((r) => c.once('exit', r));
};
const until = async (done: () => Promise<boolean>): Promise<void> => {
  while (!(await done())) await new Promise((r) => setTimeout(r, 200));
};
const levelsDone = async (): Promise<boolean> => {
  for (const l of LEVELS) if (!(await groupCaughtUp(`${iso.prefix}.processor-${l}`, iso.levelTopic(l)))) return false;
  return true;
};
try {
  const producer = await createProducer({ kafka: kafka(), compression: config.compression });
  const dlq = await registry.encoder<DeadLetter>(`${iso.topology.dlq}-value`);
  await publishFiles([wdayFile(SNAPSHOTS)], { producer, encodeDeadLetter: dlq.encode }, { topology: iso.topology, source: 'gexbot', dataType: 'real_time' });
  await producer.close();
  const prioDone = () => groupCaughtUp(`${iso.prefix}.prioritizer`, iso.raw);
  if (ROLE !== 'prioritizer') {
    const before = run(ROLE === 'processor' ? 'prioritizer' : 'prioritizer,processor', false);
    await until(async () => (await prioDone()) && (ROLE === 'processor' || (await levelsDone())));
    await stop(before);
  }
  const t0 = Date.now();
  const child = run(ROLE, true);
  await until(ROLE === 'prioritizer' ? prioDone : ROLE === 'processor' ? levelsDone : () => groupCaughtUp(`${iso.prefix}.projector`, iso.topics.processed));
  process.stderr.write(`${ROLE}: ${fmt(SNAPSHOTS)} snapshots in ${fmt((Date.now() - t0) / 1000, 1)} s (start-up and group join included)\n`);
  await stop(child);
  const files = readdirSync(join(dir, 'prof')).map((f) => join(dir, 'prof', f));
  // the re-executed child (the project's Node) writes the biggest profile
  const file = files.sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0] as string;
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  const pkg = new Map<string, number>();
  prof.samples.forEach((id, i) => {
    const cf = byId.get(id);
    const dt = prof.timeDeltas[i] ?? 0;
    if (!cf) return;
    const k = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + dt);
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(cf.url);
    const p = m ? m[1] : cf.url.includes('/dist/') ? `gexstream ${cf.url.split('/dist/')[1]}` : cf.url === '' ? cf.functionName : 'node';
    pkg.set(p as string, (pkg.get(p as string) ?? 0) + dt);
  });
  const busy = [...self.entries()].filter(([k]) => !k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
  const top = (m: Map<string, number>, n: number): string => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${fmt(v / 1000, 0).padStart(7)} ms ${fmt((100 * v) / busy, 1).padStart(5)}%  ${k}`).join('\n');
  console.log(`${ROLE} on ${fmt(SNAPSHOTS)} W-day snapshots: ${fmt(busy / 1000, 0)} ms busy on the main thread (${fmt(busy / SNAPSHOTS, 0)} us/snapshot)\nby package:\n${top(pkg, 15)}\nby function (self):\n${top(self, 30)}`);
} finally {
  await iso.cleanup();
}
