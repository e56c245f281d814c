// Owns reading a topic from the beginning up to its end offsets at start (bounded reads for CLIs, replay checks, tests).
import { randomUUID } from 'node:crypto';
import { headersToStrings } from '../domain/headers.js';
import type { KafkaClient } from './client.js';

/** A consumed message, as every reader of this module hands it over. */
export type { InMessage as ReadMessage } from './transactional.js';
import type { InMessage as ReadMessage } from './transactional.js';


/**
 * Reads every message of `topic` up to the end offsets taken when the call starts (read_committed), in partition order.
 * Transaction markers occupy offsets without being delivered, so a partition also counts as done after `idleMs`
 * without a message.
 */
/** The end offset of each partition now: pass it as `from` later to read only what was written since. */
export const endOffsets = async (kafka: KafkaClient, topic: string): Promise<Map<number, number>> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
};

export const readToEnd = async (
  kafka: KafkaClient,
  topic: string,
  onMessage: (m: ReadMessage) => void | Promise<void>,
  { idleMs = 1500, timeoutMs = 120_000, from }: { idleMs?: number; timeoutMs?: number; from?: ReadonlyMap<number, number> } = {},
): Promise<{ messages: number; endOffsets: Map<number, number> }> => {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const end = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  const low = new Map(offsets.map((o) => [o.partition, Math.max(Number(o.low), from?.get(o.partition) ?? 0)]));
  const pending = new Set([...end].filter(([p, h]) => h > (low.get(p) ?? 0)).map(([p]) => p));
  let messages = 0;
  if (pending.size === 0) return { messages, endOffsets: end };
  const consumer = kafka.consumer({ groupId: `gexstream-reader-${randomUUID()}`, readUncommitted: false, maxBytes: 50 * 1024 * 1024, maxWaitTimeInMs: 250 }); // disconnect waits out the fetch in flight: keep it short
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let lastActivity = Date.now();
  let first = true; // joining the group takes a while: wait longer for the first batch
  const started = Date.now();
  const lastSeen = new Map([...low].map(([p, o]) => [p, o - 1]));
  // A partition is done at its end offset, or, after `idleMs` without a message, when all that is left is one or two
  // offsets: the commit or abort marker of a transaction, which is never delivered. A longer silence ends the read too.
  const done = (idle: number): boolean =>
    [...pending].every((p) => {
      const gap = (end.get(p) ?? 0) - ((lastSeen.get(p) ?? -1) + 1);
      return gap <= 0 || (gap <= 2 && idle > idleMs);
    });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const idle = Date.now() - lastActivity;
        if (done(idle) || idle > (first ? Math.max(idleMs, 15_000) : Math.max(10 * idleMs, 10_000))) {
          clearInterval(timer);
          resolve();
        } else if (Date.now() - started > timeoutMs) {
          clearInterval(timer);
          reject(new Error(`reading ${topic}: not at the end offsets after ${timeoutMs} ms`));
        }
      }, 50);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            lastActivity = Date.now();
            first = false;
            const stop = end.get(batch.partition) ?? 0;
            for (const m of batch.messages) {
              const offset = Number(m.offset);
              if (offset < (low.get(batch.partition) ?? 0)) continue;
              if (offset >= stop) break;
              messages++;
              lastSeen.set(batch.partition, offset);
              await onMessage({ topic, partition: batch.partition, offset, key: m.key, value: m.value, headers: headersToStrings(m.headers), timestamp: Number(m.timestamp) });
            }
          },
        })
        .catch(reject);
      if (from) for (const [partition, offset] of low) consumer.seek({ topic, partition, offset: String(offset) });
    });
  } finally {
    await consumer.disconnect();
  }
  return { messages, endOffsets: end };
};

/**
 * Reads `topics` from the offsets in `from` (per topic and partition; others from their start) as messages arrive,
 * until `until()` holds or `timeoutMs` passes: for waiting on outcomes that other services write.
 */
export const follow = async (
  kafka: KafkaClient,
  topics: readonly string[],
  from: ReadonlyMap<string, ReadonlyMap<number, number>>,
  onMessage: (m: ReadMessage) => void | Promise<void>,
  { until, timeoutMs }: { until: () => boolean; timeoutMs: number },
): Promise<{ complete: boolean }> => {
  if (until()) return { complete: true };
  const consumer = kafka.consumer({ groupId: `gexstream-follow-${randomUUID()}`, readUncommitted: false, maxBytes: 50 * 1024 * 1024, maxWaitTimeInMs: 250 });
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    let failure: Error | null = null;
    const run = consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) await onMessage({ topic: batch.topic, partition: batch.partition, offset: Number(m.offset), key: m.key, value: m.value, headers: headersToStrings(m.headers), timestamp: Number(m.timestamp) });
      },
    });
    run.catch((err: Error) => {
      failure = err;
    });
    for (const [topic, parts] of from) if (topics.includes(topic)) for (const [partition, offset] of parts) consumer.seek({ topic, partition, offset: String(offset) });
    const t0 = Date.now();
    while (!until() && Date.now() - t0 < timeoutMs && failure === null) await new Promise((r) => setTimeout(r, 100));
    if (failure) throw failure;
    return { complete: until() };
  } finally {
    await consumer.disconnect();
  }
};
