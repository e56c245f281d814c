// Benchmarks the prioritizer service raw -> level topics on W-day (23,400 snapshots x 100 strikes) on the local broker,
// next to ceilings measured in the same run: a bare consume of the same topic, and a bare consume + produce of the same bytes.
import { randomUUID } from 'node:crypto';
import { defaultPriorityConfig } from '../src/domain/priority/config.js';
import { createProducer } from '../src/kafka/producer.js';
import { createLogger } from '../src/log.js';
import { createPrioritizer } from '../src/pipelines/prioritize.js';
import { publishFiles } from '../src/pipelines/publish.js';
import { createRegistry } from '../src/registry/registry.js';
import { config, dropTopics, fmt, kafka, median, rssMb, scratchTopic, wdayFile } from './support.js';

const RUNS = Number(process.argv[2] ?? 3);
const N = 23_400;
const registry = createRegistry({ url: config.registryUrl });
const raw = await scratchTopic('raw', 6);
const rules = await scratchTopic('rules', 1, 'gex.rules.v1');
const sink = await scratchTopic('sink', 6);
const latest = await registry.latest('gex.rules.v1-value');
if (latest) await registry.register(`${rules}-value`, latest.schema);
const producer = await createProducer({ kafka: kafka() });
await publishFiles([wdayFile()], { producer, encodeDeadLetter: () => Buffer.alloc(0) }, { source: 'bench', dataType: 'real_time', topic: raw });
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

const service = async (concurrency: number): Promise<number> => {
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const p = await createPrioritizer({ kafka: kafka(), registry, logger: createLogger('silent'), priority: defaultPriorityConfig, rawTopic: raw, rulesTopic: rules, groupId: `bench-prioritizer-${randomUUID()}`, instanceId: randomUUID(), concurrency });
  const t0 = process.hrtime.bigint();
  let lastLog = Date.now();
  const timer = setInterval(() => {
    const st = p.stats();
    if (Date.now() - lastLog > 2000) {
      lastLog = Date.now();
      console.error(`  prioritizer: ${st.tally.total} decided, ${st.deadLetters} dead letters`);
    }
    if (st.tally.total + st.deadLetters >= N) done();
  }, 5);
  await p.start();
  await finished;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(timer);
  await p.stop();
  return s;
};

const consume: number[] = [];
const relay: number[] = [];
const prio: number[] = [];
const prioSerial: number[] = [];
let rss = 0;
try {
  for (let r = 0; r < RUNS; r++) {
    consume.push(await bare(false));
    console.error(`run ${r + 1}: consume ${fmt(consume.at(-1) ?? 0, 2)} s`);
    relay.push(await bare(true));
    console.error(`run ${r + 1}: consume+produce ${fmt(relay.at(-1) ?? 0, 2)} s`);
    prio.push(await service(3));
    console.error(`run ${r + 1}: prioritizer ${fmt(prio.at(-1) ?? 0, 2)} s`);
    prioSerial.push(await service(1));
    console.error(`run ${r + 1}: prioritizer, one partition at a time ${fmt(prioSerial.at(-1) ?? 0, 2)} s`);
    rss = Math.max(rss, rssMb());
  }
} finally {
  await dropTopics([raw, rules, sink]);
}
const row = (name: string, s: number) => `  ${name.padEnd(40)} ${fmt(N / s).padStart(8)} snapshots/s ${fmt((N * 100) / s).padStart(10)} strike rows/s  ${fmt(s, 2)} s`;
console.log(`prioritizer W-day: ${fmt(N)} snapshots x 100 strikes, median of ${RUNS} runs (each a fresh consumer group)`);
console.log(row('bare consume (ceiling)', median(consume)));
console.log(row('bare consume + produce same bytes', median(relay)));
console.log(row('prioritizer (decode, rules, Avro, EOS)', median(prio)));
console.log(row('  the same, one partition at a time', median(prioSerial)));
console.log(`  prioritizer / consume+produce time: ${(median(prio) / median(relay)).toFixed(2)}x; three partitions at once / one at a time: ${(median(prio) / median(prioSerial)).toFixed(2)}x; peak RSS of this process ${fmt(rss)} MB`);
