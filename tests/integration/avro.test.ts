// Avro through the real broker and registry: kafkajs round trip, and the Confluent wire header checked by librdkafka's client.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createRegistry, SchemaIncompatibleError } from '../../src/registry/registry.js';
import { loadSchemas, schemaJson } from '../../src/registry/schemas.js';
import { unframe } from '../../src/registry/wire.js';
import { applyTopics } from '../../src/pipelines/topics.js';
import { createTopicAdmin } from '../../src/kafka/admin.js';
import { schemasDir } from '../../src/resources.js';
import { config, kafka, unique } from '../support/env.js';
import { sampleProcessed } from '../support/samples.js';

const test = suite('avro (real broker + registry)');
const registry = createRegistry({ url: config.registryUrl });
const schemas = loadSchemas(schemasDir);
const topic = unique('test.processed');

test.before(async () => {
  await applyTopics({ kafka: kafka(), specs: [{ name: topic, partitions: 1, replicationFactor: 1, configs: {} }] });
});
test.after(async () => {
  const admin = await createTopicAdmin({ kafka: kafka() });
  await admin.deleteTopics([topic]).catch(() => undefined);
  await admin.close();
});

test('a processed snapshot round-trips through Kafka with the registry, and librdkafka decodes it', async () => {
  const reg = await registry.register(`${topic}-value`, schemaJson(schemas, 'io.gexstream.ProcessedSnapshot'));
  const enc = await registry.encoder<ReturnType<typeof sampleProcessed>>(`${topic}-value`);
  assert.is(enc.schemaId, reg.id);
  const values = [0, 1, 2].map(sampleProcessed);
  const producer = kafka().producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: values.map((v) => ({ key: v.snapshot.ticker, value: enc.encode(v) })) });
  await producer.disconnect();

  // kafkajs consumer + our decoder
  const consumer = kafka().consumer({ groupId: unique('test.avro.g') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: unknown[] = [];
  await new Promise<void>((resolve, reject) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const buf = message.value ?? Buffer.alloc(0);
        assert.is(unframe(buf).schemaId, reg.id);
        got.push(await registry.decode(buf));
        if (got.length === values.length) resolve();
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  const first = got[0] as ReturnType<typeof sampleProcessed>;
  assert.is(first.request_id, 'req-0');
  assert.is(first.snapshot.strikes.length, 4);
  assert.equal(first.snapshot.strikes[0]?.priors, [-240.55, -243.15, -245.22, -221.27, -220.12]);
  assert.is((first.snapshot.strikes[0] as Record<string, unknown> | undefined)?.['call_oi'], null, 'absent nullable fields decode as null');
  assert.equal({ ...first.snapshot.max_priors?.one }, { strike: 7135, change: 1145886.722 }); // avsc decodes records as class instances

  // An independent client: confluent-kafka (librdkafka) with Confluent's AvroDeserializer through the ccompat API.
  const out = execFileSync('python3', [join(process.cwd(), 'tests', 'interop', 'confluent_consume.py'), config.brokers.join(','), config.registryUrl, topic, String(values.length)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { magic: number; schema_id: number; key: string; value: ReturnType<typeof sampleProcessed> });
  assert.is(lines.length, 3);
  for (const [i, l] of lines.entries()) {
    assert.is(l.magic, 0, 'magic byte 0');
    assert.is(l.schema_id, reg.id, '4-byte schema id of the registered subject');
    assert.is(l.key, 'SPX');
    assert.is(l.value.request_id, `req-${i}`);
    assert.is(l.value.level, 'critical');
    assert.is(l.value.snapshot.ticker, 'SPX');
    assert.is(l.value.snapshot.strikes[3]?.strike, 7385);
    assert.is(l.value.lineage?.index, i);
  }
});

test('an incompatible schema change is refused, naming the subject and the field', async () => {
  const subject = `${unique('test.compat')}-value`;
  const v1 = { type: 'record', name: 'Thing', namespace: 'io.gexstream.test', fields: [{ name: 'a', type: 'string' }] };
  const v2ok = { ...v1, fields: [...v1.fields, { name: 'b', type: ['null', 'long'], default: null }] };
  const v3bad = { ...v1, fields: [...v2ok.fields, { name: 'required_new', type: 'double' }] };
  const r1 = await registry.register(subject, v1);
  const r2 = await registry.register(subject, v2ok);
  assert.ok(r2.created && r2.id !== r1.id, 'a compatible change registers a new version');
  try {
    await registry.register(subject, v3bad);
    assert.unreachable('an incompatible schema must be refused');
  } catch (err) {
    assert.instance(err, SchemaIncompatibleError);
    assert.match((err as Error).message, subject);
    assert.match((err as Error).message, 'required_new');
  }
  assert.is((await registry.latest(subject))?.id, r2.id, 'the refused schema was not registered');
});

test('the registry itself refuses an incompatible version (BACKWARD is set on the subject)', async () => {
  const subject = `${unique('test.compat')}-value`;
  const v1 = { type: 'record', name: 'Thing', namespace: 'io.gexstream.test', fields: [{ name: 'a', type: 'string' }] };
  await registry.register(subject, v1);
  const cfg = (await (await fetch(`${config.registryUrl}/config/${subject}`)).json()) as { compatibilityLevel: string };
  assert.is(cfg.compatibilityLevel, 'BACKWARD');
  const bad = { ...v1, fields: [{ name: 'a', type: 'string' }, { name: 'z', type: 'int' }] };
  const res = await fetch(`${config.registryUrl}/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(bad) }),
  });
  assert.is(res.status, 409, 'the registry answers 409 Conflict');
});

test.run();
