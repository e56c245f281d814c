// Owns topic administration and group progress with @platformatic/kafka behind the TopicAdmin and lag interfaces.
import { Admin } from '@platformatic/kafka';
import type { ActualTopic, TopicAction } from '../../../../src/domain/topicSpec.js';
import type { TopicAdmin } from '../../../../src/kafka/admin.js';
import type { PartitionProgress } from '../../../../src/kafka/lag.js';
import { baseOptions, logBounds, type PlatformaticOptions } from './common.js';

const TOPIC = 2; // ConfigResourceTypes.TOPIC
const DYNAMIC_TOPIC_CONFIG = 1; // ConfigSources: an override set on the topic itself

export const createPlatformaticTopicAdmin = async (options: PlatformaticOptions): Promise<TopicAdmin> => {
  const admin = new Admin(baseOptions(options));
  const waitForLeaders = async (topic: string): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      const t = (await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => null))?.topics.get(topic);
      if (t && t.partitions.every((p) => p.leader >= 0)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`topic ${topic}: no leaders after 10 s`);
  };
  const readTopics = async (names: readonly string[]): Promise<Map<string, ActualTopic>> => {
    const existing = new Set(await admin.listTopics());
    const present = names.filter((n) => existing.has(n));
    const out = new Map<string, ActualTopic>();
    if (present.length === 0) return out;
    const meta = await admin.metadata({ topics: present, forceUpdate: true });
    const configs = await admin.describeConfigs({ resources: present.map((resourceName) => ({ resourceType: TOPIC, resourceName })) });
    const overrides = new Map(configs.map((r) => [r.resourceName, Object.fromEntries(r.configs.filter((c) => c.configSource === DYNAMIC_TOPIC_CONFIG && c.value !== null).map((c) => [c.name, c.value as string]))]));
    for (const name of present) {
      const t = meta.topics.get(name);
      if (!t) continue;
      out.set(name, { name, partitions: t.partitionsCount, replicationFactor: t.partitions[0]?.replicas.length ?? 0, configs: overrides.get(name) ?? {} });
    }
    return out;
  };
  const apply = async (a: TopicAction): Promise<void> => {
    switch (a.type) {
      case 'create':
        await admin.createTopics({ topics: [a.spec.name], partitions: a.spec.partitions, replicas: a.spec.replicationFactor, configs: Object.entries(a.spec.configs).map(([name, value]) => ({ name, value })) });
        await waitForLeaders(a.spec.name);
        return;
      case 'addPartitions':
        await admin.createPartitions({ topics: [{ name: a.topic, count: a.to }] });
        return;
      case 'alterConfigs':
        await admin.alterConfigs({ resources: [{ resourceType: TOPIC, resourceName: a.topic, configs: Object.entries(a.full).map(([name, value]) => ({ name, value })) }] });
        return;
      default: {
        const never: never = a;
        throw new Error(`unknown action ${JSON.stringify(never)}`);
      }
    }
  };
  return {
    brokerCount: async () => (await admin.metadata({ topics: [], forceUpdate: true })).brokers.size,
    readTopics,
    apply,
    deleteTopics: async (topics) => {
      if (topics.length > 0) await admin.deleteTopics({ topics });
    },
    close: () => admin.close(),
  };
};

export const platformaticGroupProgress = async (options: PlatformaticOptions, groupId: string, topic: string): Promise<PartitionProgress[]> => {
  const admin = new Admin(baseOptions(options));
  try {
    const bounds = await logBounds(admin, topic);
    const [group] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [...bounds.keys()] }] }] });
    const at = new Map((group?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [p.partitionIndex, Number(p.committedOffset)]));
    return [...bounds]
      .map(([partition, { low, high }]) => {
        const c = at.get(partition);
        const committed = c === undefined || c < 0 ? null : c;
        return { partition, low, high, committed, lag: Math.max(0, high - Math.max(low, committed ?? low)) };
      })
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.close();
  }
};
