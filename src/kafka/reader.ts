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

/**
 * Reads the messages at the given offsets of `topic` (read_committed), each partition seeked to its next wanted
 * offset: for rebuilding a view whose positions are stored elsewhere. An offset with no message any more (deleted by
 * retention or compaction, or a transaction marker) is reported in `missing`. Stops when every offset is found or
 * passed, or after `timeoutMs` (what is left is missing).
 */
export const readAt = async (
  kafka: KafkaClient,
  topic: string,
  positions: ReadonlyArray<{ readonly partition: number; readonly offset: number }>,
  onMessage: (m: ReadMessage) => void | Promise<void>,
  { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
): Promise<{ found: number; missing: Array<{ partition: number; offset: number }> }> => {
  const wanted = new Map<number, number[]>();
  for (const p of positions) (wanted.get(p.partition) ?? wanted.set(p.partition, []).get(p.partition))?.push(p.offset);
  for (const offs of wanted.values()) offs.sort((a, b) => a - b);
  const missing: Array<{ partition: number; offset: number }> = [];
  let found = 0;
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const high = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  // offsets at or past the end (another cluster's positions) cannot be read
  for (const [p, offs] of wanted) {
    const end = high.get(p) ?? 0;
    for (const o of offs.filter((x) => x >= end)) missing.push({ partition: p, offset: o });
    const left = offs.filter((x) => x < end);
    if (left.length > 0) wanted.set(p, left);
    else wanted.delete(p);
  }
  if (wanted.size === 0) return { found, missing };
  const consumer = kafka.consumer({ groupId: `gexstream-reader-${randomUUID()}`, readUncommitted: false, maxBytes: 16 * 1024 * 1024, maxWaitTimeInMs: 250 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        for (const [p, offs] of wanted) for (const o of offs) missing.push({ partition: p, offset: o });
        wanted.clear();
        resolve();
      }, timeoutMs);
      const finish = (): void => {
        if (wanted.size > 0) return;
        clearTimeout(timer);
        resolve();
      };
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const offs = wanted.get(batch.partition);
            if (!offs) return; // not wanted (or done): nothing to read there
            for (const m of batch.messages) {
              const offset = Number(m.offset);
              while (offs.length > 0 && (offs[0] as number) < offset) missing.push({ partition: batch.partition, offset: offs.shift() as number });
              if (offs[0] !== offset) continue;
              offs.shift();
              found++;
              await onMessage({ topic, partition: batch.partition, offset, key: m.key, value: m.value, headers: headersToStrings(m.headers), timestamp: Number(m.timestamp) });
              if (offs.length > 0 && (offs[0] as number) > offset + 1) {
                // jump over what lies between (the rest of this batch is dropped by the seek)
                consumer.seek({ topic, partition: batch.partition, offset: String(offs[0]) });
                break;
              }
            }
            // a batch that ends before the next wanted offset: the fetch goes on from there
            if (offs.length === 0) {
              wanted.delete(batch.partition);
              consumer.pause([{ topic, partitions: [batch.partition] }]);
            }
            finish();
          },
        })
        .catch(reject);
      // every assigned partition starts at its first wanted offset; the others are paused
      consumer.pause([{ topic, partitions: offsets.map((o) => o.partition).filter((p) => !wanted.has(p)) }]);
      for (const [partition, offs] of wanted) consumer.seek({ topic, partition, offset: String(offs[0]) });
    });
  } finally {
    await consumer.disconnect();
  }
  return { found, missing };
};
