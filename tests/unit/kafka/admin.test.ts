// Topic creation on a loaded broker: a create answered "already exists" (kafkajs retried a create that had landed) or
// UNKNOWN_TOPIC_OR_PARTITION (kafkajs' wait for the leaders) for a topic the broker's metadata does not list yet is
// waited for, not a failure (both failed suites in loaded clean-clone runs).
// The broker's lag cannot be provoked on demand, so this drives applyTopics with an admin that answers as it did.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaClient } from '../../../src/kafka/client.js';
import { applyTopics } from '../../../src/pipelines/topics.js';
import type { TopicSpec } from '../../../src/domain/topicSpec.js';

const test = suite('topic admin: metadata lagging a create');

const spec: TopicSpec = { name: 'test.lagging', partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'delete' } };

/** The broker's view: the topic exists in the controller from the first create, listed only after `lag` list calls. */
const laggingBroker = (lag: number, partitions = spec.partitions, createAnswer: 'already exists' | 'unknown topic' = 'already exists') => {
  let lists = 0;
  let creates = 0;
  const listed = (): boolean => creates > 0 && lists > lag;
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    describeCluster: async () => ({ brokers: [{ nodeId: 1 }] }),
    createTopics: async () => {
      creates++;
      // TOPIC_ALREADY_EXISTS: kafkajs' own retry of a create that landed; or the create landed and kafkajs' wait for
      // the leaders met UNKNOWN_TOPIC_OR_PARTITION from the broker's lagging metadata (it only waits out LEADER_NOT_AVAILABLE)
      if (createAnswer === 'unknown topic') throw Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
      return false;
    },
    listTopics: async () => (lists++, listed() ? [spec.name] : []),
    fetchTopicMetadata: async () => ({ topics: [{ name: spec.name, partitions: Array.from({ length: partitions }, () => ({ replicas: [1] })) }] }),
    describeConfigs: async () => ({ resources: [{ resourceName: spec.name, configEntries: [{ configName: 'cleanup.policy', configValue: 'delete', configSource: 1 }] }] }),
  };
  return { kafka: { admin: () => admin } as unknown as KafkaClient, creates: () => creates };
};

for (const answer of ['already exists', 'unknown topic'] as const) {
  test(`create answered "${answer}" while the metadata does not list the topic yet: waited for, then nothing left to do`, async () => {
    const b = laggingBroker(3, spec.partitions, answer);
    const r = await applyTopics({ kafka: b.kafka, specs: [spec] });
    assert.equal(r.actions.map((a) => a.type), ['create'], 'the create confirmed once the metadata listed the topic');
    assert.is(b.creates(), 1, 'one create: the wait is for the metadata, not a second create');
    assert.equal((await applyTopics({ kafka: b.kafka, specs: [spec] })).actions, [], 'then nothing left to do');
  });
}

test('"already exists" with other partitions than declared is still an error, not retried', async () => {
  const b = laggingBroker(0, 5);
  try {
    await applyTopics({ kafka: b.kafka, specs: [spec] });
    assert.unreachable('expected a refusal');
  } catch (e) {
    assert.match((e as Error).message, 'topic test.lagging already exists with 5 partitions, not 3');
  }
  assert.is(b.creates(), 1);
});

test.run();
