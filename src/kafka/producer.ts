// Owns producing: an idempotent, batching, compressing producer behind a small interface.
import './fastCrc.js'; // before kafkajs loads
import kafkajs, { type Producer } from 'kafkajs';
import type { Compression } from '../config.js';
import { producerCompression, type KafkaClient } from './client.js';
import { compressionType } from './codecs.js';

const { Partitioners } = kafkajs;

export interface OutMessage {
  readonly key: string | Buffer | null;
  readonly value: Buffer;
  readonly headers?: Record<string, string>;
  readonly partition?: number;
}

export type { Compression };

export interface GexProducer {
  /** Sends one batch (possibly to several topics) and resolves when every message is acknowledged by all in-sync replicas. */
  readonly send: (batch: ReadonlyArray<{ topic: string; messages: readonly OutMessage[] }>) => Promise<void>;
  readonly close: () => Promise<void>;
}

export const createProducer = async ({
  kafka,
  compression = producerCompression(kafka),
  idempotent = true,
}: {
  kafka: KafkaClient;
  compression?: Compression;
  idempotent?: boolean;
}): Promise<GexProducer> => {
  // murmur2 partitioning like the Java client, so keys land where any other client would put them; retriable errors
  // (a broker restart, a leader move) are retried as the Java producer does, which idempotence makes safe.
  const producer: Producer = kafka.producer({
    idempotent,
    maxInFlightRequests: idempotent ? 1 : 5,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    ...(idempotent ? { retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5_000 } } : {}),
  });
  await producer.connect();
  const codec = compressionType[compression];
  return {
    send: async (batch) => {
      await producer.sendBatch({
        acks: -1,
        compression: codec,
        topicMessages: batch.map(({ topic, messages }) => ({
          topic,
          messages: messages.map((m) => ({ key: m.key, value: m.value, ...(m.headers ? { headers: m.headers } : {}), ...(m.partition !== undefined ? { partition: m.partition } : {}) })),
        })),
      });
    },
    close: () => producer.disconnect(),
  };
};
