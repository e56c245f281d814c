// Owns consuming from offsets a sink stores with its data, with @platformatic/kafka: a stream in manual mode starts every
// partition at the sink's position; the lag group's offsets are set with the admin API (a group nobody joins).
import { randomUUID } from 'node:crypto';
import { Admin, Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import type { OwnedOffsetsConsumer, OwnedOffsetsOptions } from '../../../../src/kafka/ownedOffsets.js';
import type { InMessage } from '../../../../src/kafka/transactional.js';
import { baseOptions, logBounds, toInMessage, tpKey, type PlatformaticOptions } from './common.js';
import { createHealthTracker } from '../../../../src/kafka/supervision.js';

const MAX_BATCH = 5_000; // messages handed to onBatch at once

export const createPlatformaticOwnedOffsetsConsumer = (
  options: PlatformaticOptions,
  { topics, positions, onBatch, lagGroupId, maxBytesPerPartition = 8 * 1024 * 1024, maxWaitTimeInMs = 200, onError }: Omit<OwnedOffsetsOptions, 'kafka'>,
): OwnedOffsetsConsumer => {
  const counts = new Map<string, number>();
  const high = new Map<string, number>();
  const next = new Map<string, number>();
  const lag = new Map<string, Map<number, number>>();
  let consumer: Consumer | null = null;
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  let admin: Admin | null = null;
  let lagTimer: NodeJS.Timeout | null = null;
  let isAssigned = false;
  let failed = false;
  // per partition: messages waiting, and whether its onBatch runs (one at a time per partition, in offset order)
  const queues = new Map<string, Message[]>();
  const busy = new Set<string>();
  const idle: Array<() => void> = [];

  const commitLag = async (): Promise<void> => {
    if (!admin || !lagGroupId || lag.size === 0) return;
    const snapshot = [...lag].map(([name, parts]) => ({ name, partitionOffsets: [...parts].map(([partition, offset]) => ({ partition, offset: BigInt(offset) })) }));
    try {
      await admin.alterConsumerGroupOffsets({ groupId: lagGroupId, topics: snapshot });
      for (const t of snapshot) for (const p of t.partitionOffsets) if (lag.get(t.name)?.get(p.partition) === Number(p.offset)) lag.get(t.name)?.delete(p.partition);
    } catch {
      // lag reporting is best effort: the next round retries
    }
  };
  const noteLag = (topic: string, partition: number, offset: number): void => void (lag.get(topic) ?? lag.set(topic, new Map()).get(topic))?.set(partition, offset);

  const work = async (key: string): Promise<void> => {
    if (busy.has(key) || failed) return;
    busy.add(key);
    try {
      for (let q = queues.get(key); q && q.length > 0 && !failed; q = queues.get(key)) {
        const taken = q.splice(0, MAX_BATCH);
        const first = taken[0] as Message;
        const from = next.get(key) ?? 0;
        const messages: InMessage[] = taken.filter((m) => Number(m.offset) >= from).map(toInMessage);
        const last = messages[messages.length - 1];
        if (!last) continue;
        await onBatch({ topic: first.topic, partition: first.partition, messages, highWatermark: Math.max(high.get(key) ?? 0, last.offset + 1) });
        next.set(key, last.offset + 1);
        noteLag(last.topic, last.partition, last.offset + 1);
      }
    } catch (err) {
      failed = true; // as the kafkajs edge: a throwing onBatch stops the consumer
      isAssigned = false;
      onError?.(err as Error);
    } finally {
      busy.delete(key);
      if (busy.size === 0) for (const r of idle.splice(0)) r();
    }
  };

  // progress as the kafkajs runner reports it (the adapter reports joins and stops only: it is not wired into a role)
  const health = createHealthTracker();
  return {
    health: health.snapshot,
    partitions: () => counts,
    assigned: () => isAssigned,
    start: async () => {
      failed = false;
      admin = new Admin(baseOptions(options));
      const stored = await positions();
      const offsets: Array<{ topic: string; partition: number; offset: bigint }> = [];
      for (const topic of topics) {
        const bounds = await logBounds(admin, topic);
        counts.set(topic, bounds.size);
        for (const [partition, b] of bounds) {
          const key = tpKey(topic, partition);
          const at = Math.max(b.low, stored.get(key) ?? b.low);
          next.set(key, at);
          high.set(key, b.high);
          offsets.push({ topic, partition, offset: BigInt(at) });
          // the lag group learns the stored positions too, also of partitions with nothing new to consume
          if (stored.has(key)) noteLag(topic, partition, at);
        }
      }
      // a group of its own per start: one member, every partition, nothing committed (no dead member's session to wait out)
      consumer = new Consumer({ ...baseOptions(options), groupId: `gexstream-owned-${randomUUID()}`, maxBytesPerPartition, maxBytes: 4 * maxBytesPerPartition, maxWaitTime: maxWaitTimeInMs, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
      const s = await consumer.consume({ topics: [...topics], mode: 'manual', offsets, autocommit: false });
      stream = s;
      isAssigned = true;
      s.on('data', (m: Message) => {
        const key = tpKey(m.topic, m.partition);
        (queues.get(key) ?? queues.set(key, []).get(key))?.push(m);
        if (!busy.has(key)) setImmediate(() => void work(key)); // let the rest of the fetch queue up first
      });
      s.on('error', (err: Error) => {
        isAssigned = false;
        onError?.(err);
      });
      if (lagGroupId) {
        void commitLag();
        lagTimer = setInterval(() => void commitLag(), 2_000);
      }
    },
    stop: async () => {
      if (lagTimer) clearInterval(lagTimer);
      lagTimer = null;
      isAssigned = false;
      await stream?.close().catch(() => undefined);
      stream = null;
      if (busy.size > 0) await new Promise<void>((r) => idle.push(r));
      queues.clear();
      await consumer?.close().catch(() => undefined);
      consumer = null;
      await commitLag();
      await admin?.close().catch(() => undefined);
      admin = null;
    },
  };
};
