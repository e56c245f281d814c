// Broker and registry faults on a stack of the test's own (its own state dir and ports; never the shared one):
// - a clean stop and restart of the broker in the middle of a load: the prioritizer carries on by itself, processes
//   records published after the restart, every raw record is decided exactly once, and /readyz says ready again;
// - the registry down when `run` starts and while records arrive, then back: nothing is dead-lettered for the outage,
//   the held record is projected, and ingest works again without a restart (no failure cached).
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeadLetter } from '../../../src/domain/deadLetter.js';
import { generatePayloads } from '../../../src/domain/generator.js';
import { H } from '../../../src/domain/headers.js';
import { jobEvent, type JobEvent, type PrioritizedSnapshot } from '../../../src/domain/prioritized.js';
import { LEVELS } from '../../../src/domain/priority/level.js';
import { createProducer } from '../../../src/kafka/producer.js';
import { readToEnd } from '../../../src/kafka/reader.js';
import { createTransactionalProcessor } from '../../../src/kafka/transactional.js';
import { eventually } from '../../support/env.js';
import { faultPipeline, faultStack, spawnRunOn, type FaultStack } from '../../support/faultStack.js';
import { groupConsumed } from '../../support/pipeline.js';

const test = suite('faults on an own stack: broker stopped cleanly, registry down (real processes)');
let stack: FaultStack | null = null;
const ownStack = async (): Promise<FaultStack> => (stack ??= await faultStack());
test.after(async () => {
  await stack?.release();
});


const publishRaw = async (s: FaultStack, topic: string, seed: number, count: number): Promise<void> => {
  const producer = await createProducer({ kafka: s.kafka() });
  let batch: Array<{ key: string; value: Buffer; headers: Record<string, string> }> = [];
  for (const p of generatePayloads({ seed, tickers: ['SPX', 'NDX', 'QQQ'], count, strikes: 10, ratePerSecond: 1 })) {
    batch.push({ key: String(p['ticker']), value: Buffer.from(JSON.stringify(p)), headers: { [H.dataType]: 'historical', [H.source]: 'faults' } });
    if (batch.length === 1000) {
      await producer.send([{ topic, messages: batch }]);
      batch = [];
    }
  }
  if (batch.length) await producer.send([{ topic, messages: batch }]);
  await producer.close();
};

test('broker stopped cleanly (SIGTERM) and restarted mid-load: the prioritizer resumes by itself, exactly once', async () => {
  const s = await ownStack();
  const p = await faultPipeline(s, 'brokerstop', 3);
  const group = `${p.prefix}.prioritizer`;
  const N = 8_000;
  const M = 300;
  await publishRaw(s, p.raw, 21, N);
  const opsPort = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawnRunOn(s, ['--role', 'prioritizer', '--topic-prefix', p.prefix, '--instance', `bs-${randomUUID().slice(0, 8)}`, '--ops-port', String(opsPort)], { GEXSTREAM_LOG_LEVEL: 'info' });
  try {
    await eventually('a quarter of the load committed', async () => ((await groupConsumed(group, p.raw, s.kafka())) >= N / 4 ? true : undefined), 120_000, 100);
    await s.stop('kafka');
    await s.up();
    await publishRaw(s, p.raw, 22, M);
    await eventually('every raw record, old and new, committed after the restart', async () => ((await groupConsumed(group, p.raw, s.kafka())) >= N + M ? true : undefined), 240_000, 500);
    const ops = await eventually('the ops address', async () => child.opsAddress(), 5_000, 50);
    await eventually('/readyz ready again', async () => ((await fetch(`${ops}/readyz`)).status === 200 ? true : undefined), 60_000, 200);
    const decided: PrioritizedSnapshot[] = [];
    for (const l of LEVELS)
      await readToEnd(s.kafka(), p.levelTopic(l), async (m) => {
        if (m.value) decided.push(await s.registry.decode<PrioritizedSnapshot>(m.value));
      }, { idleMs: 800 });
    const positions = new Set(decided.map((d) => `${d.raw.partition}/${d.raw.offset}`));
    assert.is(positions.size, N + M, 'every raw record decided');
    assert.is(decided.length, N + M, 'none decided twice');
  } finally {
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) process.stderr.write(child.stderrText().slice(-4000));
    assert.is(code, 0, 'SIGTERM still stops it cleanly');
    await s.up();
    await p.cleanup();
  }
});

test('registry down at start and while records arrive, then back: nothing dead-lettered for it, ingest works without a restart', async () => {
  const s = await ownStack();
  const p = await faultPipeline(s, 'registry', 3);
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-registry-fault-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const token = randomUUID();
  const requestId = randomUUID();
  const enc = await s.registry.encoder<JobEvent>(`${p.topics.jobs}-value`);
  const held = enc.encode(jobEvent({ status: 'QUEUED', requestId, level: 'high', ticker: 'SPX', source: 'faults', atMs: Date.now() }));
  await s.kill9('registry');
  assert.is(await s.answering('registry'), false);
  // written while the registry is down: the projector cannot decode it until the registry is back
  const producer = await createProducer({ kafka: s.kafka() });
  await producer.send([{ topic: p.topics.jobs, messages: [{ key: requestId, value: held }] }]);
  await producer.close();
  const child = spawnRunOn(s, ['--role', 'projector', '--topic-prefix', p.prefix, '--db', join(dir, 'state.duckdb'), '--parquet', 'none', '--http-port', String(port)], { GEXSTREAM_API_TOKEN: token });
  const api = `http://127.0.0.1:${port}`;
  const ingestBad = (): Promise<Response> =>
    fetch(`${api}/api/v1/ingest/priority`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'faults', data_type: 'real_time', payload: { ticker: 'SPX', timestamp: Date.now(), spot: 'abc' } }),
    });
  try {
    await eventually('the API answers', async () => ((await fetch(`${api}/healthz`).then((r) => r.ok, () => false)) ? true : undefined), 60_000, 100);
    const during = await ingestBad();
    assert.is(during.status, 503, `while the registry is down a rejected payload cannot be dead-lettered: retry later (got ${during.status} ${await during.text()})`);
    await s.up();
    // back once it serves the subjects again (Apicurio reloads them from its Kafka topic after a restart)
    await eventually('the registry serves the DLQ subject again', async () => (await s.registry.latest(`${p.topics.dlq}-value`)) ?? undefined, 60_000, 200);
    const after = await eventually('ingest answers again', async () => {
      const r = await ingestBad();
      return r.status === 503 ? undefined : r;
    }, 60_000, 500);
    const text = await after.text();
    const body = JSON.parse(text) as { errors?: Array<{ path: string }> };
    assert.is(after.status, 400, `the bad payload is refused with its paths, its dead letter written (${text})`);
    assert.ok((body.errors ?? []).some((e) => e.path.startsWith('$.payload')), JSON.stringify(body));
    const view = await eventually('the held job event projected', async () => {
      const r = await fetch(`${api}/api/v1/ingest/priority/${requestId}`);
      return r.status === 200 ? ((await r.json()) as { job?: { status?: string } }) : undefined;
    }, 60_000, 250);
    assert.is(view.job?.status, 'QUEUED');
    const letters: DeadLetter[] = [];
    await readToEnd(s.kafka(), p.topics.dlq, async (m) => {
      if (m.value) letters.push(await s.registry.decode<DeadLetter>(m.value));
    }, { idleMs: 800 });
    assert.equal(letters.filter((d) => d.stage === 'project'), [], 'nothing dead-lettered for the outage');
    assert.ok(letters.some((d) => d.stage === 'validate'), 'the refused payload is on the DLQ');
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    await s.up();
    rmSync(dir, { recursive: true, force: true });
    await p.cleanup();
  }
});

test('broker down when a role starts, back within a minute: start-up waits for it instead of exiting, then every record once', async () => {
  const s = await ownStack();
  const p = await faultPipeline(s, 'startwait', 1);
  const N = 200;
  const producer = await createProducer({ kafka: s.kafka() });
  await producer.send([{ topic: p.raw, messages: Array.from({ length: N }, (_, i) => ({ key: String(i), value: Buffer.from(`m${i}`) })) }]);
  await producer.close();
  const group = `${p.prefix}.startwait`;
  let committed = 0;
  const retries: string[] = [];
  await s.stop('kafka');
  const proc = await createTransactionalProcessor({
    kafka: s.kafka(),
    groupId: group,
    topics: [p.raw],
    transactionalId: `${p.prefix}.startwait.tx`,
    maxWaitTimeInMs: 200,
    transform: async (batch) => [{ topic: p.topics.processed, messages: batch.map((m) => ({ key: m.key, value: m.value ?? Buffer.alloc(0) })) }],
    onCommitted: ({ messages }) => (committed += messages),
    onStartRetry: ({ error }) => retries.push((error as Error).name),
  });
  let outcome: 'pending' | 'started' | Error = 'pending';
  const starting = proc.start().then(() => (outcome = 'started'), (err: Error) => (outcome = err));
  try {
    // the start is waiting on the broker (before: KafkaJSNumberOfRetriesExceeded ended the start-up after ~5 s)
    await eventually('a start attempt failed on the broker and is retried', async () => (retries.length > 0 || outcome !== 'pending' ? true : undefined), 60_000, 100);
    assert.is(outcome, 'pending', `still starting while the broker is down (${String(outcome)})`);
    await s.up();
    await starting;
    assert.is(outcome, 'started', `started once the broker was back (retried after ${retries.join(', ')})`);
    await eventually('every record committed', async () => (committed >= N ? true : undefined), 120_000, 100);
  } finally {
    await starting;
    await proc.stop().catch(() => undefined);
    await s.up();
  }
  const keys: string[] = [];
  await readToEnd(s.kafka(), p.topics.processed, async (m) => void keys.push(m.key?.toString() ?? ''), { idleMs: 1_000 });
  assert.is(keys.length, N, 'each record once');
  assert.is(new Set(keys).size, N);
  await p.cleanup();
});

test.run();
