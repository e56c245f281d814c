// Owns exactly-once consume-transform-produce: outputs and input offsets commit in one Kafka transaction per batch.
import './fastCrc.js'; // before kafkajs loads
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Consumer, type EachBatchPayload, type Producer, type Transaction } from 'kafkajs';
import { headersToStrings } from '../domain/headers.js';
import type { ConsumerHealth } from '../domain/processing/health.js';
import type { TopicKind } from '../domain/topicKind.js';
import type { Topology } from '../domain/topology.js';
import { producerCompression, type KafkaClient } from './client.js';
import { compressionType } from './codecs.js';
import type { OutMessage } from './producer.js';
import { isRetriable } from './retry.js';
import { createHealthTracker, supervise } from './supervision.js';

/** How long start-up waits for a broker that is down or restarting. */
const START_WAIT_MS = 60_000;
/** How often a held batch asks again whether it may go on. */
const HELD_POLL_MS = 10;

export interface InMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  readonly timestamp: number;
}

/**
 * Where a transform's messages go: addressed by what they are (`jobs`, `level.critical`, ...), which the runner resolves
 * through its topology, or by a topic name.
 */
export type Output = { readonly kind: TopicKind; readonly messages: readonly OutMessage[] } | { readonly topic: string; readonly messages: readonly OutMessage[] };
export type Outputs = ReadonlyArray<Output>;

/** The topic of an output: its kind resolved through the runner's topology, or the name it gives. */
export const outputTopic = (o: Output, topology: Pick<Topology, 'topic'> | undefined): string => {
  if ('topic' in o) return o.topic;
  // a programmer error: the role addresses kinds but its runner was not given the topology
  if (!topology) throw new Error(`an output addressed by kind ${o.kind} needs the runner's topology option`);
  return topology.topic(o.kind);
};

export interface TransactionalOptions {
  readonly kafka: KafkaClient;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Resolves the outputs addressed by kind. */
  readonly topology?: Pick<Topology, 'topic'>;
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
  /**
   * Asked before each message: false holds the batch there (what was taken so far commits; the rest waits in memory
   * and is asked again every few ms, heartbeating), e.g. to yield to a higher priority. A paused processor holds too.
   */
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
  /** A crash of the consumer: kafkajs restarts it after a retriable error, this runner after any other (with backoff). */
  readonly onCrash?: (info: { error: unknown; restart: 'kafkajs' | 'supervisor'; inMs: number | null }) => void;
  /** A start-up attempt failed on a broker that is down or restarting; start() tries again for about a minute. */
  readonly onStartRetry?: (info: { error: unknown; attempt: number }) => void;
  /** A failed transaction: its producer is replaced by a new one with the same transactional id. */
  readonly onProducerReset?: (info: { transactionalId: string; error: unknown }) => void;
}

export interface TransactionalProcessor {
  readonly start: () => Promise<void>;
  readonly stop: () => Promise<void>;
  readonly pause: () => void;
  readonly resume: () => void;
  /** Lifecycle, crashes, lag and progress of the consumer, for readiness. */
  readonly health: () => ConsumerHealth;
}


export const createTransactionalProcessor = async ({
  kafka,
  groupId,
  topics,
  topology,
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
  onCrash,
  onProducerReset,
  onStartRetry,
}: TransactionalOptions): Promise<TransactionalProcessor> => {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency: expected a whole number >= 1, got ${concurrency}`);
  const maxSendBytes = 3 * 1024 * 1024; // 3 MiB per send, under every topic's max.message.bytes
  const compression = compressionType[producerCompression(kafka)];
  // A service keeps retrying retriable errors (a broker restart, a coordinator move): a failed send aborts the
  // transaction, so retrying never duplicates.
  const makeProducer = (id: string): Producer =>
    kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner, transactionTimeout: 60_000, retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 10, maxRetryTime: 5_000 } }); // the next transaction meets CONCURRENT_TRANSACTIONS until the markers are written: retry fast
  // One transaction at a time per producer: a chunk borrows a free slot. A slot's producer is replaced after a failed
  // transaction: kafkajs can be left in a state no transaction begins from again (a broker restart during a commit
  // left "Cannot call beginTransaction in state COMMITTING" for good). The new producer's InitProducerId, with the same
  // transactional id, makes the coordinator abort whatever the old one left open and bumps the epoch, which fences
  // the old session: nothing of the failed transaction becomes visible, and its input is consumed again.
  interface Slot {
    readonly id: string;
    producer: Producer;
    connected: boolean;
  }
  const slots: Slot[] = Array.from({ length: concurrency }, (_, i) => {
    const id = i === 0 ? transactionalId : `${transactionalId}-${i}`;
    return { id, producer: makeProducer(id), connected: false };
  });
  const free: Slot[] = [...slots];
  const waiting: Array<(s: Slot) => void> = [];
  const borrow = (): Promise<Slot> => {
    const p = free.pop();
    return p ? Promise.resolve(p) : new Promise((r) => waiting.push(r));
  };
  const giveBack = (p: Slot): void => {
    const next = waiting.shift();
    if (next) next(p);
    else free.push(p);
  };
  const reset = async (slot: Slot, error: unknown): Promise<void> => {
    const old = slot.producer;
    slot.producer = makeProducer(slot.id);
    slot.connected = false;
    onProducerReset?.({ transactionalId: slot.id, error });
    await old.disconnect().catch(() => undefined);
  };
  const health = createHealthTracker();
  let paused = false;
  let stopped = false;

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

  /** Until the consumer is resumed and `mayProceed` says yes: true; false once the batch is no longer wanted (stop, seek). */
  const waitForLeave = async (payload: EachBatchPayload): Promise<boolean> => {
    for (;;) {
      if (!payload.isRunning() || payload.isStale()) return false;
      if (!paused && (!mayProceed || mayProceed())) return true;
      await sleep(HELD_POLL_MS);
      await payload.heartbeat(); // a rebalance while held throws here, as it would at the next commit
    }
  };

  const commitChunk = async (payload: EachBatchPayload, chunk: InMessage[]): Promise<void> => {
    const { batch } = payload;
    const outputs = (await transform(chunk)).map((o) => ({ topic: outputTopic(o, topology), messages: o.messages }));
    const last = chunk[chunk.length - 1];
    if (!last) return;
    const slot = await borrow();
    try {
      if (!slot.connected) {
        await slot.producer.connect();
        slot.connected = true;
      }
      await inTransaction(slot.producer, async (tx) => {
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
    } catch (err) {
      await reset(slot, err);
      throw err;
    } finally {
      giveBack(slot);
    }
    payload.resolveOffset(String(last.offset));
    // what is left behind the high-water mark; a gap of one or two is transaction markers, not work
    const behind = Number(batch.highWatermark) - (last.offset + 1);
    health.committed(`${batch.topic}:${batch.partition}`, behind > 2 ? behind : 0);
    onCommitted?.({ topic: batch.topic, partition: batch.partition, messages: chunk.length, lastOffset: last.offset });
    await payload.heartbeat();
  };

  const supervised = supervise({
    make: () => kafka.consumer({ groupId, readUncommitted: false, maxBytesPerPartition, maxBytes: 4 * maxBytesPerPartition, sessionTimeout, heartbeatInterval: 1_000, maxWaitTimeInMs }),
    health,
    ...(onCrash ? { onCrash } : {}),
    // a new consumer after a crash keeps the pause its predecessor was under
    onStarted: (c) => {
      if (paused) c.pause(topics.map((topic) => ({ topic })));
    },
    begin: async (consumer: Consumer) => {
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
          if (first && last) health.fetched(`${batch.topic}:${batch.partition}`, Number(batch.highWatermark) - Number(first.offset));
          if (first && last) onFetched?.({ topic: batch.topic, partition: batch.partition, highWatermark: Number(batch.highWatermark), firstOffset: Number(first.offset), lastOffset: Number(last.offset), messages: batch.messages.length });
          let chunk: InMessage[] = [];
          let chunkBytes = 0;
          for (const m of batch.messages) {
            if (!payload.isRunning() || payload.isStale()) return;
            if (paused || (mayProceed && !mayProceed())) {
              // Held back (a higher level has work, or paused): commit what was taken, then keep the fetched batch
              // and wait for leave. Dropping it meant fetching up to 8 MiB again, and on a loaded machine that took
              // longer than the drain plan kept the level resumed: low got nothing under continuous critical traffic.
              if (chunk.length > 0) {
                await commitChunk(payload, chunk);
                chunk = [];
                chunkBytes = 0;
              }
              if (!(await waitForLeave(payload))) return;
            }
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
  });

  return {
    health: health.snapshot,
    start: async () => {
      // A broker that is down or restarting at start-up is waited for (about a minute), as the registry is: a role
      // restarted during a broker restart exited with KafkaJSNumberOfRetriesExceeded (4 unplanned processor exits in
      // the fault bench). What is not retriable, or still failing after that, fails the start-up.
      const deadline = Date.now() + START_WAIT_MS;
      for (let attempt = 1; ; attempt++) {
        try {
          for (const s of slots) {
            if (s.connected) continue;
            await s.producer.connect();
            s.connected = true;
          }
          await supervised.start();
          return;
        } catch (err) {
          if (stopped || !isRetriable(err) || Date.now() >= deadline) throw err;
          onStartRetry?.({ error: err, attempt });
          await sleep(Math.min(5_000, 250 * 2 ** (attempt - 1)));
          if (stopped) throw err;
        }
      }
    },
    stop: async () => {
      stopped = true;
      try {
        await supervised.stop();
      } finally {
        for (const s of slots) await s.producer.disconnect().catch(() => undefined);
      }
    },
    pause: () => {
      paused = true;
      health.paused(true);
      supervised.current()?.pause(topics.map((topic) => ({ topic })));
    },
    resume: () => {
      paused = false;
      health.paused(false);
      supervised.current()?.resume(topics.map((topic) => ({ topic })));
    },
  };
};
