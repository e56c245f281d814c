// Owns KTable-style reading of a compacted topic: replay it from the start, then follow it, folding each record.
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { KafkaClient } from './client.js';

export interface TableReader {
  /** Resolves once every record up to the end offsets at start has been folded. */
  readonly ready: Promise<void>;
  readonly stop: () => Promise<void>;
}

/**
 * Follows `topic` with an ephemeral, never-committing consumer (no group state to clean up), calling `onRecord`
 * for every record in offset order per partition. A change is therefore applied as soon as it is consumed.
 */
export const followTable = async ({
  kafka,
  topic,
  onRecord,
}: {
  kafka: KafkaClient;
  topic: string;
  onRecord: (r: { key: string | null; value: Buffer | null; partition: number; offset: number }) => Promise<void> | void;
}): Promise<TableReader> => {
  const admin = kafka.admin();
  await admin.connect();
  const end = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  await admin.disconnect();
  const behind = new Set([...end].filter(([, h]) => h > 0).map(([p]) => p));
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));
  if (behind.size === 0) markReady();
  const consumer: Consumer = kafka.consumer({ groupId: `gexstream-table-${topic}-${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        await onRecord({ key: m.key?.toString('utf8') ?? null, value: m.value, partition: batch.partition, offset: Number(m.offset) });
        if (Number(m.offset) >= (end.get(batch.partition) ?? 0) - 1) behind.delete(batch.partition);
      }
      if (Number(batch.highWatermark) >= (end.get(batch.partition) ?? 0)) {
        // caught up with what existed at start (transaction markers may hide the very last offsets)
        if (batch.messages.length === 0 || Number(batch.lastOffset()) >= (end.get(batch.partition) ?? 0) - 2) behind.delete(batch.partition);
      }
      if (behind.size === 0) markReady();
    },
  });
  return { ready, stop: () => consumer.disconnect() };
};
