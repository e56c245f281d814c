// Owns producing with @platformatic/kafka behind the GexProducer interface: idempotent, acks=all, Java-compatible keys.
import { Producer, compatibilityPartitioner, type MessageToProduce } from '@platformatic/kafka';
import type { GexProducer, OutMessage } from '../../../../src/kafka/producer.js';
import { backoff, baseOptions, type PlatformaticOptions } from './common.js';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export const toProduce = (topic: string, m: OutMessage): MessageToProduce => ({
  topic,
  value: m.value,
  ...(m.key !== null ? { key: typeof m.key === 'string' ? Buffer.from(m.key) : m.key } : {}),
  ...(m.headers ? { headers: new Map(Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])) } : {}),
  ...(m.partition !== undefined ? { partition: m.partition } : {}),
});

/**
 * The library's default partitioner takes murmur2 `>>> 0` (partitioners.js), which puts about half of all keys on another
 * partition than the Java client and kafkajs; `compatibilityPartitioner` masks with 0x7fffffff as Java does.
 */
export const createPlatformaticProducer = async (
  options: PlatformaticOptions,
  { compression = 'none', idempotent = true }: { compression?: Compression; idempotent?: boolean } = {},
): Promise<GexProducer> => {
  const producer = new Producer({
    ...baseOptions(options),
    idempotent,
    compression,
    partitioner: compatibilityPartitioner,
    timeout: 30_000,
    // retriable errors (a broker restart, a leader move) are retried as the Java producer does, which idempotence makes safe
    ...(idempotent ? { retries: true, retryDelay: backoff(100) } : {}),
  });
  if (idempotent) await producer.initIdempotentProducer({}); // connect now, as createProducer does
  return {
    send: async (batch) => {
      const messages = batch.flatMap(({ topic, messages: ms }) => ms.map((m) => toProduce(topic, m)));
      if (messages.length > 0) await producer.send({ messages, acks: -1 });
    },
    close: () => producer.close(),
  };
};
