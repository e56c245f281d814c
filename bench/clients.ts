// Benchmarks the two candidate Kafka clients side by side in one run, on W-day (23,400 SPX snapshots x 100 strikes, the
// raw JSON bytes as published): a bare produce, a bare consume, and the exactly-once loop the roles run (read_committed
// consumer, a transaction per chunk that sends the records on and commits the consumed offsets). Produce and the
// exactly-once loop go through the Kafka edge of each client (src/kafka/edge.ts: kafkajs as the pipelines use it, and
// src/kafka/platformatic/), so both run the same code path the roles would; the bare consume drives each library
// directly with its best settings. Median of RUNS, the client order alternating per run; CPU seconds of this process
// per operation next to the wall time (the machine is shared: CPU is the steadier figure).
//   node dist/bench/clients.js [RUNS] [COUNT] [raw|level]
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Consumer, type Message } from '@platformatic/kafka';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeValue } from '../src/domain/decode.js';
import { prioritized, prioritizedEncoder } from '../tests/support/processing.js';
import { kafkajsEdge, type KafkaEdge } from '../src/kafka/edge.js';
import { platformaticEdge } from '../src/kafka/platformatic/edge.js';
import type { InMessage } from '../src/kafka/transactional.js';
import { bareProduce, config, dropTopics, fmt, kafka, median, rssMb, scratchTopic, wdayFile } from './support.js';

const RUNS = Number(process.argv[2] ?? 3);
const N = Number(process.argv[3] ?? 23_400);

// `raw`: the W-day JSON as published (the prioritizer's input); `level`: the same snapshots as Avro PrioritizedSnapshot
// records of ~10 KB (the processors' input), encoded as bench/processor does
const PAYLOAD = process.argv[4] === 'level' ? 'level' : 'raw';
const rawLines = readFileSync(wdayFile(Math.max(N, 23_400)), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .slice(0, N);
const records: Array<{ bytes: Buffer }> = [];
if (PAYLOAD === 'raw') for (const l of rawLines) records.push({ bytes: Buffer.from(l) });
else {
  const enc = await prioritizedEncoder();
  for (const l of rawLines) {
    const d = decodeValue(JSON.parse(l) as unknown, { dataType: 'real_time' }, { nowMs: Date.UTC(2030, 0, 1), maxSkewMs: 0, maxBytes: 1e7 });
    if (isLeft(d)) throw new Error('bad W-day snapshot');
    records.push({ bytes: enc.encode({ ...prioritized(`w-${records.length}`, 'high'), snapshot: d.right }) });
  }
}
const totalBytes = records.reduce((s, r) => s + r.bytes.length, 0);

type Client = 'kafkajs' | 'platformatic';
const edges: Record<Client, KafkaEdge> = {
  kafkajs: kafkajsEdge({ brokers: config.brokers, clientId: 'gexstream-bench' }),
  platformatic: platformaticEdge({ brokers: config.brokers, clientId: 'gexstream-bench' }),
};
const base = () => ({ clientId: 'gexstream-bench', bootstrapBrokers: config.brokers });
const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

// ---- bare produce: ~1 MiB sends, key SPX, no headers, idempotent, acks=all, through each edge's producer -------------
const produce = async (client: Client, topic: string): Promise<number> => {
  const p = await edges[client].producer();
  try {
    return await bareProduce(p, topic, records);
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

// ---- exactly-once relay: each edge's transactional processor (read_committed, a transaction per chunk with the records
// and the consumed offsets; chunks of at most 2,000 messages or 4 MiB, sends of at most 3 MiB) with an identity transform
const relay = async (client: Client, from: string, to: string): Promise<number> => {
  let n = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const proc = await edges[client].transactional({
    groupId: `bench-clients-eos-${randomUUID()}`,
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
};

const clients: Client[] = ['kafkajs', 'platformatic'];
const times = { produce: new Map<Client, number[]>(), consume: new Map<Client, number[]>(), eos: new Map<Client, number[]>() };
const cpu = { produce: new Map<Client, number[]>(), consume: new Map<Client, number[]>(), eos: new Map<Client, number[]>() };
for (const t of [...Object.values(times), ...Object.values(cpu)]) for (const c of clients) t.set(c, []);
/** Runs `op` and records its wall seconds (as it measures them) and this process's CPU seconds meanwhile. */
const measure = async (what: keyof typeof times, c: Client, op: () => Promise<number>): Promise<void> => {
  const before = process.cpuUsage();
  const s = await op();
  const used = process.cpuUsage(before);
  times[what].get(c)?.push(s);
  cpu[what].get(c)?.push((used.user + used.system) / 1e6);
};
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
      await measure('produce', c, () => produce(c, topic));
      process.stderr.write(`run ${r + 1} ${c}: produce ${fmt(times.produce.get(c)?.at(-1) ?? 0, 2)} s\n`);
    }
    // both consume the same bytes: the topic kafkajs produced in this run
    const input = produced.get('kafkajs') as string;
    for (const c of order) {
      await measure('consume', c, () => consume(c, input));
      process.stderr.write(`run ${r + 1} ${c}: consume ${fmt(times.consume.get(c)?.at(-1) ?? 0, 2)} s\n`);
    }
    for (const c of order) {
      const sink = await scratchTopic(`clients-eos-${c}`, 6);
      scratch.push(sink);
      await measure('eos', c, () => relay(c, input, sink));
      process.stderr.write(`run ${r + 1} ${c}: exactly-once relay ${fmt(times.eos.get(c)?.at(-1) ?? 0, 2)} s\n`);
    }
    rss = Math.max(rss, rssMb());
    await dropTopics(scratch.splice(0)); // 126 MB per topic: keep the broker's disk small
  }
} finally {
  await dropTopics(scratch);
}

const mb = totalBytes / 1e6;
console.log(`Kafka clients on W-day: ${fmt(N)} SPX snapshots x 100 strikes as ${PAYLOAD === 'raw' ? 'raw JSON' : 'Avro level records'}, ${fmt(mb, 1)} MB (${fmt(totalBytes / N / 1024, 1)} KiB each), one partition, median of ${RUNS} runs`);
console.log(`  ${'operation'.padEnd(48)} ${'kafkajs 2.2.4'.padStart(41)}   ${'@platformatic/kafka 2.12.1'.padStart(41)}   platformatic/kafkajs (throughput; CPU: kafkajs/platformatic)`);
const row = (name: string, what: keyof typeof times) => {
  const [a, b] = clients.map((c) => median(times[what].get(c) ?? [])) as [number, number];
  const [ca, cb] = clients.map((c) => median(cpu[what].get(c) ?? [])) as [number, number];
  const cell = (s: number, c: number) => `${fmt(N / s).padStart(7)} snap/s ${fmt(mb / s, 1).padStart(6)} MB/s ${fmt(s, 2).padStart(6)} s ${fmt(c, 2).padStart(6)} CPU s`;
  console.log(`  ${name.padEnd(48)} ${cell(a, ca)}   ${cell(b, cb)}   ${(a / b).toFixed(2)}x, CPU ${(ca / cb).toFixed(2)}x`);
};
row('bare produce (idempotent, acks=all, 1 MiB sends)', 'produce');
row('bare consume (fresh group, join included)', 'consume');
row('exactly-once relay (read_committed, tx + offsets)', 'eos');
console.log(`  each run: ${clients.map((c) => `${c} produce ${times.produce.get(c)?.map((s) => fmt(s, 2)).join('/')} s, consume ${times.consume.get(c)?.map((s) => fmt(s, 2)).join('/')} s, relay ${times.eos.get(c)?.map((s) => fmt(s, 2)).join('/')} s`).join('; ')}; peak RSS ${fmt(rss)} MB`);
process.exit(0);
