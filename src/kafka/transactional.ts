// Owns exactly-once consume-transform-produce: outputs and input offsets commit in one Kafka transaction per batch.
import './fastCrc.js'; // before kafkajs loads
import kafkajs, { type Consumer, type EachBatchPayload, type Producer, type Transaction } from 'kafkajs';
import { headersToStrings } from '../domain/headers.js';
import { producerCompression, type KafkaClient } from './client.js';
import { compressionType } from './codecs.js';
import type { OutMessage } from './producer.js';

export interface InMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  readonly timestamp: number;
}

export type Outputs = ReadonlyArray<{ topic: string; messages: readonly OutMessage[] }>;

export interface TransactionalOptions {
  readonly kafka: KafkaClient;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Stable per instance: a restarted instance with the same id fences its predecessor's open transaction. */
  readonly transactionalId: string;
  /** Turns a batch of one partition into outputs; throwing aborts the transaction and the batch is retried. */
  readonly transform: (batch: readonly InMessage[]) => Promise<Outputs>;
  readonly fromBeginning?: boolean;
  readonly maxBytesPerPartition?: number; // bytes
  readonly maxMessagesPerTransaction?: number;
  /**
   * Input bytes per transaction. kafkajs writes one record batch per partition, which must stay under the topic's
   * max.message.bytes, so a transaction's outputs are bounded through its inputs.
   */
  readonly maxInputBytesPerTransaction?: number; // bytes
  readonly onCommitted?: (info: { topic: string; partition: number; messages: number; lastOffset: number }) => void;
  readonly sessionTimeout?: number; // ms
  /** Longest a fetch waits for data; also how soon a resumed consumer fetches again (kafkajs idles this long when paused). */
  readonly maxWaitTimeInMs?: number; // ms
  /** Asked before each message: false stops the batch there (the rest is fetched again later), e.g. to yield to a higher priority. */
  readonly mayProceed?: () => boolean;
  /**
   * Partitions handled at once, each with a transactional producer of its own (`<transactionalId>`, `<transactionalId>-1`,
   * ...; keep it stable per instance so a restart fences every one of them). With 1, a batch of one partition waits for
   * the batches fetched before it, whatever their partition; with more, a small batch on a quiet partition (a critical
   * snapshot) commits while a backlog on another partition is being worked through.
   */
  readonly concurrency?: number;
  /** Every fetched batch reports how far its partition is behind (high watermark minus the next offset to process). */
  readonly onFetched?: (info: { topic: string; partition: number; highWatermark: number; firstOffset: number; lastOffset: number; messages: number }) => void;
}

export interface TransactionalProcessor {
  readonly start: () => Promise<void>;
  readonly stop: () => Promise<void>;
  readonly pause: () => void;
  readonly resume: () => void;
  readonly consumer: Consumer;
}


export const createTransactionalProcessor = async ({
  kafka,
  groupId,
  topics,
  transactionalId,
  transform,
  fromBeginning = true,
  maxBytesPerPartition = 8 * 1024 * 1024, // 8 MiB
  maxMessagesPerTransaction = 2000,
  maxInputBytesPerTransaction = 4 * 1024 * 1024, // 4 MiB
  onCommitted,
  mayProceed,
  onFetched,
  maxWaitTimeInMs = 5_000,
  // A crashed member holds its partitions until its session expires (kafkajs has no static membership): keep it short.
  sessionTimeout = 10_000,
  concurrency = 1,
}: TransactionalOptions): Promise<TransactionalProcessor> => {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency: expected a whole number >= 1, got ${concurrency}`);
  const maxSendBytes = 3 * 1024 * 1024; // 3 MiB per send, under every topic's max.message.bytes
  const compression = compressionType[producerCompression(kafka)];
  // A service keeps retrying retriable errors (a broker restart, a coordinator move): a failed send aborts the
  // transaction, so retrying never duplicates.
  const makeProducer = (id: string): Producer =>
    kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner, transactionTimeout: 60_000, retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 10, maxRetryTime: 5_000 } }); // the next transaction meets CONCURRENT_TRANSACTIONS until the markers are written: retry fast
  const producers: Producer[] = Array.from({ length: concurrency }, (_, i) => makeProducer(i === 0 ? transactionalId : `${transactionalId}-${i}`));
  // one transaction at a time per producer: a chunk borrows a free one
  const free: Producer[] = [...producers];
  const waiting: Array<(p: Producer) => void> = [];
  const borrow = (): Promise<Producer> => {
    const p = free.pop();
    return p ? Promise.resolve(p) : new Promise((r) => waiting.push(r));
  };
  const giveBack = (p: Producer): void => {
    const next = waiting.shift();
    if (next) next(p);
    else free.push(p);
  };
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted: false, maxBytesPerPartition, maxBytes: 4 * maxBytesPerPartition, sessionTimeout, heartbeatInterval: 1_000, maxWaitTimeInMs });

  /** Runs `work` in a transaction of `producer`: committed when it returns, aborted when it throws. */
  const inTransaction = async (producer: Producer, work: (tx: Transaction) => Promise<void>): Promise<void> => {
    const tx = await producer.transaction();
    try {
      await work(tx);
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
  };

  const commitChunk = async (payload: EachBatchPayload, chunk: InMessage[]): Promise<void> => {
    const { batch } = payload;
    const outputs = await transform(chunk);
    const last = chunk[chunk.length - 1];
    if (!last) return;
    const producer = await borrow();
    try {
      await inTransaction(producer, async (tx) => {
        // Several sends of at most ~3 MB each: kafkajs writes one record batch per partition and request, which must
        // stay under max.message.bytes, while one transaction may carry much more.
        let part: Array<{ topic: string; messages: OutMessage[] }> = [];
        let partBytes = 0;
        const sendPart = async (): Promise<void> => {
          if (part.length === 0) return;
          await tx.sendBatch({
            acks: -1,
            compression,
            topicMessages: part.map((o) => ({
              topic: o.topic,
              messages: o.messages.map((m) => ({ key: m.key, value: m.value, ...(m.headers ? { headers: m.headers } : {}), ...(m.partition !== undefined ? { partition: m.partition } : {}) })),
            })),
          });
          part = [];
          partBytes = 0;
        };
        for (const o of outputs) {
          let current: OutMessage[] = [];
          part.push({ topic: o.topic, messages: current });
          for (const m of o.messages) {
            if (partBytes + m.value.length > maxSendBytes && partBytes > 0) {
              await sendPart();
              current = [];
              part.push({ topic: o.topic, messages: current });
            }
            current.push(m);
            partBytes += m.value.length;
          }
        }
        part = part.filter((p) => p.messages.length > 0);
        await sendPart();
        await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(last.offset + 1) }] }] });
      });
    } finally {
      giveBack(producer);
    }
    payload.resolveOffset(String(last.offset));
    onCommitted?.({ topic: batch.topic, partition: batch.partition, messages: chunk.length, lastOffset: last.offset });
    await payload.heartbeat();
  };

  return {
    consumer,
    start: async () => {
      for (const p of producers) await p.connect();
      await consumer.connect();
      for (const topic of topics) await consumer.subscribe({ topic, fromBeginning });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: concurrency,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          const first = batch.messages[0];
          const last = batch.messages[batch.messages.length - 1];
          if (first && last) onFetched?.({ topic: batch.topic, partition: batch.partition, highWatermark: Number(batch.highWatermark), firstOffset: Number(first.offset), lastOffset: Number(last.offset), messages: batch.messages.length });
          let chunk: InMessage[] = [];
          let chunkBytes = 0;
          for (const m of batch.messages) {
            if (!payload.isRunning() || payload.isStale()) return;
            if (mayProceed && !mayProceed()) break;
            chunk.push({ topic: batch.topic, partition: batch.partition, offset: Number(m.offset), key: m.key, value: m.value, headers: headersToStrings(m.headers), timestamp: Number(m.timestamp) });
            chunkBytes += m.value?.length ?? 0;
            if (chunk.length >= maxMessagesPerTransaction || chunkBytes >= maxInputBytesPerTransaction) {
              await commitChunk(payload, chunk);
              chunk = [];
              chunkBytes = 0;
            }
          }
          if (chunk.length > 0 && payload.isRunning() && !payload.isStale()) await commitChunk(payload, chunk);
        },
      });
    },
    stop: async () => {
      await consumer.disconnect();
      for (const p of producers) await p.disconnect();
    },
    pause: () => consumer.pause(topics.map((topic) => ({ topic }))),
    resume: () => consumer.resume(topics.map((topic) => ({ topic }))),
  };
};
