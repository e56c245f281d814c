// Owns exactly-once consume-transform-produce with @platformatic/kafka: outputs and input offsets commit in one
// transaction per chunk (TxnOffsetCommit with the group's generation, KIP-447), behind the kafkajs edge's interface.
import { Consumer, Producer, compatibilityPartitioner, type Message, type MessageToProduce, type MessagesStream } from '@platformatic/kafka';
import { outputTopic, type TransactionalOptions, type TransactionalProcessor, type Outputs } from '../../../../src/kafka/transactional.js';
import { backoff, baseOptions, toInMessage, tpKey, type PlatformaticOptions } from './common.js';
import { toProduce } from './producer.js';
import { createHealthTracker } from '../../../../src/kafka/supervision.js';

const MAX_SEND_BYTES = 3 * 1024 * 1024; // per send inside a transaction, as the kafkajs edge
const HELD_RETRY_MS = 10; // how soon a chunk that mayProceed held back is tried again
/**
 * InitProducerId must say "a new producer" (-1/-1) for a transactional id that exists already: the library sends
 * `options.producerId ?? 0n` and `?? 0` (producer.js:550), which the broker answers with PRODUCER_FENCED whenever the
 * id has a producer already, i.e. on every restart of an instance. Given explicitly, -1/-1 reaches the request.
 */
const NEW_PRODUCER = { producerId: -1n, producerEpoch: -1 };

/**
 * The library delivers a stream of single messages, not batches: messages are queued per partition and cut into chunks
 * here. A failed chunk (a throwing transform, a refused send, a fenced generation) aborts its transaction and restarts
 * the stream from the group's committed offsets once no other chunk is in flight, so nothing is skipped or repeated;
 * a rebalance does the same. The stream carries no high watermark (messages-stream.js builds messages without it), so
 * onFetched reports the last one listed (every second) or the last offset seen, whichever is further.
 */
export const createPlatformaticTransactionalProcessor = async (
  options: PlatformaticOptions,
  {
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
    sessionTimeout = 10_000,
    concurrency = 1,
  }: Omit<TransactionalOptions, 'kafka'>,
): Promise<Omit<TransactionalProcessor, 'consumer'>> => {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency: expected a whole number >= 1, got ${concurrency}`);
  // the next transaction meets CONCURRENT_TRANSACTIONS until the markers are written: retry from 10 ms (the library's
  // flat 1,000 ms default costs a second on one transaction in three); `timeout` is also the transaction timeout
  const producers = Array.from(
    { length: concurrency },
    (_, i) => new Producer({ ...baseOptions(options), idempotent: true, transactionalId: i === 0 ? transactionalId : `${transactionalId}-${i}`, ...NEW_PRODUCER, partitioner: compatibilityPartitioner, timeout: 60_000, retries: true, retryDelay: backoff(10) }),
  );
  const free = [...producers];
  const consumer = new Consumer({ ...baseOptions(options), groupId, sessionTimeout, heartbeatInterval: 1_000, maxWaitTime: maxWaitTimeInMs, maxBytesPerPartition, maxBytes: 4 * maxBytesPerPartition, isolationLevel: 1 });
  const maxQueued = 2 * maxMessagesPerTransaction * concurrency; // messages held locally before the stream is paused

  let running = false;
  let userPaused = false;
  let epoch = 0; // a new stream per epoch: chunks and messages of an older one are dropped
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  const queues = new Map<string, Message[]>();
  let queued = 0;
  const arrived = new Set<string>();
  const busy = new Set<string>();
  const idle: Array<() => void> = [];
  const high = new Map<string, number>();
  let failures = 0;
  let restarting: Promise<void> | null = null;
  let heldTimer: NodeJS.Timeout | null = null;
  let highTimer: NodeJS.Timeout | null = null;
  let reportScheduled = false;

  const flow = (): void => {
    if (!stream) return;
    const want = running && !userPaused && queued < maxQueued;
    if (want && stream.isPaused()) stream.resume();
    else if (!want && !stream.isPaused()) stream.pause();
  };

  const inTransaction = async (producer: Producer, chunk: readonly Message[], outputs: Outputs): Promise<void> => {
    // a failed begin (InitProducerId refused) leaves the library's transaction set (producer.js beginTransaction): every
    // later begin would fail with "There is already an active transaction" unless it is cancelled
    const tx = await producer.beginTransaction().catch(async (err: unknown) => {
      await producer.transaction?.cancel().catch(() => undefined);
      throw err;
    });
    try {
      let part: MessageToProduce[] = [];
      let partBytes = 0;
      for (const o of outputs) {
        const topic = outputTopic(o, topology);
        for (const m of o.messages) {
          if (partBytes + m.value.length > MAX_SEND_BYTES && partBytes > 0) {
            await tx.send({ messages: part });
            part = [];
            partBytes = 0;
          }
          part.push(toProduce(topic, m));
          partBytes += m.value.length;
        }
      }
      if (part.length > 0) await tx.send({ messages: part });
      await tx.addConsumer(consumer);
      await tx.addOffset(chunk[chunk.length - 1] as Message); // commits its offset + 1 with the generation it was fetched in
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => tx.cancel().catch(() => undefined));
      throw err;
    }
  };

  const work = async (key: string, producer: Producer): Promise<void> => {
    const mine = epoch;
    let held = false;
    busy.add(key);
    try {
      for (let q = queues.get(key); running && !userPaused && mine === epoch && q && q.length > 0; q = queues.get(key)) {
        const chunk: Message[] = [];
        let bytes = 0;
        while (chunk.length < q.length && chunk.length < maxMessagesPerTransaction && bytes < maxInputBytesPerTransaction) {
          if (mayProceed && !mayProceed()) break;
          const m = q[chunk.length] as Message;
          chunk.push(m);
          bytes += m.value?.length ?? 0;
        }
        if (chunk.length === 0) {
          held = true;
          break;
        }
        await inTransaction(producer, chunk, await transform(chunk.map(toInMessage)));
        failures = 0;
        const last = chunk[chunk.length - 1] as Message;
        onCommitted?.({ topic: last.topic, partition: last.partition, messages: chunk.length, lastOffset: Number(last.offset) });
        if (mine !== epoch) break; // committed, but the stream restarted meanwhile: the new one starts after this commit
        q.splice(0, chunk.length);
        queued -= chunk.length;
        flow();
      }
    } catch {
      // errors are retried from the committed offsets, with backoff; the transaction was aborted
      failures++;
      if (mine === epoch) void restart(Math.min(5_000, 100 * 2 ** (failures - 1)));
    } finally {
      busy.delete(key);
      free.push(producer);
      if (busy.size === 0) for (const r of idle.splice(0)) r();
      if (held && !heldTimer) heldTimer = setTimeout(() => ((heldTimer = null), dispatch()), HELD_RETRY_MS);
      dispatch();
    }
  };

  const dispatch = (): void => {
    if (!running || userPaused || restarting) return;
    for (const [key, q] of queues) {
      if (q.length === 0 || busy.has(key)) continue;
      const producer = free.pop();
      if (!producer) return;
      void work(key, producer);
    }
  };

  const report = (): void => {
    reportScheduled = false;
    for (const key of arrived) {
      const q = queues.get(key);
      const first = q?.[0];
      const last = q?.[q.length - 1];
      if (!first || !last) continue;
      const lastOffset = Number(last.offset);
      onFetched?.({ topic: first.topic, partition: first.partition, highWatermark: Math.max(high.get(key) ?? 0, lastOffset + 1), firstOffset: Number(first.offset), lastOffset, messages: q.length });
    }
    arrived.clear();
    dispatch();
  };

  const idleNow = (): Promise<void> => (busy.size === 0 ? Promise.resolve() : new Promise((r) => idle.push(r)));

  const open = async (): Promise<void> => {
    const mine = ++epoch;
    queues.clear();
    queued = 0;
    arrived.clear();
    // a new stream before the old one closes keeps the topics tracked: no rejoin, and its positions come fresh from
    // the committed offsets (falling back to the log start), never from what the old one had fetched
    const s = await consumer.consume({ topics: [...topics], mode: 'committed', fallbackMode: fromBeginning ? 'earliest' : 'latest', autocommit: false });
    const old = stream;
    stream = s;
    s.on('data', (m: Message) => {
      if (mine !== epoch) return;
      const key = tpKey(m.topic, m.partition);
      (queues.get(key) ?? queues.set(key, []).get(key))?.push(m);
      queued++;
      arrived.add(key);
      if (queued >= maxQueued) flow();
      if (!reportScheduled) {
        reportScheduled = true;
        setImmediate(report); // the rest of the fetch queues up first
      }
    });
    s.on('error', () => {
      if (mine === epoch && running) void restart(1_000);
    });
    await old?.close().catch(() => undefined);
    flow();
  };

  const restart = (delayMs: number): Promise<void> => {
    if (restarting) return restarting;
    epoch++; // stop taking chunks of the current stream
    restarting = (async () => {
      try {
        await new Promise((r) => setTimeout(r, delayMs));
        await idleNow(); // a chunk still committing must be in the group's offsets before the new stream reads them
        if (running) await open();
      } catch {
        restarting = null;
        if (running) void restart(Math.min(5_000, delayMs * 2));
        return;
      }
      restarting = null;
      dispatch();
    })();
    return restarting;
  };

  const refreshHigh = async (): Promise<void> => {
    try {
      const offsets = await consumer.listOffsets({ topics: [...topics], timestamp: -1n, isolationLevel: 0 });
      for (const [topic, parts] of offsets) parts.forEach((o, p) => high.set(tpKey(topic, p), Number(o)));
    } catch {
      // the next round retries; onFetched falls back to the last offset seen
    }
  };

  // progress as the kafkajs runner reports it (the adapter reports joins and stops only: it is not wired into a role)
  const health = createHealthTracker();
  return {
    health: health.snapshot,
    start: async () => {
      running = true;
      // InitProducerId with the transactional id (which fences a crashed predecessor and aborts its open transaction) runs
      // at each producer's first beginTransaction: initIdempotentProducer() before it would register a plain idempotent one
      await open();
      consumer.on('consumer:group:join', () => {
        if (running) void restart(0); // a rebalance: what was queued may belong to another member now
      });
      await refreshHigh();
      highTimer = setInterval(() => void refreshHigh(), 1_000);
    },
    stop: async () => {
      running = false;
      epoch++;
      if (highTimer) clearInterval(highTimer);
      if (heldTimer) clearTimeout(heldTimer);
      stream?.pause();
      await idleNow();
      await restarting?.catch(() => undefined);
      await stream?.close().catch(() => undefined);
      stream = null;
      await consumer.close().catch(() => undefined);
      for (const p of producers) await p.close().catch(() => undefined);
    },
    pause: () => {
      userPaused = true;
      flow();
    },
    resume: () => {
      userPaused = false;
      flow();
      dispatch();
    },
  };
};
