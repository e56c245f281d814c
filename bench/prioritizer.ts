// Benchmarks the prioritizer service raw -> level topics on W-day (23,400 snapshots x 100 strikes) on the local broker,
// next to ceilings measured in the same run: a bare consume of the same topic, and a bare consume + produce of the same bytes;
// with a desk's critical feed on top, three raw partitions at once against one at a time.
import { randomUUID } from 'node:crypto';
import { defaultPriorityConfig } from '../src/domain/priority/config.js';
import { createProducer } from '../src/kafka/producer.js';
import { createLogger } from '../src/log.js';
import { createPrioritizer } from '../src/pipelines/prioritize.js';
import { generatePayloads } from '../src/domain/generator.js';
import { H } from '../src/domain/headers.js';
import type { PrioritizedSnapshot } from '../src/domain/prioritized.js';
import { overriding } from '../src/domain/topology.js';
import { readToEnd } from '../src/kafka/reader.js';
import { publishFiles } from '../src/pipelines/publish.js';
import { createRegistry } from '../src/registry/registry.js';
import { config, declared, dropTopics, fmt, kafka, median, rssMb, scratchTopic, wdayFile } from './support.js';

const RUNS = Number(process.argv[2] ?? 3);
const N = 23_400;
const registry = createRegistry({ url: config.registryUrl });
const raw = await scratchTopic('raw', 6);
const critOut = await scratchTopic('critical', 3, 'level.critical');
const critSchema = await registry.latest(`${declared.level('critical')}-value`);
if (critSchema) await registry.register(`${critOut}-value`, critSchema.schema);
const deskPayloads = [...generatePayloads({ seed: 77, tickers: ['NDX'], count: 500, strikes: 100 })];
const rules = await scratchTopic('rules', 1, 'rules');
const sink = await scratchTopic('sink', 6);
const latest = await registry.latest(`${declared.rules}-value`);
// the other levels, jobs and dlq are the declared topics
const topology = overriding(declared, { raw, rules, 'level.critical': critOut });
if (latest) await registry.register(`${rules}-value`, latest.schema);
const producer = await createProducer({ kafka: kafka() });
await publishFiles([wdayFile()], { producer, encodeDeadLetter: () => Buffer.alloc(0) }, { source: 'bench', dataType: 'real_time', topology });
await producer.close();

/** Consumes `raw` from the beginning in a fresh group until N messages, optionally producing each batch to `sink`. */
const bare = async (produce: boolean): Promise<number> => {
  const consumer = kafka().consumer({ groupId: `bench-bare-${randomUUID()}`, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 32 * 1024 * 1024 });
  const p = produce ? await createProducer({ kafka: kafka() }) : undefined;
  await consumer.connect();
  await consumer.subscribe({ topic: raw, fromBeginning: true });
  let n = 0;
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (p) await p.send([{ topic: sink, messages: batch.messages.map((m) => ({ key: m.key, value: m.value ?? Buffer.alloc(0) })) }]);
        n += batch.messages.length;
        if (n >= N) resolve();
      },
    });
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await consumer.disconnect();
  await p?.close();
  return s;
};

/**
 * The prioritizer on the W-day backlog, with a desk's critical NDX snapshot every 50 ms on top (another partition than
 * SPX's), from a producer of its own; returns the time to decide W-day and the critical publish -> prioritized latencies.
 */
let deskSent = 0;
const service = async (concurrency: number): Promise<{ s: number; critical: number[] }> => {
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const tag = randomUUID().slice(0, 8);
  const p = await createPrioritizer({ kafka: kafka(), registry, logger: createLogger('silent'), priority: defaultPriorityConfig, topology, groupId: `bench-prioritizer-${randomUUID()}`, instanceId: randomUUID(), concurrency });
  const desk = await createProducer({ kafka: kafka() });
  let sent = 0;
  const earlier = deskSent; // earlier services' desk snapshots are on the raw topic too, decided again by this fresh group
  let feeding = true;
  let fed = false; // the last send returned: `sent` is final
  const feed = (async () => {
    while (feeding) {
      const payload = { ...(deskPayloads[sent % deskPayloads.length] as Record<string, unknown>), timestamp: Math.floor(Date.now() / 1000) };
      await desk.send([{ topic: raw, messages: [{ key: 'NDX', value: Buffer.from(JSON.stringify(payload)), headers: { [H.source]: 'desk', [H.dataType]: 'real_time', [H.requestedLevel]: 'critical', [H.requestId]: `crit-${tag}-${sent}`, [H.publishedAt]: String(Date.now()) } }] }]);
      sent++;
      await new Promise((r) => setTimeout(r, 50));
    }
    fed = true;
    deskSent += sent;
  })();
  const t0 = process.hrtime.bigint();
  let lastLog = Date.now();
  const timer = setInterval(() => {
    const st = p.stats();
    if (Date.now() - lastLog > 2000) {
      lastLog = Date.now();
      console.error(`  prioritizer: ${st.tally.total} decided, ${st.deadLetters} dead letters`);
    }
    if (feeding && st.tally.total + st.deadLetters >= N + earlier) feeding = false;
    if (fed && st.tally.total + st.deadLetters >= N + earlier + sent) done();
  }, 5);
  await p.start();
  await finished;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(timer);
  await feed;
  await desk.close();
  await p.stop();
  const critical: number[] = [];
  await readToEnd(kafka(), critOut, async (m) => {
    if (!m.value) return;
    const x = await registry.decode<PrioritizedSnapshot>(m.value);
    if (x.request_id.startsWith(`crit-${tag}-`)) critical.push(x.prioritized_at_ms - x.published_at_ms);
  });
  if (critical.length !== sent) throw new Error(`the desk sent ${sent} critical snapshots, ${critical.length} were decided critical`);
  return { s, critical };
};

const consume: number[] = [];
const relay: number[] = [];
const prio: number[] = [];
const prioSerial: number[] = [];
const p99: number[] = [];
const p99Serial: number[] = [];
const p50: number[] = [];
const p50Serial: number[] = [];
const q = (xs: number[], f: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * f))] ?? NaN;
let rss = 0;
try {
  for (let r = 0; r < RUNS; r++) {
    consume.push(await bare(false));
    console.error(`run ${r + 1}: consume ${fmt(consume.at(-1) ?? 0, 2)} s`);
    relay.push(await bare(true));
    console.error(`run ${r + 1}: consume+produce ${fmt(relay.at(-1) ?? 0, 2)} s`);
    for (const [at, times, hi, mid] of [[3, prio, p99, p50], [1, prioSerial, p99Serial, p50Serial]] as const) {
      const { s, critical } = await service(at);
      times.push(s);
      hi.push(q(critical, 0.99));
      mid.push(q(critical, 0.5));
      console.error(`run ${r + 1}: prioritizer, ${at} partition(s) at once: ${fmt(s, 2)} s; critical publish -> prioritized p50 ${mid.at(-1)} ms, p99 ${hi.at(-1)} ms over ${critical.length}`);
    }
    rss = Math.max(rss, rssMb());
  }
} finally {
  await dropTopics([raw, rules, sink, critOut]);
}
const row = (name: string, s: number) => `  ${name.padEnd(40)} ${fmt(N / s).padStart(8)} snapshots/s ${fmt((N * 100) / s).padStart(10)} strike rows/s  ${fmt(s, 2)} s`;
console.log(`prioritizer W-day: ${fmt(N)} snapshots x 100 strikes, median of ${RUNS} runs (each a fresh consumer group)`);
console.log(row('bare consume (ceiling)', median(consume)));
console.log(row('bare consume + produce same bytes', median(relay)));
console.log(row('prioritizer (decode, rules, Avro, EOS)', median(prio)));
console.log(row('  the same, one partition at a time', median(prioSerial)));
console.log(`  critical NDX every 50 ms during the W-day backlog, publish -> prioritized: three partitions at once p50 ${median(p50)} ms, p99 ${median(p99)} ms; one at a time p50 ${median(p50Serial)} ms, p99 ${median(p99Serial)} ms`);
console.log(`  prioritizer / consume+produce time: ${(median(prio) / median(relay)).toFixed(2)}x; three partitions at once / one at a time: ${(median(prio) / median(prioSerial)).toFixed(2)}x; peak RSS of this process ${fmt(rss)} MB`);
