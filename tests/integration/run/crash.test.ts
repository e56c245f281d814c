// kafkajs does not restart a consumer after a non-retriable error (KafkaJSNotImplemented, a TypeError in a handler):
// the runner restarts it with backoff, /readyz says which role is not ready and why meanwhile, and every record is
// committed exactly once after the restart (real broker, read_committed).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { judgeRoles } from '../../../src/domain/processing/health.js';
import { startOpsServer } from '../../../src/http/opsServer.js';
import { createMetrics } from '../../../src/metrics.js';
import { createOwnedOffsetsConsumer } from '../../../src/kafka/ownedOffsets.js';
import { createProducer } from '../../../src/kafka/producer.js';
import { readToEnd } from '../../../src/kafka/reader.js';
import { createTransactionalProcessor } from '../../../src/kafka/transactional.js';
import { eventually, kafka, unique } from '../../support/env.js';
import { groupConsumed } from '../../support/pipeline.js';

const test = suite('runtime: a non-retriable consumer crash is restarted and shown by /readyz');
const N = 40;

const topicsOf = async (name: string): Promise<{ input: string; output: string; drop: () => Promise<void> }> => {
  const input = unique(`test.crash.${name}.in`);
  const output = unique(`test.crash.${name}.out`);
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = await createProducer({ kafka: kafka() });
  await producer.send([{ topic: input, messages: Array.from({ length: N }, (_, i) => ({ key: String(i % 2), value: Buffer.from(`m${i}`) })) }]);
  await producer.close();
  return {
    input,
    output,
    drop: async () => {
      const a = kafka().admin();
      await a.connect();
      await a.deleteTopics({ topics: [input, output] }).catch(() => undefined);
      await a.disconnect();
    },
  };
};

test('transactional runner: a TypeError in the transform crashes the consumer; it restarts, /readyz is 503 meanwhile, then 200', async () => {
  const t = await topicsOf('tx');
  const groupId = unique('test.crash.g');
  let failures = 2;
  const crashes: string[] = [];
  const proc = await createTransactionalProcessor({
    kafka: kafka(),
    groupId,
    topics: [t.input],
    transactionalId: unique('test.crash.tx'),
    maxWaitTimeInMs: 200,
    transform: async (batch) => {
      // a handler bug: kafkajs treats TypeError as unrecoverable and does not restart the consumer
      if (failures-- > 0) throw new TypeError('boom: not a function');
      return [{ topic: t.output, messages: batch.map((m) => ({ key: m.key, value: m.value as Buffer })) }];
    },
    onCrash: ({ restart }) => crashes.push(restart),
  });
  const ops = await startOpsServer({
    metrics: createMetrics(),
    port: 0,
    ready: async () => {
      const j = judgeRoles({ worker: proc.health() }, Date.now(), 30_000);
      return { ok: j.ready, detail: { progress: j.progress, not_ready: j.notReady } };
    },
  });
  try {
    await proc.start();
    const notReady = await eventually('/readyz to report the crash', async () => {
      const r = await fetch(`${ops.address}/readyz`);
      const body = (await r.json()) as { not_ready?: string[] };
      const reason = (body.not_ready ?? []).join('; ');
      return r.status === 503 && /worker: consumer crashed .*TypeError.*boom.*restarting/.test(reason) ? reason : undefined;
    }, 30_000, 20);
    assert.match(notReady, /retry after/);
    await eventually('every record committed after the restarts', async () => ((await groupConsumed(groupId, t.input)) >= N ? true : undefined), 60_000, 200);
    await eventually('/readyz ready again', async () => ((await fetch(`${ops.address}/readyz`)).status === 200 ? true : undefined), 30_000, 100);
    assert.ok(crashes.filter((c) => c === 'supervisor').length >= 1, `restarted by the runner: ${crashes.join(',')}`);
    const out: string[] = [];
    await readToEnd(kafka(), t.output, async (m) => void out.push(m.value?.toString() ?? ''), { idleMs: 800 });
    assert.is(out.length, N, 'each record once (the failed attempts committed nothing)');
    assert.is(new Set(out).size, N);
    assert.is(proc.health().crashes >= 1, true);
  } finally {
    await proc.stop();
    await ops.close();
    await t.drop();
  }
});

test('owned-offsets consumer (the projector): a TypeError in the sink crashes it; it restarts from the sink positions, nothing lost or repeated', async () => {
  const t = await topicsOf('owned');
  const stored = new Map<string, number>();
  const got: string[] = [];
  let failures = 1;
  const c = createOwnedOffsetsConsumer({
    kafka: kafka(),
    topics: [t.input],
    positions: async () => new Map(stored),
    restartOnCrash: true,
    onBatch: async (b) => {
      if (failures-- > 0) throw new TypeError('boom: cannot read properties of undefined');
      for (const m of b.messages) got.push(m.value?.toString() ?? '');
      const last = b.messages[b.messages.length - 1];
      if (last) stored.set(`${b.topic}:${b.partition}`, last.offset + 1);
    },
  });
  try {
    await c.start();
    await eventually('the crash shows in its health', async () => (c.health().crashes >= 1 ? true : undefined), 30_000, 20);
    await eventually('every record delivered after the restart', async () => (got.length >= N ? true : undefined), 60_000, 100);
    assert.is(new Set(got).size, got.length, 'nothing delivered twice');
    assert.is(got.length, N);
    await eventually('running again', async () => (c.health().state === 'running' ? true : undefined), 30_000, 50);
  } finally {
    await c.stop();
    await t.drop();
  }
});

test.run();
