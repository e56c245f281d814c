// The hand-rolled v2 codec: the very bytes avsc writes for io.gexstream.v2.ColumnarSnapshot and the v2 envelopes, and a
// reader of whatever a conforming writer may emit (several blocks per array, negative block counts), with path errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import avro from 'avsc';
import { SNAPSHOT_KINDS } from '../../../src/domain/snapshot.js';
import type { ColumnarSnapshot } from '../../../src/domain/strikeColumns.js';
import {
  ColumnarFormatError,
  columnarSnapshotType,
  createEnvelopeEncoder,
  decodeEnvelopeWith,
  decodeSnapshot,
  encodeSnapshot,
  envelopeLayout,
  readSnapshotHead,
  scanSnapshot,
  v2Wire,
} from '../../../src/registry/columnarSnapshot.js';
import type { Registry } from '../../../src/registry/registry.js';
import { avroType, loadSchemas, schemaJson } from '../../../src/registry/schemas.js';
import { frame } from '../../../src/registry/wire.js';
import { schemasDir } from '../../../src/resources.js';
import { avscColumnar, sampleColumnar, sampleColumns } from '../../support/samples.js';

const test = suite('columnar snapshot (v2 wire)');

/** avsc decodes records as class instances: plain objects to compare them (NaN kept). */
const plain = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(plain) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;
const set = loadSchemas(schemasDir);
const snapshotType = avroType(schemaJson(set, 'io.gexstream.v2.ColumnarSnapshot'));

/** Every sample: each kind with 5 and 100 strikes, none, and a column whose every cell is NaN. */
const samples = (): Array<[string, ColumnarSnapshot]> => [
  ...SNAPSHOT_KINDS.flatMap((k): Array<[string, ColumnarSnapshot]> => [[`${k} x5`, sampleColumnar(k)], [`${k} x100`, sampleColumnar(k, 100)]]),
  ['zero strikes', { ...sampleColumnar('gexbot_classic'), strikes: sampleColumns(0, ['gex_vol']) }],
  ['all-NaN column, priors', (() => {
    const s = sampleColumnar('gexbot_classic', 9);
    return { ...s, strikes: { ...s.strikes, columns: { ...s.strikes.columns, gamma: new Float64Array(9).fill(NaN) } } };
  })()],
  ['non-ASCII ticker and long extras', { ...sampleColumnar('gexbot_state'), ticker: 'ÉTF', extras_json: JSON.stringify({ note: 'x'.repeat(300) }) }],
];

test('encodes the bytes avsc writes, for every kind, null columns, NaN cells, priors and zero strikes', () => {
  for (const [name, s] of samples()) {
    const mine = encodeSnapshot(s);
    const theirs = snapshotType.toBuffer(avscColumnar(s));
    assert.ok(mine.equals(theirs), `${name}: ${mine.length} vs avsc ${theirs.length} bytes`);
  }
});

test('decodes its own bytes and avsc\'s back to the same columns', () => {
  for (const [name, s] of samples()) {
    const bytes = snapshotType.toBuffer(avscColumnar(s));
    const { snapshot, end } = decodeSnapshot(bytes);
    assert.is(end, bytes.length, name);
    assert.ok(snapshot.strikes.strike instanceof Float64Array, name);
    assert.equal(avscColumnar(snapshot), avscColumnar(s), name);
    assert.equal(avscColumnar(snapshot), plain(snapshotType.fromBuffer(bytes)), `${name}: as avsc decodes it`);
  }
});

test('the head and the scan read ticker, kind, time, strike count, order and quality without the columns', () => {
  for (const [name, s] of samples()) {
    const bytes = Buffer.concat([Buffer.from([1, 2, 3]), encodeSnapshot(s), Buffer.from([9])]);
    const head = readSnapshotHead(bytes, 3);
    assert.equal([head.ticker, head.kind, head.category, head.dataType, head.timestampMs], [s.ticker, s.kind, s.category, s.data_type, s.timestamp_ms], name);
    const scan = scanSnapshot(bytes, 3);
    assert.is(scan.count, s.strikes.count, name);
    assert.is(scan.end, bytes.length - 1, name);
    assert.is(scan.ascending, true, name);
    assert.is(scan.qualityScore, s.derived?.quality_score ?? null, name);
  }
  const s = sampleColumnar('gexbot_classic', 4);
  const strike = Float64Array.from([10, 20, 20, 30]);
  assert.is(scanSnapshot(encodeSnapshot({ ...s, strikes: { ...s.strikes, strike } })).ascending, false, 'a repeated strike is out of order');
  assert.is(scanSnapshot(encodeSnapshot({ ...s, strikes: { ...s.strikes, strike: Float64Array.from([10, 30, 20, 40]) } })).ascending, false);
});

// A conforming writer other than avsc (Java's, for one) may split arrays and maps into blocks, and give a block's
// count negated followed by its size in bytes. This writes any value of an avsc type that way: blocks of two items,
// every other block negative.
const long = avro.Type.forSchema('long');
const blocky = (type: avro.Type, value: unknown): Buffer => {
  const t = type as unknown as { typeName: string; fields?: Array<{ name: string; type: avro.Type }>; types?: avro.Type[]; itemsType?: avro.Type; valuesType?: avro.Type };
  switch (t.typeName) {
    case 'record':
      return Buffer.concat((t.fields ?? []).map((f) => blocky(f.type, (value as Record<string, unknown>)[f.name])));
    case 'union:unwrapped': {
      const types = t.types ?? [];
      const i = value === null ? 0 : 1;
      return Buffer.concat([long.toBuffer(i), blocky(types[i] as avro.Type, value)]);
    }
    case 'array':
    case 'map': {
      const entries: Buffer[] = t.typeName === 'array'
        ? (value as unknown[]).map((v) => blocky(t.itemsType as avro.Type, v))
        : Object.entries(value as Record<string, unknown>).map(([k, v]) => Buffer.concat([avro.Type.forSchema('string').toBuffer(k), blocky(t.valuesType as avro.Type, v)]));
      const out: Buffer[] = [];
      for (let k = 0, b = 0; k < entries.length; k += 2, b++) {
        const chunk = entries.slice(k, k + 2);
        const body = Buffer.concat(chunk);
        out.push(b % 2 === 1 ? Buffer.concat([long.toBuffer(-chunk.length), long.toBuffer(body.length)]) : long.toBuffer(chunk.length), body);
      }
      out.push(long.toBuffer(0));
      return Buffer.concat(out);
    }
    default:
      return type.toBuffer(value);
  }
};

test('reads arrays and maps written in several blocks, some with negative counts and byte sizes', () => {
  for (const [name, s] of samples()) {
    const bytes = blocky(snapshotType, avscColumnar(s));
    if (s.strikes.count > 2) assert.ok(bytes.length > encodeSnapshot(s).length, `${name}: written in blocks`);
    assert.equal(avscColumnar(decodeSnapshot(bytes).snapshot), avscColumnar(s), name);
    assert.equal(plain(snapshotType.fromBuffer(bytes)), avscColumnar(s), `${name}: avsc agrees these bytes are the same value`);
    const scan = scanSnapshot(bytes);
    assert.equal([scan.count, scan.end, scan.ascending], [s.strikes.count, bytes.length, true], name);
  }
});

const failsAt = (f: () => unknown, path: string): void => {
  try {
    f();
    assert.unreachable(`expected an error at ${path}`);
  } catch (err) {
    assert.instance(err, ColumnarFormatError);
    assert.is((err as ColumnarFormatError).path, path, (err as Error).message);
  }
};

test('malformed bytes fail with the path of the field, never a huge allocation', () => {
  const s = sampleColumnar('gexbot_classic', 20);
  const bytes = encodeSnapshot(s);
  // truncated anywhere: an error (a path), never a value
  for (let n = 0; n < bytes.length; n += 7) {
    assert.throws(() => decodeSnapshot(bytes.subarray(0, n)), (e: unknown) => e instanceof ColumnarFormatError, `decode cut at ${n}`);
    assert.throws(() => scanSnapshot(bytes.subarray(0, n)), (e: unknown) => e instanceof ColumnarFormatError, `scan cut at ${n}`);
  }
  failsAt(() => decodeSnapshot(Buffer.from([0x06, 0x53, 0x50])), 'snapshot.ticker');
  // a column shorter than strike
  const short = snapshotType.toBuffer({ ...avscColumnar(s), strikes: { ...(avscColumnar(s)['strikes'] as object), gex_oi: [1, 2] } });
  failsAt(() => decodeSnapshot(short), 'snapshot.strikes.gex_oi');
  failsAt(() => scanSnapshot(short), 'snapshot.strikes.gex_oi');
  // priors_ends that do not end at the priors' count
  const ends = snapshotType.toBuffer({ ...avscColumnar(s), strikes: { ...(avscColumnar(s)['strikes'] as object), priors_ends: Array.from({ length: 20 }, () => 0) } });
  failsAt(() => decodeSnapshot(ends), 'snapshot.strikes.priors_ends');
  // a count of 2^40 doubles in a small message
  const huge = Buffer.concat([readHeadPrefix(s), long.toBuffer(2 ** 40)]);
  failsAt(() => decodeSnapshot(huge), 'snapshot.strikes.strike');
  // a union branch that does not exist
  failsAt(() => decodeSnapshot(Buffer.concat([avro.Type.forSchema('string').toBuffer('SPX'), avro.Type.forSchema('string').toBuffer('k'), long.toBuffer(5)])), 'snapshot.category');
});

/** The bytes of `s` up to its strikes (every field before `strikes`), as avsc writes them. */
const readHeadPrefix = (s: ColumnarSnapshot): Buffer => {
  const t = snapshotType as unknown as { fields: Array<{ name: string; type: avro.Type }> };
  const v = avscColumnar(s);
  const out: Buffer[] = [];
  for (const f of t.fields) {
    if (f.name === 'strikes') break;
    out.push(f.type.toBuffer(v[f.name]));
  }
  return Buffer.concat(out);
};

const envelope = {
  request_id: 'req-1',
  level: 'critical',
  score: 0.91,
  components: { market_impact: 0.5, freshness: 1, source_reliability: 0.9, urgency: 0.25 },
  matched_rules: ['desk-spx', 'fresh'],
  rule_set_version: 7,
  overridden: false,
  source: 'gexbot',
  raw: { topic: 'gex.raw.v1', partition: 2, offset: 123456789 },
  lineage: { file: 'history.json', sha256: 'ab'.repeat(32), index: 4, batch: null },
  headers: { 'gex-source': 'gexbot', 'gex-request-id': 'req-1' },
  published_at_ms: 1777492800000,
  received_at_ms: 1777492800001,
  prioritized_at_ms: 1777492800002,
};
const processedEnvelope = {
  request_id: 'req-1', job_id: 'job-1', level: 'high', score: 0.5, source: 'gexbot', lineage: null, published_at_ms: 1777492800000,
  prioritized_at_ms: 1777492800002, processed_at_ms: 1777492800009, quality_score: 0.97, components: null, matched_rules: [], rule_set_version: 3,
};

test('v2 envelopes: avsc\'s bytes; the prefix decodes to the offset where the snapshot\'s bytes begin, which copy as they are', () => {
  for (const [name, env, full] of [['prioritized', envelope, 'io.gexstream.v2.PrioritizedSnapshot'], ['processed', processedEnvelope, 'io.gexstream.v2.ProcessedSnapshot']] as const) {
    const schema = schemaJson(set, full);
    const enc = createEnvelopeEncoder<Record<string, unknown>>(77, schema, 64); // a tiny scratch: it grows
    const type = avroType(schema);
    for (const [sname, s] of samples()) {
      const bytes = enc.encode(env, s);
      assert.ok(bytes.equals(frame(77, type.toBuffer({ ...env, snapshot: avscColumnar(s) }))), `${name} ${sname}`);
      const head = decodeEnvelopeWith<Record<string, unknown>>(envelopeLayout(schema), 77, bytes);
      assert.equal(plain(head.envelope), env, `${name} ${sname}`);
      assert.equal(avscColumnar(decodeSnapshot(bytes, head.snapshotAt).snapshot), avscColumnar(s), `${name} ${sname}`);
      assert.ok(enc.encodeWithSnapshotBytes(env, bytes.subarray(head.snapshotAt)).equals(bytes), `${name} ${sname}: copied`);
    }
  }
});

test('the layout check: v2 envelopes are known, the v1 ones (a snapshot of rows) are not', () => {
  assert.ok(envelopeLayout(schemaJson(set, 'io.gexstream.v2.PrioritizedSnapshot')).known);
  assert.ok(envelopeLayout(schemaJson(set, 'io.gexstream.v2.ProcessedSnapshot')).known);
  assert.not.ok(envelopeLayout(schemaJson(set, 'io.gexstream.ProcessedSnapshot')).known);
  assert.throws(() => createEnvelopeEncoder(1, schemaJson(set, 'io.gexstream.PrioritizedSnapshot')), /not a v2 envelope/);
  assert.ok(columnarSnapshotType().equals(snapshotType));
});

test('a writer with another version of the schema (a column added, a field after the snapshot): resolved to the shipped one and re-laid, a v1 writer refused', async () => {
  const shipped = schemaJson(set, 'io.gexstream.v2.ProcessedSnapshot') as { fields: Array<Record<string, unknown>> };
  const withColumn = JSON.parse(JSON.stringify(shipped)) as { fields: Array<Record<string, unknown>> };
  const snapField = withColumn.fields.find((f) => f['name'] === 'snapshot') as { type: { fields: Array<{ name: string; type: { fields: unknown[] } }> } };
  snapField.type.fields.find((f) => f.name === 'strikes')?.type.fields.push({ name: 'oi_change', type: ['null', { type: 'array', items: 'double' }], default: null });
  withColumn.fields.push({ name: 'trailing_note', type: 'string', default: '' });
  const types = new Map<number, avro.Type>([[5, avroType(withColumn as never)], [6, avroType(schemaJson(set, 'io.gexstream.ProcessedSnapshot'))]]);
  const wire = v2Wire({ typeById: async (id: number) => types.get(id) } as unknown as Registry);
  for (const [name, s] of samples()) {
    const v = avscColumnar(s);
    const written = frame(5, (types.get(5) as avro.Type).toBuffer({ ...processedEnvelope, trailing_note: 'x', snapshot: { ...v, strikes: { ...(v['strikes'] as object), oi_change: [1] } } }));
    const head = await wire.decodeEnvelope<Record<string, unknown>>(written);
    assert.equal(plain(head.envelope), processedEnvelope, name);
    assert.equal(avscColumnar(decodeSnapshot(head.bytes, head.snapshotAt).snapshot), avscColumnar(s), name);
    assert.is(scanSnapshot(head.bytes, head.snapshotAt).end, head.bytes.length, name);
  }
  const v1 = frame(6, (types.get(6) as avro.Type).toBuffer({ ...processedEnvelope, snapshot: { ...avscColumnar(sampleColumnar('gexbot_majors')), strikes: [] } }));
  try {
    await wire.decodeEnvelope(v1);
    assert.unreachable('a v1 record is not read as v2');
  } catch (err) {
    assert.instance(err, ColumnarFormatError);
    assert.match((err as Error).message, 'io.gexstream.ProcessedSnapshot');
  }
});

test.run();
