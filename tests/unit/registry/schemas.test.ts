// Loading schemas/: shared named types inlined once, every value schema valid Avro, BACKWARD checks, Confluent framing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { avroType, backwardIncompatibility, loadSchemas, schemaJson } from '../../../src/registry/schemas.js';
import { frame, unframe, WireFormatError } from '../../../src/registry/wire.js';
import { loadTopicSpecs, schemasDir } from '../../../src/resources.js';
import { sampleProcessed } from '../../support/samples.js';

const test = suite('schemas');
const set = loadSchemas(schemasDir);

test('every topic that declares a value schema names a schema that parses as Avro', () => {
  const named = loadTopicSpecs().filter((s) => s.valueSchema).map((s) => s.valueSchema as string);
  assert.ok(named.length >= 9);
  for (const n of named) assert.ok(avroType(schemaJson(set, n)), n);
});

test('the canonical snapshot is one shared named type, defined once inside each value schema', () => {
  for (const n of ['io.gexstream.PrioritizedSnapshot', 'io.gexstream.ProcessedSnapshot']) {
    const text = JSON.stringify(schemaJson(set, n));
    assert.is(text.split('"name":"CanonicalSnapshot"').length - 1, 1, `${n} defines CanonicalSnapshot once`);
    const t = avroType(schemaJson(set, n)) as unknown as { getField(name: string): { getType(): { getName(): string } } };
    assert.is(t.getField('snapshot').getType().getName(), 'io.gexstream.CanonicalSnapshot');
  }
});

test('a processed snapshot encodes and decodes unchanged', () => {
  const t = avroType(schemaJson(set, 'io.gexstream.ProcessedSnapshot'));
  const v = sampleProcessed(7);
  const back = t.fromBuffer(t.toBuffer(v)) as ReturnType<typeof sampleProcessed>;
  assert.is(back.request_id, 'req-7');
  assert.equal(back.snapshot.strikes.map((s) => s.strike), [6890, 6895, 7380, 7385]);
  assert.equal(back.snapshot.strikes[1]?.priors, [-49.05, -46.76, -45.55, -45.53, -42.97]);
});

test('BACKWARD: an added optional field is compatible, an added required field is not and is named', () => {
  const v1 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] };
  assert.is(backwardIncompatibility(v1, { ...v1, fields: [...v1.fields, { name: 'b', type: ['null', 'int'], default: null }] }), undefined);
  assert.match(backwardIncompatibility(v1, { ...v1, fields: [...v1.fields, { name: 'needs_default', type: 'int' }] }) ?? '', 'needs_default');
});

test('Confluent framing: magic 0 + big-endian schema id', () => {
  const f = frame(258, Buffer.from([9, 9]));
  assert.equal([...f], [0, 0, 0, 1, 2, 9, 9]);
  assert.equal(unframe(f).schemaId, 258);
  assert.throws(() => unframe(Buffer.from([1, 0, 0, 0, 1])), (e: unknown) => e instanceof WireFormatError);
  assert.throws(() => unframe(Buffer.from([0, 0])), (e: unknown) => e instanceof WireFormatError);
});

test.run();
