// Owns consuming with offsets kept outside Kafka (a sink that stores them with its data): every partition of the topics
// is read from the positions the sink reports, whatever the group has committed; Kafka offsets are committed afterwards for lag only.
import './fastCrc.js'; // before kafkajs loads
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { headersToStrings } from '../domain/headers.js';
import type { KafkaClient } from './client.js';
import type { InMessage } from './transactional.js';

export interface OwnedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly InMessage[];
  readonly highWatermark: number;
}

export interface OwnedOffsetsOptions {
  readonly kafka: KafkaClient;
  readonly topics: readonly string[];
  /** The next offset to read per "topic:partition", as the sink has stored it; absent partitions start at their log start. */
  readonly positions: () => Promise<ReadonlyMap<string, number>>;
  /** Handles one partition's messages; they are stored (with their offsets) by the time it resolves. Throwing stops the consumer. */
  readonly onBatch: (b: OwnedBatch) => Promise<void>;
  /** Group whose committed offsets show the sink's progress to lag monitors; nothing reads them back. */
  readonly lagGroupId?: string;
  readonly maxBytesPerPartition?: number; // bytes
  readonly maxWaitTimeInMs?: number; // ms
  readonly onError?: (err: Error) => void;
}

export interface OwnedOffsetsConsumer {
  readonly start: () => Promise<void>;
  readonly stop: () => Promise<void>;
  /** Partition count per topic, read at start. */
  readonly partitions: () => ReadonlyMap<string, number>;
}

export const tp = (topic: string, partition: number): string => `${topic}:${partition}`;

/**
 * kafkajs has no manual assignment: a group of its own per start (one member, every partition, nothing committed)
 * stands in for assign(), and a seek to the sink's positions replaces the group's offsets. Restarting after a kill
 * therefore never waits for a dead member's session to expire, and a stale Kafka offset can never skip or repeat a row.
 */
export const createOwnedOffsetsConsumer = ({
  kafka,
  topics,
  positions,
  onBatch,
  lagGroupId,
  maxBytesPerPartition = 8 * 1024 * 1024, // 8 MiB
  maxWaitTimeInMs = 200,
  onError,
}: OwnedOffsetsOptions): OwnedOffsetsConsumer => {
  let consumer: Consumer | null = null;
  const counts = new Map<string, number>();
  let next = new Map<string, number>();
  const lag = new Map<string, Map<number, number>>();
  let lagTimer: NodeJS.Timeout | null = null;

  const commitLag = async (): Promise<void> => {
    if (!lagGroupId || lag.size === 0) return;
    const admin = kafka.admin();
    try {
      await admin.connect();
      for (const [topic, parts] of lag) {
        await admin.setOffsets({ groupId: lagGroupId, topic, partitions: [...parts].map(([partition, offset]) => ({ partition, offset: String(offset) })) });
      }
      lag.clear();
    } catch {
      // lag reporting is best effort: the next round retries
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };

  return {
    partitions: () => counts,
    start: async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const meta = await admin.fetchTopicMetadata({ topics: [...topics] });
        for (const t of meta.topics) counts.set(t.name, t.partitions.length);
      } finally {
        await admin.disconnect();
      }
      next = new Map(await positions());
      const c = kafka.consumer({
        groupId: `gexstream-owned-${randomUUID()}`,
        readUncommitted: false,
        maxBytesPerPartition,
        maxBytes: 4 * maxBytesPerPartition,
        maxWaitTimeInMs,
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
      });
      consumer = c;
      await c.connect();
      for (const topic of topics) await c.subscribe({ topic, fromBeginning: true });
      const run = c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, isRunning, isStale, heartbeat }) => {
          if (!isRunning() || isStale()) return;
          const key = tp(batch.topic, batch.partition);
          const from = next.get(key) ?? 0;
          const messages: InMessage[] = [];
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset < from) continue; // before the sink's position: a fetch that raced the seek
            messages.push({ topic: batch.topic, partition: batch.partition, offset, key: m.key, value: m.value, headers: headersToStrings(m.headers), timestamp: Number(m.timestamp) });
          }
          const last = messages[messages.length - 1];
          if (!last) return;
          await onBatch({ topic: batch.topic, partition: batch.partition, messages, highWatermark: Number(batch.highWatermark) });
          next.set(key, last.offset + 1);
          const parts = lag.get(batch.topic) ?? lag.set(batch.topic, new Map()).get(batch.topic);
          parts?.set(batch.partition, last.offset + 1);
          await heartbeat();
        },
      });
      run.catch((err: Error) => onError?.(err));
      // After run(): kafkajs applies seeks before its first fetch of each partition.
      for (const [key, offset] of next) {
        const i = key.lastIndexOf(':');
        const topic = key.slice(0, i);
        if (topics.includes(topic)) c.seek({ topic, partition: Number(key.slice(i + 1)), offset: String(offset) });
      }
      await run;
      if (lagGroupId) lagTimer = setInterval(() => void commitLag(), 5_000);
    },
    stop: async () => {
      if (lagTimer) clearInterval(lagTimer);
      lagTimer = null;
      await consumer?.disconnect();
      consumer = null;
      await commitLag();
    },
  };
};
