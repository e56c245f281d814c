// A dead letter is total and bounded: always valid for its Avro schema and under the DLQ topic's max.message.bytes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { DEAD_LETTER_BOUNDS, deadLetter, MAX_DEAD_LETTER_VALUE, valueKept } from '../../../src/domain/deadLetter.js';
import { avroType, loadSchemas, schemaJson } from '../../../src/registry/schemas.js';
import { schemasDir } from '../../../src/resources.js';

const type = avroType(schemaJson(loadSchemas(schemasDir), 'io.gexstream.DeadLetter'));
const DLQ_MAX_MESSAGE_BYTES = 10 * 1024 * 1024; // topics/gex.dlq.v1.json
const origin = { topic: 'gex.raw.v1', partition: 2, offset: 41 };

const test = suite('dead letter: always encodable, bounded');

test('hostile fields are sanitized: 1e300 lineage index, fractional clock, out-of-range partition', () => {
  const d = deadLetter(
    { stage: 'decode', errors: [{ path: 'headers.gex-lineage-index', message: 'bad' }], value: Buffer.from('{}'), origin: { ...origin, partition: 2 ** 40 }, lineage: { file: 'f', sha256: 'x', index: 1e300, batch: null }, attempts: 1.5 },
    1764758400123.5,
  );
  assert.is(d.lineage, null, 'an index Avro cannot hold is dropped from the lineage (the headers keep the text)');
  assert.is(d.failed_at_ms, 1764758400123);
  assert.is(d.original_partition, null);
  assert.is(d.attempts, 1);
  assert.ok(type.isValid(d), 'valid for the Avro schema');
  assert.ok(type.toBuffer(d).length > 0);
});

test('a 7 MiB record with 100 errors on long unknown keys, huge headers and key: under the DLQ limit, original kept', () => {
  const longKey = 'k'.repeat(70_000);
  const value = Buffer.alloc(7 * 1024 * 1024, 0x20);
  const errs = Array.from({ length: 500 }, (_, i) => ({ path: `${longKey}${i}`, message: `expected a value nested at most 32 levels deep, got ${'x'.repeat(50_000)}` }));
  const headers = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`h${i}`, 'v'.repeat(100_000)]));
  const d = deadLetter({ stage: 'decode', errors: errs, value, key: Buffer.alloc(1024 * 1024, 1), headers, origin }, 1);
  const size = type.toBuffer(d).length;
  assert.ok(size < DLQ_MAX_MESSAGE_BYTES - 512 * 1024, `${size} bytes, under the topic's ${DLQ_MAX_MESSAGE_BYTES} with room for the batch`);
  assert.is(d.original_value.length, value.length, 'the original bytes are kept whole');
  assert.ok(valueKept(d));
  assert.is(d.errors.length, DEAD_LETTER_BOUNDS.errors);
  assert.ok(d.reason.includes('(+497 more)'));
  assert.ok(d.reason.includes('headers over the'), d.reason.slice(-200));
});

test('an original over the limit is replaced by its sha256, length and origin', () => {
  const value = Buffer.alloc(MAX_DEAD_LETTER_VALUE + 1, 0x61);
  const d = deadLetter({ stage: 'decode', errors: [{ path: '$', message: 'too large' }], value, origin }, 1);
  assert.is(d.original_value.length, 0);
  assert.is(d.original_value_bytes, value.length);
  assert.is(d.original_value_sha256, createHash('sha256').update(value).digest('hex'));
  assert.equal([d.original_topic, d.original_partition, d.original_offset], ['gex.raw.v1', 2, 41]);
  assert.not.ok(valueKept(d), 'not re-drivable from the dead letter itself');
  assert.ok(d.reason.includes(`original value of ${value.length} bytes over the ${MAX_DEAD_LETTER_VALUE}-byte limit`));
  assert.ok(type.toBuffer(d).length < 64 * 1024);
});

test('dead letters written before the new fields existed still count as kept', () => {
  const d = deadLetter({ stage: 'decode', errors: [], value: Buffer.from('x') }, 1);
  assert.ok(valueKept({ ...d, original_value_bytes: null, original_value_sha256: null }));
});

test.run();
