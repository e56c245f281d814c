// Captures compressed record batches written by other clients, as the fixtures of tests/unit/kafka/codecs.test.ts:
// librdkafka (Python confluent-kafka) and the Java producer (kafka-console-producer of the cached Kafka release) each
// publish the same JSON lines with gzip, snappy, lz4 and zstd to a scratch topic; kafkajs reads them back and the
// compressed records section of the first batch of each (codec, producer) is written to fixtures/codecs/.
// Run by hand (the fixtures are committed): node dist/tests/interop/captureBatches.js  (KAFKA_BROKERS set)
import kafkajs from 'kafkajs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createKafka } from '../../src/kafka/client.js';
import { batchCodecs } from '../../src/kafka/codecs.js';
import { readToEnd } from '../../src/kafka/reader.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;
const config = loadConfig();
const kafka = () => createKafka({ brokers: config.brokers });
const out = join(process.cwd(), 'fixtures', 'codecs');
const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ ticker: 'SPX', timestamp: 1762534800 + i, spot: 6700 + i / 4, note: 'codec fixture '.repeat(20) }));
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'lines.jsonl'), `${lines.join('\n')}\n`);

const captured: Buffer[] = [];
const types = { gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD } as const;
const gzip = CompressionCodecs[CompressionTypes.GZIP]() as { decompress: (b: Buffer) => Promise<Buffer> };
for (const [name, type] of Object.entries(types)) {
  const inner = name === 'gzip' ? gzip : batchCodecs[name as 'snappy'];
  CompressionCodecs[type] = () => ({ ...inner, decompress: (b: Buffer) => (captured.push(Buffer.from(b)), inner.decompress(b)) });
}

const producers: Record<string, (topic: string, codec: string) => void> = {
  librdkafka: (topic, codec) => execFileSync('python3', [join('tests', 'interop', 'produce_compressed.py'), config.brokers.join(','), topic, codec, join(out, 'lines.jsonl')]),
  java: (topic, codec) =>
    execFileSync('java', ['-cp', join(config.cacheDir, 'kafka-3.9.1', 'libs', '*'), 'kafka.tools.ConsoleProducer', '--bootstrap-server', config.brokers.join(','), '--topic', topic, '--compression-codec', codec, '--batch-size', '1000000', '--timeout', '200'], { input: `${lines.join('\n')}\n`, stdio: ['pipe', 'ignore', 'ignore'] }),
};

const admin = kafka().admin();
await admin.connect();
try {
  for (const [who, produce] of Object.entries(producers))
    for (const codec of Object.keys(types)) {
      const topic = `codec-fixture-${who}-${codec}-${Date.now()}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'producer' }] }], waitForLeaders: true });
      produce(topic, codec);
      captured.length = 0;
      const { messages } = await readToEnd(kafka(), topic, () => undefined);
      const first = captured[0];
      if (!first || messages !== lines.length) throw new Error(`${who} ${codec}: ${messages} messages, ${captured.length} compressed batches`);
      writeFileSync(join(out, `${who}-${codec}.bin`), first);
      console.log(`${who} ${codec}: ${captured.length} batch(es), first ${first.length} bytes, starts ${first.subarray(0, 8).toString('hex')}`);
      await admin.deleteTopics({ topics: [topic] });
    }
} finally {
  await admin.disconnect();
}
