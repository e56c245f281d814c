// Owns KTable-style reading of a compacted topic: replay it from the start, then follow it, folding each record.
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { KafkaClient } from './client.js';

export interface TableReader {
  /** Resolves once every record up to the end offsets at start has been folded. */
  readonly ready: Promise<void>;
  /**
   * Resolves once every record written before the call has been folded (read-your-writes: one metadata request, then a
   * wait for the follower); rejects after `timeoutMs`.
   */
  readonly caughtUp: (timeoutMs?: number) => Promise<void>;
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
  // the next offset to fold per partition, and the high watermark the last fetch saw
  const position = new Map<number, number>();
  const seenHigh = new Map<number, number>();
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
        position.set(batch.partition, Number(m.offset) + 1);
        if (Number(m.offset) >= (end.get(batch.partition) ?? 0) - 1) behind.delete(batch.partition);
      }
      seenHigh.set(batch.partition, Number(batch.highWatermark));
      if (Number(batch.highWatermark) >= (end.get(batch.partition) ?? 0)) {
        // caught up with what existed at start (transaction markers may hide the very last offsets)
        if (batch.messages.length === 0 || Number(batch.lastOffset()) >= (end.get(batch.partition) ?? 0) - 2) behind.delete(batch.partition);
      }
      if (behind.size === 0) markReady();
    },
  });
  // one admin client for every caughtUp, connected on first use (concurrent callers share the connecting promise)
  let offsetsAdmin: Promise<ReturnType<KafkaClient['admin']>> | null = null;
  const caughtUp = async (timeoutMs = 10_000): Promise<void> => {
    offsetsAdmin ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      return a;
    })();
    const target = (await (await offsetsAdmin).fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, high: Number(o.high), low: Number(o.low) }));
    const t0 = Date.now();
    // a partition is there when its next offset reaches the end; one or two offsets short is a transaction marker (never
    // delivered) once the fetches have seen that end
    const there = (): boolean =>
      target.every(({ partition, high, low }) => {
        const pos = Math.max(position.get(partition) ?? 0, low);
        return pos >= high || (high - pos <= 2 && (seenHigh.get(partition) ?? 0) >= high && Date.now() - t0 > 200);
      });
    await ready;
    while (!there()) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`${topic}: the follower did not reach the end offsets within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    ready,
    caughtUp,
    stop: async () => {
      await consumer.disconnect();
      if (offsetsAdmin) await (await offsetsAdmin).disconnect();
    },
  };
};
