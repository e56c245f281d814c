// Benchmarks the producer compression settings on W-day (23,400 snapshots x 100 strikes): for none, gzip, snappy, lz4
// and zstd, `publish` of the file to a fresh 6-partition topic (throughput), the topic's size on disk (the partitions'
// log sizes as the broker reports them, DescribeLogDirs), and a bare read of the topic back (what every role pays to
// decompress), and a relay of it (consume + produce the same bytes with the same codec: the shape of every role's
// read-write loop), with the CPU time the process spent on each (user + system, all threads: less sensitive than wall time
// to other load on the machine). Runs interleave the codecs; each figure is the median of 3.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Compression } from '../src/config.js';
import { createProducer } from '../src/kafka/producer.js';
import { readToEnd } from '../src/kafka/reader.js';
import { publishFiles } from '../src/pipelines/publish.js';
import { ensureKafka } from '../src/stack/installer.js';
import { packageRoot } from '../src/stack/paths.js';
import { config, declared, dropTopics, fmt, kafka, median, scratchTopic, wdayFile } from './support.js';

const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/**
 * Bytes of the topic's partition logs on the broker(s). kafkajs has no DescribeLogDirs: Kafka's own Admin client has, in
 * the jars `stack up` installs (bench/LogDirs.java, one JVM for the whole bench, asked one topic a line).
 */
let logDirs: { ask: (topic: string) => Promise<number>; close: () => void } | undefined;
const topicBytesOnDisk = async (brokers: readonly string[], topic: string): Promise<number> => {
  if (!logDirs) {
    const libs = ensureKafka(config.cacheDir, config.kafkaVersion);
    const java = spawn('java', ['-cp', `${libs}/*`, join(packageRoot, 'bench', 'LogDirs.java'), brokers.join(',')], { stdio: ['pipe', 'pipe', 'ignore'] });
    const lines = createInterface({ input: java.stdout })[Symbol.asyncIterator]();
    const exited = once(java, 'exit').then(([code]) => {
      throw new Error(`bench/LogDirs.java exited with ${String(code)}`);
    });
    exited.catch(() => undefined);
    logDirs = {
      ask: async (t) => {
        java.stdin.write(`${t}\n`);
        const line = await Promise.race([lines.next(), exited]);
        return Number(line.value);
      },
      close: () => void java.stdin.end(),
    };
  }
  return logDirs.ask(topic);
};

const RUNS = Number(process.argv[2] ?? 3);
const PARTITIONS = 6;
const file = wdayFile();
const mb = readFileSync(file).length / 1e6;
type Row = { publishS: number[]; publishCpu: number[]; bytes: number[]; readS: number[]; readCpu: number[]; relayS: number[]; relayCpu: number[]; n: number };
const rows = new Map<string, Row>(COMPRESSIONS.map((c) => [c, { publishS: [], publishCpu: [], bytes: [], readS: [], readCpu: [], relayS: [], relayCpu: [], n: 0 }]));

/** Consumes `from` in a fresh group and produces each batch to `to` with `compression` until `n` messages; seconds taken. */
const relay = async (from: string, to: string, n: number, compression: Compression): Promise<number> => {
  const consumer = kafka().consumer({ groupId: `bench-codecs-${randomUUID()}`, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 32 * 1024 * 1024 });
  const producer = await createProducer({ kafka: kafka(), compression });
  await consumer.connect();
  await consumer.subscribe({ topic: from, fromBeginning: true });
  let seen = 0;
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    consumer.run({
      eachBatch: async ({ batch }) => {
        await producer.send([{ topic: to, messages: batch.messages.map((m) => ({ key: m.key, value: m.value ?? Buffer.alloc(0) })) }]);
        seen += batch.messages.length;
        if (seen >= n) resolve();
      },
    }).catch(reject);
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await consumer.disconnect();
  await producer.close();
  return s;
};
const cpuSince = (c: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1e6;
};
const topics: string[] = [];
try {
  for (let r = 0; r < RUNS; r++)
    for (const compression of COMPRESSIONS) {
      const row = rows.get(compression) as Row;
      const topic = await scratchTopic(`codec-${compression}`, PARTITIONS);
      topics.push(topic);
      const producer = await createProducer({ kafka: kafka(), compression });
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const [res] = await publishFiles([file], { producer, encodeDeadLetter: () => Buffer.alloc(0) }, { source: 'bench', dataType: 'historical', topology: { raw: topic, dlq: declared.dlq } });
      row.publishS.push(Number(process.hrtime.bigint() - t0) / 1e9);
      row.publishCpu.push(cpuSince(c0));
      await producer.close();
      row.n = res?.published ?? 0;
      row.bytes.push(await topicBytesOnDisk(config.brokers, topic));
      const c1 = process.cpuUsage();
      const t1 = process.hrtime.bigint();
      const { messages } = await readToEnd(kafka(), topic, () => undefined, { idleMs: 300 });
      row.readS.push(Number(process.hrtime.bigint() - t1) / 1e9);
      row.readCpu.push(cpuSince(c1));
      if (messages !== row.n) throw new Error(`${compression}: read ${messages} of ${row.n} messages back`);
      const sink = await scratchTopic(`codec-sink-${compression}`, PARTITIONS);
      topics.push(sink);
      const c2 = process.cpuUsage();
      row.relayS.push(await relay(topic, sink, row.n, compression));
      row.relayCpu.push(cpuSince(c2));
      await dropTopics([topic, sink]);
      topics.length = 0;
      process.stderr.write(`run ${r + 1}/${RUNS} ${compression}: publish ${row.publishS.at(-1)?.toFixed(2)} s (CPU ${row.publishCpu.at(-1)?.toFixed(2)} s), ${fmt((row.bytes.at(-1) ?? 0) / 1e6, 1)} MB on disk, read ${row.readS.at(-1)?.toFixed(2)} s (CPU ${row.readCpu.at(-1)?.toFixed(2)} s), relay ${row.relayS.at(-1)?.toFixed(2)} s (CPU ${row.relayCpu.at(-1)?.toFixed(2)} s)\n`);
    }
} finally {
  logDirs?.close();
  await dropTopics(topics);
}

const none = rows.get('none') as Row;
console.log(`producer compression on W-day: ${fmt(none.n)} snapshots x 100 strikes, ${fmt(mb, 1)} MB of JSON, ${PARTITIONS} partitions, acks=all, idempotent; median of ${RUNS} runs`);
const x = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
console.log(`  ${'codec'.padEnd(7)} | ${'publish/s'.padStart(9)} ${'MB/s'.padStart(6)} ${'vs none'.padStart(7)} ${'CPU s'.padStart(6)} | ${'on disk MB'.padStart(10)} ${'smaller'.padStart(7)} | ${'read MB/s'.padStart(9)} ${'CPU s'.padStart(6)} | ${'relay MB/s'.padStart(10)} ${'vs none'.padStart(7)} ${'CPU s'.padStart(6)}`);
for (const [c, row] of rows) {
  const p = median(row.publishS);
  const b = median(row.bytes);
  const rd = median(row.readS);
  const rl = median(row.relayS);
  console.log(
    `  ${c.padEnd(7)} | ${fmt(row.n / p).padStart(9)} ${fmt(mb / p, 1).padStart(6)} ${x(median(none.publishS), p).padStart(7)} ${fmt(median(row.publishCpu), 2).padStart(6)} | ${fmt(b / 1e6, 1).padStart(10)} ${x(median(none.bytes), b).padStart(7)} | ${fmt(mb / rd, 1).padStart(9)} ${fmt(median(row.readCpu), 2).padStart(6)} | ${fmt(mb / rl, 1).padStart(10)} ${x(median(none.relayS), rl).padStart(7)} ${fmt(median(row.relayCpu), 2).padStart(6)}`,
  );
}
