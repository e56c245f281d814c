// topics apply against the real broker: creates, is a no-op the second time, applies changed configs and partitions; compaction works.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { applyTopics, listTopics } from '../../src/pipelines/topics.js';
import { loadTopicSpecs, loadTopology } from '../../src/resources.js';
import { createTopicAdmin } from '../../src/kafka/admin.js';
import type { TopicSpec } from '../../src/domain/topicSpec.js';
import { eventually, kafka, unique } from '../support/env.js';

const test = suite('topics apply (real broker)');
const created: string[] = [];

test.after(async () => {
  const admin = await createTopicAdmin({ kafka: kafka() });
  await admin.deleteTopics(created).catch(() => undefined);
  await admin.close();
});

const specOf = (name: string, over: Partial<TopicSpec> = {}): TopicSpec => ({
  name,
  partitions: 2,
  replicationFactor: 3,
  configs: { 'cleanup.policy': 'delete', 'retention.ms': '86400000', 'min.insync.replicas': '2' },
  ...over,
});

test('the shipped topic files declare every topic of the spec', () => {
  const names = loadTopicSpecs().map((s) => s.name).sort();
  assert.equal(names, [
    'gex.dlq.v1', 'gex.jobs.v1', 'gex.priority.critical.v2', 'gex.priority.high.v2', 'gex.priority.low.v2',
    'gex.priority.medium.v2', 'gex.raw.v1', 'gex.rules.v1', 'gex.snapshots.processed.v2', 'gex.sources.v1',
  ]);
  const compacted = loadTopicSpecs().filter((s) => s.configs['cleanup.policy'] === 'compact').map((s) => s.name).sort();
  assert.equal(compacted, ['gex.rules.v1', 'gex.sources.v1']);
});

test('apply creates missing topics, then is a no-op', async () => {
  const name = unique('test.topics');
  created.push(name);
  const first = await applyTopics({ kafka: kafka(), specs: [specOf(name)] });
  assert.equal(first.actions.map((a) => a.type), ['create']);
  const second = await applyTopics({ kafka: kafka(), specs: [specOf(name)] });
  assert.equal(second.actions, [], 'second apply must change nothing');
  const [row] = await listTopics({ kafka: kafka(), specs: [specOf(name)] });
  assert.equal(row?.actual?.partitions, 2);
  assert.equal(row?.actual?.replicationFactor, 1, 'replication is capped at the single local broker');
  assert.equal(row?.actual?.configs['retention.ms'], '86400000');
  assert.equal(row?.actual?.configs['min.insync.replicas'], '1', 'min ISR is capped at the replication factor');
  assert.ok(row?.inSync);
});

test('apply raises partitions and alters a changed config, keeping the rest', async () => {
  const name = unique('test.topics');
  created.push(name);
  await applyTopics({ kafka: kafka(), specs: [specOf(name)] });
  const changed = specOf(name, { partitions: 4, configs: { 'cleanup.policy': 'delete', 'retention.ms': '3600000', 'min.insync.replicas': '2' } });
  const r = await applyTopics({ kafka: kafka(), specs: [changed] });
  assert.equal(r.actions.map((a) => a.type).sort(), ['addPartitions', 'alterConfigs']);
  const [row] = await listTopics({ kafka: kafka(), specs: [changed] });
  assert.equal(row?.actual?.partitions, 4);
  assert.equal(row?.actual?.configs['retention.ms'], '3600000');
  assert.equal(row?.actual?.configs['cleanup.policy'], 'delete');
  assert.equal((await applyTopics({ kafka: kafka(), specs: [changed] })).actions, []);
  const shrink = await applyTopics({ kafka: kafka(), specs: [{ ...changed, partitions: 1 }] });
  assert.equal(shrink.actions, []);
  assert.equal(shrink.warnings.map((w) => w.type), ['cannotShrinkPartitions']);
});

test('a compacted topic keeps only the latest value per key once the cleaner ran', async () => {
  const rules = loadTopology().spec('rules');
  const name = unique('test.compacted');
  created.push(name);
  // The shipped compacted config, with segments rolled quickly so the cleaner gets to run within the test.
  await applyTopics({ kafka: kafka(), specs: [{ ...rules, name, configs: { ...rules.configs, 'segment.ms': '100', 'min.compaction.lag.ms': '0', 'min.cleanable.dirty.ratio': '0.01' } }] });
  const producer = kafka().producer();
  await producer.connect();
  for (let round = 0; round < 20; round++) {
    await producer.send({ topic: name, messages: ['a', 'b', 'c'].map((k) => ({ key: k, value: `${k}-${round}` })) });
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 300));
  await producer.send({ topic: name, messages: [{ key: 'roll', value: 'x' }] }); // rolls the active segment
  await producer.disconnect();
  const count = async (): Promise<Map<string, string[]>> => {
    const consumer = kafka().consumer({ groupId: unique('test.compacted.g') });
    const seen = new Map<string, string[]>();
    await consumer.connect();
    await consumer.subscribe({ topic: name, fromBeginning: true });
    let n = 0;
    const admin = kafka().admin();
    await admin.connect();
    const end = Number((await admin.fetchTopicOffsets(name))[0]?.high ?? 0);
    await admin.disconnect();
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const k = message.key?.toString() ?? '';
          seen.set(k, [...(seen.get(k) ?? []), message.value?.toString() ?? '']);
          n = Number(message.offset) + 1;
          if (n >= end) resolve();
        },
      });
    });
    await consumer.disconnect();
    return seen;
  };
  const compacted = await eventually('the log cleaner to compact', async () => {
    const seen = await count();
    return (seen.get('a')?.length ?? 99) < 20 ? seen : undefined;
  }, 90_000, 2_000);
  assert.ok((compacted.get('a')?.length ?? 0) < 20, 'older values of key a were removed');
  assert.equal(compacted.get('a')?.at(-1), 'a-19', 'the latest value is kept');
});

test.run();
