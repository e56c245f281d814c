// Batches from a non-Node producer with every codec: Python confluent-kafka (librdkafka) publishes GEX snapshots with
// compression.type gzip, snappy, lz4 and zstd to an isolated raw topic; the prioritizer and the processors (real broker)
// prioritize and process every one of them, none is dead-lettered, and the prioritizer really read batches of each codec.
// The other way round, librdkafka reads what our producer writes with each codec.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeadLetter } from '../../../src/domain/deadLetter.js';
import { generatePayloads } from '../../../src/domain/generator.js';
import type { JobEvent } from '../../../src/domain/prioritized.js';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { createKafka } from '../../../src/kafka/client.js';
import { compressionType } from '../../../src/kafka/codecs.js';
import { createProducer } from '../../../src/kafka/producer.js';
import { H } from '../../../src/domain/headers.js';
import { readToEnd } from '../../../src/kafka/reader.js';
import { createLogger } from '../../../src/log.js';
import { createPrioritizer } from '../../../src/pipelines/prioritize.js';
import { createProcessor } from '../../../src/pipelines/process.js';
import { config, eventually, kafka, registry, unique } from '../../support/env.js';
import { readProcessed } from '../../support/processing.js';
import { isolatedPipeline } from '../../support/projection.js';

const { CompressionCodecs } = kafkajs;
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const COMPRESSIONS = ['none', ...CODECS] as const;
const PER_CODEC = 60;
const logger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');

// Counts the batches each codec decompresses in this process, delegating to the registered codec. The roles below write
// uncompressed, so every compressed batch counted was written by the Python producer.
type Codec = { compress: (e: { buffer: Buffer }) => Promise<Buffer>; decompress: (b: Buffer) => Promise<Buffer> };
const registered = CompressionCodecs as unknown as Record<number, () => Codec>;
const decompressed = Object.fromEntries(CODECS.map((c) => [c, 0])) as Record<(typeof CODECS)[number], number>;
for (const c of CODECS) {
  const type = compressionType[c];
  const inner = registered[type]!();
  registered[type] = () => ({ compress: inner.compress, decompress: (b) => ((decompressed[c] += 1), inner.decompress(b)) });
}

const test = suite('codecs: batches from librdkafka with every compression (real broker)');

test('gzip, snappy, lz4 and zstd batches from Python confluent-kafka: every snapshot prioritized and processed, none dead-lettered', async () => {
  const iso = await isolatedPipeline('codecs');
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-codecs-'));
  const roles = () => createKafka({ brokers: config.brokers, clientId: 'gexstream-test', compression: 'none' });
  const prioritizer = await createPrioritizer({ kafka: roles(), registry, logger, priority: defaultPriorityConfig, topology: iso.topology, groupId: unique('codecs.prio'), instanceId: unique('cp') });
  const processor = await createProcessor({ kafka: roles(), registry, logger, topology: iso.topology, groupPrefix: unique('codecs.proc'), instanceId: unique('cq') });
  try {
    await prioritizer.start();
    await processor.start();
    const payloads = [...generatePayloads({ seed: 11, tickers: ['SPX', 'NDX', 'QQQ'], count: PER_CODEC * CODECS.length, strikes: 40 })];
    const expected = new Set<string>();
    for (const [k, codec] of CODECS.entries()) {
      // each codec its own snapshots; line i of its file gets the request id `librdkafka-${codec}-${i}`
      const mine = payloads.slice(k * PER_CODEC, (k + 1) * PER_CODEC);
      const file = join(dir, `${codec}.jsonl`);
      writeFileSync(file, `${mine.map((p) => JSON.stringify(p)).join('\n')}\n`);
      const out = execFileSync('python3', [join(process.cwd(), 'tests', 'interop', 'produce_compressed.py'), config.brokers.join(','), iso.raw, codec, file, '--headers'], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(JSON.parse(out.trim()), { codec, sent: PER_CODEC }, `librdkafka delivered every ${codec} message`);
      for (let i = 0; i < PER_CODEC; i++) expected.add(`librdkafka-${codec}-${i}`);
    }

    // every snapshot has an outcome (processed or dead-lettered), then the outcomes are checked
    const readLetters = async (): Promise<DeadLetter[]> => {
      const letters: DeadLetter[] = [];
      await readToEnd(kafka(), iso.topics.dlq, async (m) => {
        if (m.value) letters.push(await registry.decode<DeadLetter>(m.value));
      }, { idleMs: 800 });
      return letters;
    };
    let seen = 0;
    const { processed, letters } = await eventually(`an outcome for each of the ${expected.size} snapshots`, async () => {
      const [got, dead] = [await readProcessed(iso.topics.processed), await readLetters()];
      seen = new Set([...got.map((p) => p.request_id), ...dead.map((d) => d.request_id ?? '')].filter((id) => expected.has(id))).size;
      return seen >= expected.size ? { processed: got, letters: dead } : undefined;
    }, Number(process.env["CODECS_WAIT_MS"] ?? 180_000), 1_000).catch(async (err: unknown) => {
      const dead = await readLetters();
      const got = await readProcessed(iso.topics.processed);
      throw new Error(`${(err as Error).message}; ${seen} had one (processed per codec: ${CODECS.map((c) => `${c} ${got.filter((p) => p.request_id.startsWith(`librdkafka-${c}-`)).length}`).join(', ')}; decompressed batches: ${JSON.stringify(decompressed)}); dead letters: ${dead.slice(0, 5).map((d) => `${d.request_id} ${d.stage}: ${d.reason}`).join(' | ')}`);
    });
    assert.equal(letters.map((d) => `${d.request_id} ${d.stage}: ${d.reason}`), [], 'nothing dead-lettered');
    const ids = processed.map((p) => p.request_id).filter((id) => expected.has(id));
    assert.is(new Set(ids).size, expected.size, 'every request id is on the processed topic');
    assert.is(ids.length, expected.size, 'each exactly once');
    for (const codec of CODECS) {
      const mine = processed.filter((p) => p.request_id.startsWith(`librdkafka-${codec}-`));
      assert.is(mine.length, PER_CODEC, `${codec}: every snapshot processed`);
      assert.ok(mine.every((p) => p.source === `librdkafka-${codec}` && p.snapshot.strikes.count === 40), `${codec}: source header and strikes kept`);
    }

    const completed = new Set<string>();
    await readToEnd(kafka(), iso.topics.jobs, async (m) => {
      if (!m.value) return;
      const j = await registry.decode<JobEvent>(m.value);
      if (j.status === 'COMPLETED') completed.add(j.request_id);
    }, { idleMs: 800 });
    assert.equal([...expected].filter((id) => !completed.has(id)), [], 'a COMPLETED job event for every snapshot');

    for (const codec of CODECS) assert.ok(decompressed[codec] > 0, `the prioritizer decompressed ${codec} batches (${decompressed[codec]})`);
    console.log(`    batches decompressed per codec: ${CODECS.map((c) => `${c} ${decompressed[c]}`).join(', ')}`);
  } finally {
    await processor.stop().catch(() => undefined);
    await prioritizer.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await iso.cleanup();
  }
});

test('batches our producer compresses with each codec are read by librdkafka (and accepted by the broker, which checks them with the Java codecs)', async () => {
  const iso = await isolatedPipeline('codecs-out', 2);
  try {
    const payloads = [...generatePayloads({ seed: 12, tickers: ['SPX', 'NDX'], count: 30 * COMPRESSIONS.length, strikes: 40 })].map((p) => Buffer.from(JSON.stringify(p)));
    const sent = new Map<string, string>();
    for (const [k, compression] of COMPRESSIONS.entries()) {
      const producer = await createProducer({ kafka: kafka(), compression });
      const mine = payloads.slice(k * 30, (k + 1) * 30);
      const messages = mine.map((value, i) => ({ key: 'SPX', value, headers: { [H.requestId]: `gexstream-${compression}-${i}` } }));
      for (const m of messages) sent.set(m.headers[H.requestId] as string, createHash('sha256').update(m.value).digest('hex'));
      await producer.send([{ topic: iso.raw, messages }]);
      await producer.close();
    }
    const out = execFileSync('python3', [join(process.cwd(), 'tests', 'interop', 'consume_raw.py'), config.brokers.join(','), iso.raw, String(sent.size)], { encoding: 'utf8', timeout: 120_000 });
    const read = new Map(out.trim().split('\n').map((l) => JSON.parse(l) as { request_id: string; sha256: string }).map((r) => [r.request_id, r.sha256]));
    assert.equal(read, sent, 'librdkafka read every message of every codec, byte for byte');
  } finally {
    await iso.cleanup();
  }
});

test.run();
