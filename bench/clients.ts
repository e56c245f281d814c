// Benchmarks Kafka clients side by side in one run, on W-day (23,400 SPX snapshots x 100 strikes, the raw JSON bytes as
// published): a bare produce, a bare consume, and the exactly-once loop the roles run (read_committed consumer, a
// transaction per chunk that sends the records on and commits the consumed offsets). Produce and the exactly-once loop
// go through each client's Kafka edge (src/kafka/edge.ts), so all run the same code path the roles would; the bare
// consume drives each library directly with its best settings. Median of RUNS, the client order alternating per run;
// CPU seconds of this process per operation next to the wall time (the machine is shared: CPU is the steadier figure).
// On raw W-day it also runs the prioritizer (src/pipelines/prioritize.ts, rules, scores and Avro as the role runs them)
// with its exactly-once loop on each edge, timed from its first decision to its last commit.
// Here the clients are `kafkajs` and `kafkajs-stock` (the kafkajs edge with kafkajs' own produce encoder instead of
// src/kafka/fastProduce.ts, to measure that patch in the same run); the client evaluation of issue 11 adds
// @platformatic/kafka through `runClientsBench` in its own package (eval/kafka-client/bench/clients.ts).
//   node dist/bench/clients.js [RUNS] [COUNT] [raw|level] [CLIENTS]
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeValue } from '../src/domain/decode.js';
import { defaultPriorityConfig } from '../src/domain/priority/config.js';
import { groupProgress } from '../src/kafka/lag.js';
import { createLogger } from '../src/log.js';
import { createPrioritizer } from '../src/pipelines/prioritize.js';
import { isolated } from '../tests/support/pipeline.js';
import { overriding } from '../src/domain/topology.js';
import { createRegistry } from '../src/registry/registry.js';
import { prioritized, prioritizedEncoder } from '../tests/support/processing.js';
import { kafkajsEdge, type KafkaEdge } from '../src/kafka/edge.js';
import { setFastProduce } from '../src/kafka/fastProduce.js';
import type { InMessage } from '../src/kafka/transactional.js';
import { bareProduce, config, dropTopics, fmt, kafka, median, rssMb, scratchTopic, wdayFile } from './support.js';

/** A client to bench: its edge, and its library's bare consume of `n` messages from `topic` (seconds, join included). */
export interface BenchClient {
  readonly name: string;
  readonly edge: KafkaEdge;
  readonly consume: (topic: string, n: number) => Promise<number>;
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** kafkajs' bare consume: a fresh group from the beginning, whole batches, no commits. */
const kafkajsConsume = async (topic: string, N: number): Promise<number> => {
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
};

/**
 * Runs the bench with `kafkajs`, `kafkajs-stock` and the `extra` clients, the ones named by argv[5] (else `defaults`),
 * prints the table and exits.
 */
export const runClientsBench = async (extra: Record<string, BenchClient> = {}, defaults = 'kafkajs,kafkajs-stock'): Promise<never> => {
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
  const registry = createRegistry({ url: config.registryUrl });
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

  type Client = string;
  const kafkajsBench = kafkajsEdge({ brokers: config.brokers, clientId: 'gexstream-bench' });
  const known: Record<Client, BenchClient> = {
    kafkajs: { name: 'kafkajs 2.2.4', edge: kafkajsBench, consume: kafkajsConsume },
    'kafkajs-stock': { name: 'kafkajs 2.2.4 stock encoder', edge: kafkajsBench, consume: kafkajsConsume }, // setFastProduce(false) while it runs
    ...extra,
  };
  const clients = (process.argv[5] ?? defaults).split(',');
  for (const c of clients) if (!(c in known)) throw new Error(`unknown client ${c}: one of ${Object.keys(known).join(', ')}`);
  const edges: Record<Client, KafkaEdge> = Object.fromEntries(Object.entries(known).map(([k, v]) => [k, v.edge]));
  const CLIENT_NAMES: Record<Client, string> = Object.fromEntries(Object.entries(known).map(([k, v]) => [k, v.name]));

  // ---- bare produce: ~1 MiB sends, key SPX, no headers, idempotent, acks=all, through each edge's producer -------------
  const produce = async (client: Client, topic: string): Promise<number> => {
    const p = await (edges[client] as KafkaEdge).producer();
    try {
      return await bareProduce(p, topic, records);
    } finally {
      await p.close();
    }
  };

  // ---- bare consume: a fresh group, from the beginning, until N messages (group join included) -------------------------
  const consume = (client: Client, topic: string): Promise<number> => (known[client] as BenchClient).consume(topic, N);

  // ---- exactly-once relay: each edge's transactional processor (read_committed, a transaction per chunk with the records
  // and the consumed offsets; chunks of at most 2,000 messages or 4 MiB, sends of at most 3 MiB) with an identity transform
  const relay = async (client: Client, from: string, to: string): Promise<number> => {
    let n = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    const proc = await (edges[client] as KafkaEdge).transactional({
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

  // ---- the prioritizer on the raw W-day bytes, its exactly-once loop on each edge; outputs on topics of its own --------
  const prioritize = async (client: Client, raw: string): Promise<number> => {
    const iso = await isolated(`clients-prio-${client}`, 1);
    const groupId = `bench-clients-prio-${randomUUID()}`;
    const p = await createPrioritizer({
      kafka: kafka(), edge: edges[client] as KafkaEdge, registry, logger: createLogger('silent'), priority: defaultPriorityConfig,
      topology: overriding(iso.topology, { raw }), groupId, instanceId: randomUUID(),
    });
    try {
      // from its first decision (start-up, rules seeding and the group join left out: the same on both) to its last commit
      let t0: bigint | undefined;
      let decided = false;
      const watch = setInterval(() => {
        const st = p.stats();
        const n = st.tally.total + st.deadLetters;
        if (t0 === undefined && n > 0) t0 = process.hrtime.bigint();
        if (n >= N) decided = true;
      }, 5);
      await p.start();
      const deadline = Date.now() + 600_000;
      while (!decided || !(await groupProgress(kafka(), groupId, raw)).every((x) => x.lag === 0)) {
        if (Date.now() > deadline) throw new Error(`${client}: the prioritizer did not finish W-day in 10 minutes (${JSON.stringify(p.stats().tally)})`);
        await new Promise((r) => setTimeout(r, decided ? 20 : 50));
      }
      clearInterval(watch);
      if (p.stats().deadLetters > 0) throw new Error(`${client}: ${p.stats().deadLetters} dead letters on W-day`);
      return Number(process.hrtime.bigint() - (t0 as bigint)) / 1e9;
    } finally {
      await p.stop();
      await iso.cleanup();
    }
  };

  const ops = () => ({ produce: new Map<Client, number[]>(), consume: new Map<Client, number[]>(), eos: new Map<Client, number[]>(), prioritizer: new Map<Client, number[]>() });
  const times = ops();
  const cpu = ops();
  for (const t of [...Object.values(times), ...Object.values(cpu)]) for (const c of clients) t.set(c, []);
  /** Runs `op` and records its wall seconds (as it measures them) and this process's CPU seconds meanwhile. */
  const measure = async (what: keyof typeof times, c: Client, op: () => Promise<number>): Promise<void> => {
    setFastProduce(c !== 'kafkajs-stock');
    const before = process.cpuUsage();
    const s = await op().finally(() => setFastProduce(true));
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
      // all consume the same bytes: the topic the first client produced in this run
      const input = produced.get(clients[0] as Client) as string;
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
      if (PAYLOAD === 'raw')
        for (const c of order) {
          await measure('prioritizer', c, () => prioritize(c, input));
          process.stderr.write(`run ${r + 1} ${c}: prioritizer ${fmt(times.prioritizer.get(c)?.at(-1) ?? 0, 2)} s\n`);
        }
      rss = Math.max(rss, rssMb());
      await dropTopics(scratch.splice(0)); // 126 MB per topic: keep the broker's disk small
    }
  } finally {
    await dropTopics(scratch);
  }

  const mb = totalBytes / 1e6;
  console.log(`Kafka clients on W-day: ${fmt(N)} SPX snapshots x 100 strikes as ${PAYLOAD === 'raw' ? 'raw JSON' : 'Avro level records'}, ${fmt(mb, 1)} MB (${fmt(totalBytes / N / 1024, 1)} KiB each), one partition, median of ${RUNS} runs`);
  const first = clients[0] as Client;
  console.log(`  ${'operation'.padEnd(48)} ${clients.map((c) => (CLIENT_NAMES[c] ?? c).padStart(41)).join('   ')}   ${clients.slice(1).map((c) => `${c}/${first}`).join(', ')} (throughput; CPU: ${first}/other)`);
  const row = (name: string, what: keyof typeof times) => {
    const s = clients.map((c) => median(times[what].get(c) ?? []));
    const cs = clients.map((c) => median(cpu[what].get(c) ?? []));
    const cell = (t: number, c: number) => `${fmt(N / t).padStart(7)} snap/s ${fmt(mb / t, 1).padStart(6)} MB/s ${fmt(t, 2).padStart(6)} s ${fmt(c, 2).padStart(6)} CPU s`;
    const ratios = clients.slice(1).map((_, k) => `${((s[0] as number) / (s[k + 1] as number)).toFixed(2)}x, CPU ${((cs[0] as number) / (cs[k + 1] as number)).toFixed(2)}x`);
    console.log(`  ${name.padEnd(48)} ${s.map((t, k) => cell(t, cs[k] as number)).join('   ')}   ${ratios.join('; ')}`);
  };
  row('bare produce (idempotent, acks=all, 1 MiB sends)', 'produce');
  row('bare consume (fresh group, join included)', 'consume');
  row('exactly-once relay (read_committed, tx + offsets)', 'eos');
  if (PAYLOAD === 'raw') row('prioritizer (decode, rules, Avro, its EOS loop)', 'prioritizer');
  const runs = (m: Map<Client, number[]>, c: Client): string => (m.get(c) ?? []).map((x) => fmt(x, 2)).join('/');
  console.log(`  each run: ${clients.map((c) => `${c} produce ${runs(times.produce, c)} s (CPU ${runs(cpu.produce, c)}), consume ${runs(times.consume, c)} s, relay ${runs(times.eos, c)} s (CPU ${runs(cpu.eos, c)})${PAYLOAD === 'raw' ? `, prioritizer ${runs(times.prioritizer, c)} s (CPU ${runs(cpu.prioritizer, c)})` : ''}`).join('; ')}; peak RSS ${fmt(rss)} MB`);
  process.exit(0);
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runClientsBench();
