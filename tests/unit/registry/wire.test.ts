// The Confluent framer: one encode into a reused scratch, the same bytes as avsc's toBuffer behind the 5-byte header.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import avro from 'avsc';
import { createFramer, unframe } from '../../../src/registry/wire.js';

const type = avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'xs', type: { type: 'array', items: 'double' } }, { name: 's', type: 'string' }] });

test('framed bytes are the header then exactly what toBuffer gives, small and large values alike', () => {
  const encode = createFramer<{ xs: number[]; s: string }>(42, type, 16);
  for (const n of [0, 1, 3, 1_000, 20_000, 2]) {
    const value = { xs: Array.from({ length: n }, (_, i) => i * 1.5), s: 'x'.repeat(n % 7) };
    const framed = encode(value);
    const { schemaId, body } = unframe(framed);
    assert.is(schemaId, 42);
    assert.ok(body.equals(type.toBuffer(value)), `body of ${n} doubles`);
    assert.equal({ ...(type.fromBuffer(body) as object) }, value);
  }
});

test('a returned buffer is not overwritten by the next encode', () => {
  const encode = createFramer<{ xs: number[]; s: string }>(7, type);
  const a = encode({ xs: [1, 2, 3], s: 'a' });
  const copy = Buffer.from(a);
  encode({ xs: [9, 9, 9, 9], s: 'bbbb' });
  assert.ok(a.equals(copy));
});

test.run();
