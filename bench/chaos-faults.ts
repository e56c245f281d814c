// Chaos with faults of every kind, on a stack of its own (tests/support/faultStack: GEXSTREAM_FAULTS_STATE_DIR, ports
// 29092/28081 by default; never the shared stack): a fraction of W-day plus a desk's critical feed through all three
// roles (`gexstream run --role R`, one child each), while at random moments the broker is killed -9, the broker is
// stopped cleanly (SIGTERM) and restarted, the registry is killed -9 and restarted, and each role is killed -9 and
// started again. Reports rows lost and duplicated on the processed topic and in every DuckDB table (both must be 0),
// the recovery time after each fault (until every role committed progress again; median, max), and that every role
// made progress again after every fault with no manual restart (a role process is only restarted after its own kill).
//   node dist/bench/chaos-faults.js [--faults N] [--snapshots N] [--strikes N] [--seed N]
import { once } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DeadLetter } from '../src/domain/deadLetter.js';
import { generatePayloads } from '../src/domain/generator.js';
import { H } from '../src/domain/headers.js';
import type { ProcessedEnvelope } from '../src/domain/processed.js';
import { scanSnapshot, v2Wire } from '../src/registry/columnarSnapshot.js';
import { LEVELS } from '../src/domain/priority/level.js';
import { openStore } from '../src/duckdb/store.js';
import { createProducer } from '../src/kafka/producer.js';
import { readToEnd } from '../src/kafka/reader.js';
import { publishFiles } from '../src/pipelines/publish.js';
import { faultPipeline, faultStack, spawnRunOn } from '../tests/support/faultStack.js';
import { fmt, median } from './support.js';

const { values } = parseArgs({ options: { faults: { type: 'string' }, snapshots: { type: 'string' }, strikes: { type: 'string' }, seed: { type: 'string' } } });
const FAULTS = Number(values.faults ?? 20);
const SNAPSHOTS = Number(values.snapshots ?? 2_000); // a fraction of W-day: the faults (broker and registry restarts) take most of the time
const STRIKES = Number(values.strikes ?? 100);
let rnd = Number(values.seed ?? Date.now() % 100_000);
const seed = rnd;
const random = (): number => ((rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const s = await faultStack();
const p = await faultPipeline(s, 'chaos', 6);
const dir = mkdtempSync(join(tmpdir(), 'gexstream-chaos-faults-'));
const db = join(dir, 'state.duckdb');
let ok = false;
type Role = 'prioritizer' | 'processor' | 'projector';
const ROLES: Role[] = ['prioritizer', 'processor', 'projector'];
const roleArgs: Record<Role, string[]> = {
  prioritizer: ['--role', 'prioritizer'],
  processor: ['--role', 'processor'],
  projector: ['--role', 'projector', '--db', db, '--parquet', 'none'],
};
const children = new Map<Role, ChildProcess>();
const unplanned: string[] = [];
const spawnRole = (r: Role): void => {
  const c = spawnRunOn(s, [...roleArgs[r], '--topic-prefix', p.prefix, '--instance', `chaos-${r}`]);
  children.set(r, c);
  // a role process that ends by itself is a failure of the run (it is started again so the bench can go on)
  c.once('exit', (code, signal) => {
    if (children.get(r) !== c || signal === 'SIGKILL' || signal === 'SIGTERM' || stopping) return;
    unplanned.push(`${r} exited with ${code ?? signal}: ${c.stderrText().slice(-400)}`);
    process.stderr.write(`UNPLANNED: ${r} exited with ${code ?? signal}\n`);
    spawnRole(r);
  });
};
let stopping = false;
let feed: ChildProcess | null = null;

// committed progress per role, from the groups' committed offsets (the projector's lag group mirrors DuckDB)
const progress = async (): Promise<Record<Role, number>> => {
  const admin = s.kafka().admin();
  await admin.connect();
  try {
    const sum = async (group: string, topic: string): Promise<number> => {
      const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return (t?.partitions ?? []).reduce((a, x) => a + Math.max(0, Number(x.offset)), 0);
    };
    let processor = 0;
    for (const l of LEVELS) processor += await sum(`${p.prefix}.processor-${l}`, p.levelTopic(l));
    return { prioritizer: await sum(`${p.prefix}.prioritizer`, p.raw), processor, projector: await sum(`${p.prefix}.projector`, p.topics.processed) };
  } finally {
    await admin.disconnect();
  }
};
const progressSafe = async (): Promise<Record<Role, number> | null> => progress().catch(() => null);

try {
  // the data: a fraction of W-day (SPX, real time), published while the roles run, and the critical feed on top
  const file = join(dir, 'wday.jsonl');
  writeFileSync(file, [...generatePayloads({ seed: 1, tickers: ['SPX'], count: SNAPSHOTS, strikes: STRIKES })].map((x) => JSON.stringify(x)).join('\n'));
  for (const r of ROLES) spawnRole(r);
  const producer = await createProducer({ kafka: s.kafka() });
  const dlq = await s.registry.encoder<DeadLetter>(`${p.topics.dlq}-value`);
  await publishFiles([file], { producer, encodeDeadLetter: dlq.encode }, { topology: p.topology, source: 'gexbot', dataType: 'real_time' });
  await producer.close();
  feed = spawn(process.execPath, [join(process.cwd(), 'dist', 'bench', 'feeds', 'critical.js'), p.raw, `chaos${seed}`, '250'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...s.env } });
  let feedOut = '';
  feed.stdout?.on('data', (d: Buffer) => (feedOut += d.toString()));
  // the first fault once every role is at work
  const startWait = Date.now();
  for (;;) {
    const now = await progressSafe();
    if (now && ROLES.every((r) => now[r] > 0)) break;
    if (Date.now() - startWait > 300_000) throw new Error('the roles did not start working within 5 minutes');
    await sleep(200);
  }
  process.stderr.write(`published ${fmt(SNAPSHOTS)} snapshots x ${STRIKES} strikes; critical feed every 250 ms; ${FAULTS} faults (seed ${seed})\n`);

  const kinds = ['broker kill -9', 'broker SIGTERM', 'registry kill -9', 'prioritizer kill -9', 'processor kill -9', 'projector kill -9'] as const;
  let round: Array<(typeof kinds)[number]> = [...kinds];
  // ms: from the fault until every role committed again; afterUpMs: from the restarted component (or role process) back
  const recoveries: Array<{ kind: string; ms: number; afterUpMs: number; roles: Record<Role, boolean> }> = [];
  for (let f = 0; f < FAULTS; f++) {
    await sleep(500 + random() * 2_000);
    // every kind in turn, each round in a random order
    if (f % kinds.length === 0) round = [...kinds].sort(() => random() - 0.5);
    const kind = round[f % kinds.length] as (typeof kinds)[number];
    const before = await progress();
    const t0 = Date.now();
    if (kind === 'broker kill -9') {
      await s.kill9('kafka');
      await s.up();
    } else if (kind === 'broker SIGTERM') {
      await s.stop('kafka');
      await s.up();
    } else if (kind === 'registry kill -9') {
      await s.kill9('registry');
      await s.up();
    } else {
      const role = kind.split(' ')[0] as Role;
      const c = children.get(role);
      c?.kill('SIGKILL');
      if (c) await once(c, 'exit');
      spawnRole(role); // its own kill is the one restart a process gets; nothing else is restarted by hand
    }
    const upAt = Date.now();
    // recovered once every role has committed beyond where it stood at the fault (the critical feed keeps work coming)
    const moved: Record<Role, boolean> = { prioritizer: false, processor: false, projector: false };
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      const now = await progressSafe();
      if (now) for (const r of ROLES) moved[r] ||= now[r] > before[r];
      if (ROLES.every((r) => moved[r])) break;
      await sleep(100);
    }
    recoveries.push({ kind, ms: Date.now() - t0, afterUpMs: Date.now() - upAt, roles: { ...moved } });
    process.stderr.write(`fault ${f + 1}/${FAULTS} ${kind}: every role progressing again after ${fmt((Date.now() - t0) / 1000, 1)} s (${fmt((Date.now() - upAt) / 1000, 1)} s after it was back)${ROLES.every((r) => moved[r]) ? '' : ` NOT RECOVERED: ${ROLES.filter((r) => !moved[r]).join(',')}`}\n`);
  }
  feed.kill('SIGTERM');
  await once(feed, 'exit');
  const crit = Number(feedOut.trim());
  // the truth is what reached the raw topic: a critical send that failed in an outage may or may not be there
  const rawIds = new Set<string>();
  let rawRecords = 0;
  await readToEnd(s.kafka(), p.raw, async (m) => {
    rawRecords++;
    const id = m.headers[H.requestId];
    if (id !== undefined) rawIds.add(id);
  }, { idleMs: 1_000 });
  const expected = rawIds.size;
  // drained: every group at the end of its topic
  const caughtUp = async (): Promise<boolean> => {
    const admin = s.kafka().admin();
    await admin.connect();
    try {
      const check = async (group: string, topic: string): Promise<boolean> => {
        const ends = await admin.fetchTopicOffsets(topic);
        const [c] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const m = new Map((c?.partitions ?? []).map((x) => [x.partition, Number(x.offset)]));
        return ends.every((e) => Number(e.high) <= Number(e.low) || (m.get(e.partition) ?? -1) >= Number(e.high) - 1);
      };
      if (!(await check(`${p.prefix}.prioritizer`, p.raw))) return false;
      for (const l of LEVELS) if (!(await check(`${p.prefix}.processor-${l}`, p.levelTopic(l)))) return false;
      return (await check(`${p.prefix}.projector`, p.topics.processed)) && (await check(`${p.prefix}.projector`, p.topics.jobs));
    } finally {
      await admin.disconnect();
    }
  };
  const drainStart = Date.now();
  while (!(await caughtUp().catch(() => false))) {
    if (Date.now() - drainStart > 600_000) throw new Error('the pipeline did not drain within 10 minutes after the faults');
    await sleep(500);
  }
  await sleep(2_500); // the projector's lag group commits every 2 s; DuckDB is read after its clean stop anyway
  stopping = true;
  for (const c of children.values()) c.kill('SIGTERM');
  const codes = await Promise.all([...children.values()].map(async (c) => (c.exitCode !== null ? c.exitCode : ((await once(c, 'exit')) as [number | null])[0])));

  // ground truth: each published snapshot exactly once on the processed topic and in every table
  const processed: string[] = [];
  const strikesOf = new Map<string, number>();
  let dead = 0;
  const wire = v2Wire(s.registry);
  await readToEnd(s.kafka(), p.topics.processed, async (m) => {
    if (!m.value) return;
    const head = await wire.decodeEnvelope<ProcessedEnvelope>(m.value);
    processed.push(head.envelope.request_id);
    strikesOf.set(head.envelope.request_id, scanSnapshot(head.bytes, head.snapshotAt).count);
  }, { idleMs: 1_000 });
  await readToEnd(s.kafka(), p.topics.dlq, async (m) => void (m.value && dead++), { idleMs: 1_000 });
  const ids = new Set(processed);
  const store = await openStore(db, { readOnly: true });
  const one = async (sql: string): Promise<number[]> => ((await store.connection.runAndReadAll(sql)).getRows()[0] ?? []).map(Number);
  const tables: Record<string, { rows: number; distinct: number; expected: number }> = {};
  const [sRows = 0, sIds = 0] = await one('SELECT count(*), count(DISTINCT request_id) FROM gex_snapshots');
  tables['gex_snapshots'] = { rows: sRows, distinct: sIds, expected };
  const [kRows = 0, kIds = 0] = await one('SELECT count(*), count(DISTINCT (request_id, strike)) FROM gex_strikes');
  // the strike rows of every snapshot on the processed topic (a snapshot lost there is counted lost above)
  tables['gex_strikes'] = { rows: kRows, distinct: kIds, expected: [...strikesOf.values()].reduce((a, b) => a + b, 0) };
  const [jRows = 0, jIds = 0] = await one("SELECT count(*), count(DISTINCT request_id) FROM processing_jobs WHERE status = 'COMPLETED'");
  tables['processing_jobs (COMPLETED)'] = { rows: jRows, distinct: jIds, expected };
  const [rRows = 0, rIds = 0] = await one('SELECT count(*), count(DISTINCT request_id) FROM priority_requests');
  tables['priority_requests'] = { rows: rRows, distinct: rIds, expected };
  store.close();

  const lostProcessed = [...rawIds].filter((id) => !ids.has(id)).length;
  const dupProcessed = processed.length - ids.size;
  console.log(`chaos faults: ${fmt(SNAPSHOTS)} W-day snapshots x ${STRIKES} strikes + ${fmt(crit)} critical, ${recoveries.length} faults (seed ${seed}); role exit codes after SIGTERM: ${codes.join(',')}`);
  const byKind = new Map<string, number>();
  for (const r of recoveries) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
  console.log(`  faults: ${[...byKind].map(([k, n]) => `${k} x${n}`).join(', ')}`);
  console.log(`  raw topic: ${fmt(rawRecords)} records, ${fmt(rawIds.size)} request ids; unplanned role exits: ${unplanned.length}${unplanned.length ? `\n    ${unplanned.join('\n    ')}` : ''}`);
  console.log(`  processed topic: ${fmt(processed.length)} records, ${fmt(ids.size)} distinct of ${fmt(expected)}: lost ${lostProcessed}, duplicated ${dupProcessed}; dead letters ${dead}`);
  let tablesOk = true;
  for (const [t, v] of Object.entries(tables)) {
    const lost = v.expected - v.distinct;
    const dup = v.rows - v.distinct;
    tablesOk &&= lost === 0 && dup === 0;
    console.log(`  ${t}: ${fmt(v.rows)} rows, ${fmt(v.distinct)} distinct of ${fmt(v.expected)}: lost ${lost}, duplicated ${dup}`);
  }
  const ms = recoveries.map((r) => r.ms);
  const allRecovered = recoveries.every((r) => ROLES.every((x) => r.roles[x]));
  const up = recoveries.map((r) => r.afterUpMs);
  console.log(`  recovery (fault until every role committed progress again): median ${fmt(median(ms) / 1000, 1)} s, max ${fmt(Math.max(...ms) / 1000, 1)} s; after the broken part was back: median ${fmt(median(up) / 1000, 1)} s, max ${fmt(Math.max(...up) / 1000, 1)} s`);
  for (const k of byKind.keys()) {
    const xs = recoveries.filter((r) => r.kind === k);
    const a = xs.map((r) => r.ms);
    const b = xs.map((r) => r.afterUpMs);
    console.log(`    ${k} x${xs.length}: median ${fmt(median(a) / 1000, 1)} s, max ${fmt(Math.max(...a) / 1000, 1)} s; after it was back (restarted and answering): median ${fmt(median(b) / 1000, 1)} s, max ${fmt(Math.max(...b) / 1000, 1)} s`);
  }
  console.log(`  every role progressed again after every fault without a manual restart: ${allRecovered ? 'yes' : 'NO'}`);
  ok = lostProcessed === 0 && dupProcessed === 0 && tablesOk && allRecovered && recoveries.length >= FAULTS && codes.every((c) => c === 0) && unplanned.length === 0 && rawRecords === rawIds.size;
} finally {
  feed?.kill('SIGKILL');
  for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await s.up().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  await p.cleanup().catch(() => undefined);
  await s.release().catch(() => undefined);
}
process.exit(ok ? 0 : 1);
