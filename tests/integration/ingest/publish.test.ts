// publish against the real broker: exact bytes, key = ticker, lineage headers, deterministic request ids, oversize -> DLQ.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { H } from '../../../src/domain/headers.js';
import { requestIdForLineage } from '../../../src/domain/ids.js';
import type { DeadLetter } from '../../../src/domain/deadLetter.js';
import { createProducer } from '../../../src/kafka/producer.js';
import { endOffsets, readToEnd, type ReadMessage } from '../../../src/kafka/reader.js';
import { createTopicAdmin } from '../../../src/kafka/admin.js';
import { publishFiles } from '../../../src/pipelines/publish.js';
import { createRegistry } from '../../../src/registry/registry.js';
import { config, kafka, unique } from '../../support/env.js';
import { applyTopics } from '../../../src/pipelines/topics.js';
import { loadTopology } from '../../../src/resources.js';

const test = suite('publish (real broker)');
const topic = unique('test.raw');
// a scratch raw topic; dead letters go to the declared dlq
const { dlq } = loadTopology();
const topology = { raw: topic, dlq };
const dir = mkdtempSync(join(tmpdir(), 'gexstream-publish-'));
const registry = createRegistry({ url: config.registryUrl });

test.before(async () => {
  await applyTopics({ kafka: kafka(), specs: [{ name: topic, partitions: 3, replicationFactor: 1, configs: { 'max.message.bytes': '1048576' } }] });
});
test.after(async () => {
  const admin = await createTopicAdmin({ kafka: kafka() });
  await admin.deleteTopics([topic]).catch(() => undefined);
  await admin.close();
});

test('a gzipped history array and a JSONL file arrive byte for byte with lineage; oversize records go to the DLQ', async () => {
  const snap = (t: string, i: number, pad = '') => `{"timestamp":${1762540200 + i},"ticker":"${t}","spot":6700.5,"strikes":[[6700,1.5,2,[]]]${pad}}`;
  const history = `[\n${[0, 1, 2].map((i) => snap('NQ_NDX', i)).join(',\n')}\n]`;
  const historyFile = join(dir, '2025-11-07_NQ_NDX_classic_gex_zero.json.gz');
  writeFileSync(historyFile, gzipSync(history));
  const big = snap('SPX', 9, `,"pad":"${'x'.repeat(300_000)}"`);
  const jsonl = [snap('SPX', 0), big, snap('SPX', 1)].join('\n');
  const jsonlFile = join(dir, 'feed.jsonl');
  writeFileSync(jsonlFile, jsonl);
  const dlqEncoder = await registry.encoder<DeadLetter>(`${dlq}-value`);
  const dlqBefore = await endOffsets(kafka(), dlq);
  const producer = await createProducer({ kafka: kafka() });
  const res = await publishFiles([historyFile, jsonlFile], { producer, encodeDeadLetter: dlqEncoder.encode }, { source: 'gexbot', dataType: 'historical', batch: 'batch-1', topology, maxRecordBytes: 200_000 });
  await producer.close();
  assert.equal(res.map((r) => [r.format, r.published, r.deadLettered]), [['array', 3, 0], ['jsonl', 2, 1]]);

  const got: ReadMessage[] = [];
  await readToEnd(kafka(), topic, (m) => void got.push(m));
  assert.is(got.length, 5);
  const onDisk = createHash('sha256').update(gzipSync(history)).digest('hex');
  assert.is(res[0]?.sha256, onDisk, 'lineage sha256 is of the file as stored (gzip deterministic for the same input)');
  const hist = got.filter((m) => m.headers[H.lineageFile] === '2025-11-07_NQ_NDX_classic_gex_zero.json.gz').sort((a, b) => Number(a.headers[H.lineageIndex]) - Number(b.headers[H.lineageIndex]));
  assert.equal(hist.map((m) => m.value?.toString()), [0, 1, 2].map((i) => snap('NQ_NDX', i)), 'exact bytes of each element');
  for (const m of hist) {
    assert.is(m.key?.toString(), 'NQ_NDX');
    assert.is(m.headers[H.source], 'gexbot');
    assert.is(m.headers[H.dataType], 'historical');
    assert.is(m.headers[H.importBatch], 'batch-1');
    assert.is(m.headers[H.lineageSha256], res[0]?.sha256);
    assert.is(m.headers[H.requestId], requestIdForLineage(res[0]?.sha256 ?? '', Number(m.headers[H.lineageIndex])));
    assert.ok(Number(m.headers[H.publishedAt]) > 0);
  }
  // the same SPX key lands on one partition, in file order
  const spx = got.filter((m) => m.key?.toString() === 'SPX');
  assert.equal(new Set(spx.map((m) => m.partition)).size, 1);
  assert.equal(spx.map((m) => m.headers[H.lineageIndex]), ['0', '2']);

  // the oversize record is a dead letter with its (uncut) bytes and a reason naming the limit
  const letters: DeadLetter[] = [];
  await readToEnd(kafka(), dlq, async (m) => {
    if (m.value) letters.push(await registry.decode<DeadLetter>(m.value));
  }, { from: dlqBefore });
  const mine = letters.filter((d) => d.lineage?.sha256 === res[1]?.sha256);
  assert.is(mine.length, 1);
  assert.is(mine[0]?.stage, 'publish');
  assert.is(mine[0]?.lineage?.index, 1);
  assert.is(Buffer.from(mine[0]?.original_value ?? []).toString(), big);
  assert.match(mine[0]?.reason ?? '', '200000-byte limit');
});

test('a BOM-prefixed, gzipped file of jq-style pretty-printed snapshots arrives as one record per object; a gzip bomb is refused before anything is sent', async () => {
  const objs = [0, 1, 2].map((i) => JSON.stringify({ timestamp: 1762540200 + i, ticker: 'QQQ', spot: 600.5, strikes: [[600, 1.5, 2, []]] }, null, 2));
  const file = join(dir, 'jq-output.json.gz');
  writeFileSync(file, gzipSync(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${objs.join('\n')}\n`)])));
  const bomb = join(dir, 'bomb.json.gz');
  const member = gzipSync(Buffer.alloc(1024 * 1024, 0x20), { level: 9 });
  writeFileSync(bomb, Buffer.concat(Array.from({ length: 1024 }, () => member)));
  const dlqEncoder = await registry.encoder<DeadLetter>(`${dlq}-value`);
  const before = await endOffsets(kafka(), topic);
  const producer = await createProducer({ kafka: kafka() });
  try {
    const res = await publishFiles([file], { producer, encodeDeadLetter: dlqEncoder.encode }, { source: 'jq', dataType: 'historical', topology });
    assert.equal(res.map((r) => [r.format, r.published, r.deadLettered, r.problems]), [['concatenated', 3, 0, []]]);
    try {
      await publishFiles([bomb], { producer, encodeDeadLetter: dlqEncoder.encode }, { source: 'jq', dataType: 'historical', topology });
      assert.unreachable('the bomb was published');
    } catch (err) {
      assert.match((err as Error).message, 'inflates to more than the 536870912-byte limit');
    }
  } finally {
    await producer.close();
  }
  const got: ReadMessage[] = [];
  await readToEnd(kafka(), topic, (m) => void got.push(m), { from: before });
  const mine = got.filter((m) => m.headers[H.lineageFile] === 'jq-output.json.gz').sort((a, b) => Number(a.headers[H.lineageIndex]) - Number(b.headers[H.lineageIndex]));
  assert.equal(mine.map((m) => m.value?.toString()), objs, 'each pretty-printed object byte for byte, without the BOM');
  assert.is(got.length, 3, 'nothing of the bomb was sent');
});

test.run();
