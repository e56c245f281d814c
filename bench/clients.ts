// Benchmarks the two candidate Kafka clients side by side in one run, on W-day (23,400 SPX snapshots x 100 strikes, the
// raw JSON bytes as published): a bare produce, a bare consume, and the exactly-once loop the roles run (read_committed
// consumer, a transaction per chunk that sends the records on and commits the consumed offsets). kafkajs goes through
// src/kafka/ (what the pipelines use today); @platformatic/kafka is driven directly here, since it is under evaluation
// and not (yet) behind src/kafka/. Median of RUNS, the client order alternating per run.
//   node dist/bench/clients.js [RUNS] [COUNT]
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Consumer, Producer, type Message, type MessageToProduce } from '@platformatic/kafka';
import { createProducer } from '../src/kafka/producer.js';
import { createTransactionalProcessor, type InMessage } from '../src/kafka/transactional.js';
import { bareProduce, config, dropTopics, fmt, kafka, median, rssMb, scratchTopic, wdayFile } from './support.js';

const RUNS = Number(process.argv[2] ?? 3);
const N = Number(process.argv[3] ?? 23_400);
const CHUNK_MESSAGES = 2000; // as createTransactionalProcessor: at most this many messages ...
const CHUNK_BYTES = 4 * 1024 * 1024; // ... or 4 MiB of input per transaction
const SEND_BYTES = 3 * 1024 * 1024; // and sends of at most 3 MiB inside it

const records = readFileSync(wdayFile(Math.max(N, 23_400)), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .slice(0, N)
  .map((l) => ({ bytes: Buffer.from(l) }));
const totalBytes = records.reduce((s, r) => s + r.bytes.length, 0);
const SPX = Buffer.from('SPX');

type Client = 'kafkajs' | 'platformatic';
const base = () => ({ clientId: 'gexstream-bench', bootstrapBrokers: config.brokers });
const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

// ---- bare produce: ~1 MiB sends, key SPX, no headers, idempotent, acks=all ------------------------------------------
const produce = async (client: Client, topic: string): Promise<number> => {
  if (client === 'kafkajs') {
    const p = await createProducer({ kafka: kafka() });
    try {
      return await bareProduce(p, topic, records);
    } finally {
      await p.close();
    }
  }
  const p = new Producer({ ...base(), idempotent: true, timeout: 30_000 });
  try {
    await p.initIdempotentProducer({}); // connecting, as createProducer does before the clock starts
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < records.length; ) {
      const messages: MessageToProduce[] = [];
      let size = 0;
      while (i < records.length && size < 1024 * 1024) {
        const rec = records[i++];
        if (!rec) break;
        messages.push({ topic, key: SPX, value: rec.bytes });
        size += rec.bytes.length;
      }
      await p.send({ messages, acks: -1 });
    }
    return seconds(t0);
  } finally {
    await p.close();
  }
};

// ---- bare consume: a fresh group, from the beginning, until N messages (group join included) -------------------------
const consume = async (client: Client, topic: string): Promise<number> => {
  if (client === 'kafkajs') {
    const c = kafka().consumer({ groupId: `bench-clients-${randomUUID()}`, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 32 * 1024 * 1024, maxWaitTimeInMs: 500 });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    let n = 0;
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      void c.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) if (m.value) n++;
          if (n >= N) resolve();
        },
      });
    });
    const s = seconds(t0);
    await c.disconnect();
    return s;
  }
  const c = new Consumer({ ...base(), groupId: `bench-clients-${randomUUID()}`, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 32 * 1024 * 1024, maxWaitTime: 500 });
  const t0 = process.hrtime.bigint();
  const stream = await c.consume({ topics: [topic], mode: 'earliest', autocommit: false, highWaterMark: 4096 }); // messages buffered (default 1024): room for a 2,000-message chunk
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (m: Message) => {
      if (m.value) n++;
      if (n === N) resolve();
    });
    stream.on('error', reject);
  });
  const s = seconds(t0);
  await stream.close();
  await c.close();
  return s;
};

// ---- exactly-once relay: read_committed, one transaction per chunk with the records and the consumed offsets ----------
const relay = async (client: Client, from: string, to: string): Promise<number> => {
  const groupId = `bench-clients-eos-${randomUUID()}`;
  if (client === 'kafkajs') {
    let n = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    const proc = await createTransactionalProcessor({
      kafka: kafka(),
      groupId,
      topics: [from],
      transactionalId: `bench-clients-${randomUUID()}`,
      maxWaitTimeInMs: 500,
      transform: async (batch: readonly InMessage[]) => [{ topic: to, messages: batch.map((m) => ({ key: m.key, value: m.value ?? Buffer.alloc(0) })) }],
      onCommitted: ({ messages }) => {
        n += messages;
        if (n >= N) done();
      },
    });
    const t0 = process.hrtime.bigint();
    await proc.start();
    await finished;
    const s = seconds(t0);
    await proc.stop();
    return s;
  }
  // As createTransactionalProcessor configures kafkajs: the next transaction meets CONCURRENT_TRANSACTIONS until the
  // previous markers are written, so retry from 10 ms, doubling to 5 s. With the default (3 retries, a flat 1,000 ms)
  // one transaction in three waits a second: 13.4 s instead of about 2 s for W-day, measured. `timeout` is the request
  // timeout and also the transaction timeout sent in InitProducerId (producer.js:550).
  const producer = new Producer({ ...base(), idempotent: true, transactionalId: `bench-clients-${randomUUID()}`, timeout: 60_000, retries: true, retryDelay: (_client, _op, attempt) => Math.min(5_000, 10 * 2 ** (attempt - 1)) });
  const consumer = new Consumer({ ...base(), groupId, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 32 * 1024 * 1024, maxWaitTime: 500, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const t0 = process.hrtime.bigint();
  const stream = await consumer.consume({ topics: [from], mode: 'committed', fallbackMode: 'earliest', autocommit: false, highWaterMark: 4096 });
  let n = 0;
  const commitChunk = async (chunk: Message[]): Promise<void> => {
    const last = chunk[chunk.length - 1];
    if (!last) return;
    const tx = await producer.beginTransaction();
    try {
      let part: MessageToProduce[] = [];
      let partBytes = 0;
      for (const m of chunk) {
        if (partBytes + m.value.length > SEND_BYTES && partBytes > 0) {
          await tx.send({ messages: part });
          part = [];
          partBytes = 0;
        }
        part.push({ topic: to, key: m.key, value: m.value });
        partBytes += m.value.length;
      }
      if (part.length > 0) await tx.send({ messages: part });
      await tx.addConsumer(consumer);
      await tx.addOffset(last);
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
    n += chunk.length;
  };
  await new Promise<void>((resolve, reject) => {
    let busy = false;
    // Drain what the stream holds, a chunk per transaction; the stream fetches on meanwhile up to its highWaterMark.
    const drain = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        for (;;) {
          const chunk: Message[] = [];
          let bytes = 0;
          let m: Message | null;
          while (chunk.length < CHUNK_MESSAGES && bytes < CHUNK_BYTES && (m = stream.read() as Message | null) !== null) {
            chunk.push(m);
            bytes += m.value.length;
          }
          if (chunk.length === 0) break;
          await commitChunk(chunk);
          if (n >= N) return resolve();
        }
      } catch (err) {
        reject(err);
      } finally {
        busy = false;
      }
    };
    stream.on('readable', () => void drain());
    stream.on('error', reject);
  });
  const s = seconds(t0);
  await stream.close();
  await consumer.close();
  await producer.close();
  return s;
};

const clients: Client[] = ['kafkajs', 'platformatic'];
const times = { produce: new Map<Client, number[]>(), consume: new Map<Client, number[]>(), eos: new Map<Client, number[]>() };
for (const t of Object.values(times)) for (const c of clients) t.set(c, []);
const scratch: string[] = [];
let rss = 0;
try {
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 === 0 ? clients : [...clients].reverse();
    const produced = new Map<Client, string>();
    for (const c of order) {
      const topic = await scratchTopic(`clients-${c}`, 6);
      scratch.push(topic);
      produced.set(c, topic);
      times.produce.get(c)?.push(await produce(c, topic));
      process.stderr.write(`run ${r + 1} ${c}: produce ${fmt(times.produce.get(c)?.at(-1) ?? 0, 2)} s\n`);
    }
    // both consume the same bytes: the topic kafkajs produced in this run
    const input = produced.get('kafkajs') as string;
    for (const c of order) {
      times.consume.get(c)?.push(await consume(c, input));
      process.stderr.write(`run ${r + 1} ${c}: consume ${fmt(times.consume.get(c)?.at(-1) ?? 0, 2)} s\n`);
    }
    for (const c of order) {
      const sink = await scratchTopic(`clients-eos-${c}`, 6);
      scratch.push(sink);
      times.eos.get(c)?.push(await relay(c, input, sink));
      process.stderr.write(`run ${r + 1} ${c}: exactly-once relay ${fmt(times.eos.get(c)?.at(-1) ?? 0, 2)} s\n`);
    }
    rss = Math.max(rss, rssMb());
    await dropTopics(scratch.splice(0)); // 126 MB per topic: keep the broker's disk small
  }
} finally {
  await dropTopics(scratch);
}

const mb = totalBytes / 1e6;
console.log(`Kafka clients on W-day: ${fmt(N)} raw SPX snapshots x 100 strikes, ${fmt(mb, 1)} MB (${fmt(totalBytes / N / 1024, 1)} KiB each), one partition, median of ${RUNS} runs`);
console.log(`  ${'operation'.padEnd(48)} ${'kafkajs 2.2.4'.padStart(30)}   ${'@platformatic/kafka 2.12.1'.padStart(30)}   platformatic/kafkajs`);
const row = (name: string, xs: Map<Client, number[]>) => {
  const [a, b] = clients.map((c) => median(xs.get(c) ?? [])) as [number, number];
  const cell = (s: number) => `${fmt(N / s).padStart(7)} snap/s ${fmt(mb / s, 1).padStart(6)} MB/s ${fmt(s, 2).padStart(6)} s`;
  console.log(`  ${name.padEnd(48)} ${cell(a)}   ${cell(b)}   ${(a / b).toFixed(2)}x`);
};
row('bare produce (idempotent, acks=all, 1 MiB sends)', times.produce);
row('bare consume (fresh group, join included)', times.consume);
row('exactly-once relay (read_committed, tx + offsets)', times.eos);
console.log(`  each run: ${clients.map((c) => `${c} produce ${times.produce.get(c)?.map((s) => fmt(s, 2)).join('/')} s, consume ${times.consume.get(c)?.map((s) => fmt(s, 2)).join('/')} s, relay ${times.eos.get(c)?.map((s) => fmt(s, 2)).join('/')} s`).join('; ')}; peak RSS ${fmt(rss)} MB`);
process.exit(0);
