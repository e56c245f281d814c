// Owns bounded reads with @platformatic/kafka: a topic from its start (or given offsets) up to its end offsets at the call.
import { randomUUID } from 'node:crypto';
import { Admin, Consumer, type Message } from '@platformatic/kafka';
import type { ReadMessage } from '../../../../src/kafka/reader.js';
import { baseOptions, logBounds, toInMessage, type PlatformaticOptions } from './common.js';

export const platformaticEndOffsets = async (options: PlatformaticOptions, topic: string): Promise<Map<number, number>> => {
  const admin = new Admin(baseOptions(options));
  try {
    return new Map([...(await logBounds(admin, topic))].map(([p, b]) => [p, b.high]));
  } finally {
    await admin.close();
  }
};

/**
 * As readToEnd of the kafkajs edge: read_committed, in partition order, up to the end offsets taken at the call. A
 * partition is done once a message at or past its end minus one is seen, or, when all that is left is one or two
 * offsets (a transaction marker, never delivered), after `idleMs` without a message.
 */
export const platformaticReadToEnd = async (
  options: PlatformaticOptions,
  topic: string,
  onMessage: (m: ReadMessage) => void | Promise<void>,
  { idleMs = 1500, timeoutMs = 120_000, from }: { idleMs?: number; timeoutMs?: number; from?: ReadonlyMap<number, number> } = {},
): Promise<{ messages: number; endOffsets: Map<number, number> }> => {
  const admin = new Admin(baseOptions(options));
  const bounds = await logBounds(admin, topic).finally(() => admin.close());
  const end = new Map([...bounds].map(([p, b]) => [p, b.high]));
  const start = new Map([...bounds].map(([p, b]) => [p, Math.max(b.low, from?.get(p) ?? 0)]));
  const pending = new Set([...end].filter(([p, h]) => h > (start.get(p) ?? 0)).map(([p]) => p));
  let messages = 0;
  if (pending.size === 0) return { messages, endOffsets: end };
  const consumer = new Consumer({ ...baseOptions(options), groupId: `gexstream-reader-${randomUUID()}`, maxWaitTime: 250, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const lastSeen = new Map([...start].map(([p, o]) => [p, o - 1]));
  const done = (idle: number): boolean =>
    [...pending].every((p) => {
      const gap = (end.get(p) ?? 0) - ((lastSeen.get(p) ?? -1) + 1);
      return gap <= 0 || (gap <= 2 && idle > idleMs);
    });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'manual', offsets: [...start].map(([partition, offset]) => ({ topic, partition, offset: BigInt(offset) })), autocommit: false });
    try {
      await new Promise<void>((resolve, reject) => {
        let lastActivity = Date.now();
        const started = Date.now();
        let chain = Promise.resolve();
        const timer = setInterval(() => {
          const idle = Date.now() - lastActivity;
          if (done(idle) || idle > Math.max(10 * idleMs, 15_000)) {
            clearInterval(timer);
            chain.then(resolve, reject);
          } else if (Date.now() - started > timeoutMs) {
            clearInterval(timer);
            reject(new Error(`reading ${topic}: not at the end offsets after ${timeoutMs} ms`));
          }
        }, 50);
        stream.on('data', (m: Message) => {
          lastActivity = Date.now();
          const offset = Number(m.offset);
          if (offset >= (end.get(m.partition) ?? 0) || offset < (start.get(m.partition) ?? 0)) return;
          messages++;
          lastSeen.set(m.partition, offset);
          chain = chain.then(() => onMessage(toInMessage(m)));
        });
        stream.on('error', (err: Error) => {
          clearInterval(timer);
          reject(err);
        });
      });
    } finally {
      await stream.close();
    }
  } finally {
    await consumer.close();
  }
  return { messages, endOffsets: end };
};
