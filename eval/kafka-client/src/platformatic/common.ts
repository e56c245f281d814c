// Owns what the @platformatic/kafka implementation of the Kafka edge shares: client options, message mapping, offsets.
import { Admin, type BaseOptions, type Message } from '@platformatic/kafka';
import type { InMessage } from '../../../../src/kafka/transactional.js';

export interface PlatformaticOptions {
  readonly brokers: string[];
  readonly clientId?: string;
  readonly connectTimeout?: number; // ms
}

/** Exponential backoff from `initialMs` to `maxMs`: the library's default is a flat 1,000 ms. */
export const backoff =
  (initialMs: number, maxMs = 5_000) =>
  (_client: unknown, _operation: string, attempt: number): number =>
    Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));

export const baseOptions = ({ brokers, clientId = 'gexstream', connectTimeout = 3_000 }: PlatformaticOptions): BaseOptions => ({
  clientId,
  bootstrapBrokers: brokers,
  connectTimeout,
  retries: 5,
  retryDelay: backoff(100),
});

export const toInMessage = (m: Message): InMessage => {
  const headers: Record<string, string> = {};
  for (const [k, v] of m.headers) headers[k.toString()] = v.toString();
  return { topic: m.topic, partition: m.partition, offset: Number(m.offset), key: m.key ?? null, value: m.value ?? null, headers, timestamp: Number(m.timestamp) };
};

export const tpKey = (topic: string, partition: number): string => `${topic}:${partition}`;

/** Log start (low) and end (high watermark) offsets of every partition of `topic`. */
export const logBounds = async (admin: Admin, topic: string): Promise<Map<number, { low: number; high: number }>> => {
  const meta = await admin.metadata({ topics: [topic] });
  const count = meta.topics.get(topic)?.partitionsCount ?? 0;
  const at = async (timestamp: bigint) => {
    const [t] = await admin.listOffsets({ topics: [{ name: topic, partitions: Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }], isolationLevel: 0 });
    return new Map((t?.partitions ?? []).map((p) => [p.partitionIndex, Number(p.offset)]));
  };
  const [low, high] = [await at(-2n), await at(-1n)]; // EARLIEST, LATEST
  return new Map(Array.from({ length: count }, (_, p) => [p, { low: low.get(p) ?? 0, high: high.get(p) ?? 0 }]));
};
