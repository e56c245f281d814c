// Owns topic administration against the cluster: reading actual topics and applying a topic plan.
import './fastCrc.js'; // before kafkajs loads
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Admin } from 'kafkajs';
import type { ActualTopic, TopicAction } from '../domain/topicSpec.js';
import type { KafkaClient } from './client.js';

const { ConfigResourceTypes } = kafkajs; // a CommonJS module: its enums are not named ESM exports
const TOPIC_CONFIG_SOURCE = 1; // ConfigSource.TOPIC_CONFIG: an override set on the topic itself
/** How long a created topic may take to show in the metadata of a loaded broker (polls x ms). */
const LISTED_POLLS = 50;
const LISTED_POLL_MS = 200;

export interface TopicAdmin {
  readonly brokerCount: () => Promise<number>;
  /** The Kafka cluster's id (KRaft: the one its storage was formatted with). */
  readonly clusterId: () => Promise<string>;
  readonly readTopics: (names: readonly string[]) => Promise<Map<string, ActualTopic>>;
  readonly apply: (action: TopicAction) => Promise<void>;
  readonly deleteTopics: (names: string[]) => Promise<void>;
  readonly close: () => Promise<void>;
}

/** A create answered "already exists" for a topic the metadata does not list yet; retriable. */
export class TopicNotYetListedError extends Error {
  override readonly name = 'TopicNotYetListedError';
  readonly retriable = true;
  constructor(topic: string) {
    super(`topic ${topic} already exists but is not listed in the metadata yet`);
  }
}

export const createTopicAdmin = async ({ kafka }: { kafka: KafkaClient }): Promise<TopicAdmin> => {
  const admin: Admin = kafka.admin();
  await admin.connect();
  const readTopics = async (names: readonly string[]): Promise<Map<string, ActualTopic>> => {
    const existing = new Set(await admin.listTopics());
    const present = names.filter((n) => existing.has(n));
    const out = new Map<string, ActualTopic>();
    if (present.length === 0) return out;
    const meta = await admin.fetchTopicMetadata({ topics: present });
    const cfg = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    });
    const overrides = new Map<string, Record<string, string>>();
    for (const r of cfg.resources) {
      const o: Record<string, string> = {};
      for (const e of r.configEntries) if (e.configSource === TOPIC_CONFIG_SOURCE && e.configValue !== null) o[e.configName] = e.configValue;
      overrides.set(r.resourceName, o);
    }
    for (const t of meta.topics) {
      out.set(t.name, {
        name: t.name,
        partitions: t.partitions.length,
        replicationFactor: t.partitions[0]?.replicas.length ?? 0,
        configs: overrides.get(t.name) ?? {},
      });
    }
    return out;
  };
  /** The topic as the metadata lists it, waited for a while; still absent: retriable, the caller plans again. */
  const waitListed = async (name: string): Promise<ActualTopic> => {
    for (let i = 0; i < LISTED_POLLS; i++) {
      const now = (await readTopics([name])).get(name);
      if (now) return now;
      await sleep(LISTED_POLL_MS);
    }
    throw new TopicNotYetListedError(name);
  };
  const apply = async (a: TopicAction): Promise<void> => {
    switch (a.type) {
      case 'create': {
        // After a create landed, a loaded broker's metadata can still say UNKNOWN_TOPIC_OR_PARTITION while kafkajs
        // waits for the leaders (it only waits out LEADER_NOT_AVAILABLE): the topic is there, the metadata lags.
        const ok = await admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: a.spec.name,
              numPartitions: a.spec.partitions,
              replicationFactor: a.spec.replicationFactor,
              configEntries: Object.entries(a.spec.configs).map(([name, value]) => ({ name, value })),
            },
          ],
        }).catch((err: unknown) => {
          if ((err as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return null;
          throw err;
        });
        if (ok === null) {
          await waitListed(a.spec.name);
          return;
        }
        if (!ok) {
          // kafkajs answers false for TOPIC_ALREADY_EXISTS; on a loaded broker that is often its own retry of a create
          // that did land after the first request timed out. The same topic as declared is what was asked for.
          // The controller has it but the broker's metadata may not list it yet (seen in a loaded CI run).
          const now = await waitListed(a.spec.name);
          if (now.partitions !== a.spec.partitions) throw new Error(`topic ${a.spec.name} already exists with ${now.partitions} partitions, not ${a.spec.partitions}`);
        }
        return;
      }
      case 'addPartitions':
        await admin.createPartitions({ topicPartitions: [{ topic: a.topic, count: a.to }] });
        return;
      case 'alterConfigs':
        await admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: a.topic, configEntries: Object.entries(a.full).map(([name, value]) => ({ name, value })) }],
        });
        return;
      default: {
        const never: never = a;
        throw new Error(`unknown action ${JSON.stringify(never)}`);
      }
    }
  };
  return {
    brokerCount: async () => (await admin.describeCluster()).brokers.length,
    clusterId: async () => (await admin.describeCluster()).clusterId,
    readTopics,
    apply,
    deleteTopics: (topics) => admin.deleteTopics({ topics, timeout: 30_000 }),
    close: () => admin.disconnect(),
  };
};
