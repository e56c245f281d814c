// Avro through the real broker and registry: the processor's v2 output read by librdkafka with Confluent's deserializer
// (strike rows rebuilt in Python), the snapshot's bytes copied by the processor, and BACKWARD compatibility refusals.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createRegistry, SchemaIncompatibleError } from '../../src/registry/registry.js';
import type { PrioritizedEnvelope } from '../../src/domain/prioritized.js';
import { SNAPSHOT_KINDS } from '../../src/domain/snapshot.js';
import { strikeRows } from '../../src/domain/strikeColumns.js';
import { createProducer } from '../../src/kafka/producer.js';
import { createLogger } from '../../src/log.js';
import { createProcessor } from '../../src/pipelines/process.js';
import type { ProcessedEnvelope } from '../../src/domain/processed.js';
import { readToEnd } from '../../src/kafka/reader.js';
import { encodeSnapshot, v2Wire } from '../../src/registry/columnarSnapshot.js';
import { config, eventually, kafka, unique } from '../support/env.js';
import { isolatedLanes, prioritized } from '../support/processing.js';
import { sampleColumnar } from '../support/samples.js';

const test = suite('avro (real broker + registry)');
const registry = createRegistry({ url: config.registryUrl });

test('the processor\'s v2 output is read by librdkafka with Confluent\'s AvroDeserializer, which rebuilds the input\'s strike rows', async () => {
  // every snapshot kind (null columns, NaN cells, priors, no strikes) in as PrioritizedSnapshot v2, through a real
  // processor (its default step copies the snapshot's bytes), out as ProcessedSnapshot v2, read by Python
  const lanes = await isolatedLanes('interop', 1);
  try {
    const inputs = SNAPSHOT_KINDS.map((kind, i) => ({ id: `interop-${i}-${lanes.prefix}`, snapshot: sampleColumnar(kind, 12) }));
    const enc = await v2Wire(registry).encoder<PrioritizedEnvelope>('gex.priority.low.v2-value');
    const producer = await createProducer({ kafka: kafka() });
    await producer.send([{ topic: lanes.topicOf('low'), messages: inputs.map((x) => ({ key: x.snapshot.ticker, value: enc.encode(prioritized(x.id, 'low', 'gexbot', x.snapshot.ticker), x.snapshot) })) }]);
    await producer.close();
    const processor = await createProcessor({ kafka: kafka(), registry, logger: createLogger('silent'), levels: ['low'], topology: lanes.topology, groupPrefix: lanes.groupPrefix, instanceId: unique('interop') });
    await processor.start();
    try {
      await eventually('every snapshot processed', async () => (processor.stats().processed.low >= inputs.length ? true : undefined), 60_000);
    } finally {
      await processor.stop();
    }
    // unchanged by the default step (strikes ascending, derived there): the snapshot's bytes are the input's, copied
    const wire = v2Wire(registry);
    const copied = new Map<string, boolean>();
    await readToEnd(kafka(), lanes.processed, async (m) => {
      if (!m.value) return;
      const head = await wire.decodeEnvelope<ProcessedEnvelope>(m.value);
      const input = inputs.find((x) => x.id === head.envelope.request_id);
      if (input) copied.set(input.snapshot.kind, m.value.subarray(head.snapshotAt).equals(encodeSnapshot(input.snapshot)));
    }, { idleMs: 500 });
    assert.equal(Object.fromEntries(copied), Object.fromEntries(inputs.map((x) => [x.snapshot.kind, x.snapshot.derived !== null])), 'copied byte for byte exactly when the step leaves the snapshot as it is');
    const reg = await registry.latest(`${lanes.processed}-value`);
    const out = execFileSync('python3', [join(process.cwd(), 'tests', 'interop', 'confluent_rows.py'), config.brokers.join(','), config.registryUrl, lanes.processed, String(inputs.length)], { encoding: 'utf8', timeout: 60_000 });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { magic: number; schema_id: number; key: string; request_id: string; ticker: string; kind: string; quality_score: number; rows: Array<Record<string, unknown>> });
    assert.is(lines.length, inputs.length);
    for (const l of lines) {
      const input = inputs.find((x) => x.id === l.request_id);
      assert.ok(input, `${l.request_id} is one of the inputs`);
      if (!input) continue;
      assert.is(l.magic, 0, 'magic byte 0');
      assert.is(l.schema_id, reg?.id, '4-byte schema id of the registered subject');
      assert.equal([l.key, l.ticker, l.kind], [input.snapshot.ticker, input.snapshot.ticker, input.snapshot.kind]);
      if (input.snapshot.derived) assert.is(l.quality_score, input.snapshot.derived.quality_score);
      else assert.ok(l.quality_score >= 0 && l.quality_score <= 1, 'derived metrics computed by the processor');
      // the rows the input's columns stand for: NaN cells and absent columns null, each row's own priors
      assert.equal(l.rows, strikeRows(input.snapshot.strikes).map((r) => ({ ...r })), `${input.snapshot.kind}: strike rows rebuilt in Python equal the input values`);
      assert.is(l.rows.length, input.snapshot.strikes.count);
    }
  } finally {
    await lanes.cleanup();
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
