// Benchmarks the v2 wire (hand-rolled columnar codec) against avsc on today's v1 records, on W-day snapshots (100-strike
// GEXBot classic, as bench/support's wdayFile generates them), in the same run: encode and decode us per snapshot, the
// processor's hop (v1: decode and re-encode the whole record; v2: envelope, walk, copy the snapshot's bytes), and bytes.
// No broker: codec CPU only. Usage: node dist/bench/wire.js [snapshots=2000]
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeValue } from '../src/domain/decode.js';
import { generatePayloads } from '../src/domain/generator.js';
import { prioritizedSnapshot, type PrioritizedSnapshot } from '../src/domain/prioritized.js';
import { processedEnvelope, processedSnapshot } from '../src/domain/processed.js';
import type { ColumnarSnapshot } from '../src/domain/strikeColumns.js';
import { withRowSnapshot, type PrioritizedSnapshotV1, type ProcessedSnapshotV1 } from '../src/domain/v1Strikes.js';
import { createEnvelopeEncoder, decodeEnvelopeWith, decodeSnapshot, envelopeLayout, scanSnapshot } from '../src/registry/columnarSnapshot.js';
import { avroType, loadSchemas, schemaJson } from '../src/registry/schemas.js';
import { createFramer } from '../src/registry/wire.js';
import { schemasDir } from '../src/resources.js';

const N = Number(process.argv[2] ?? 2000);
const RUNS = 3;

const set = loadSchemas(schemasDir);
const v1Type = avroType(schemaJson(set, 'io.gexstream.PrioritizedSnapshot'));
const v1Processed = avroType(schemaJson(set, 'io.gexstream.ProcessedSnapshot'));
const v2Schema = schemaJson(set, 'io.gexstream.v2.PrioritizedSnapshot');
const v2ProcessedSchema = schemaJson(set, 'io.gexstream.v2.ProcessedSnapshot');

// W-day snapshots as the prioritizer has them after decoding and deciding
const values: PrioritizedSnapshot[] = [];
for (const payload of generatePayloads({ seed: 1, tickers: ['SPX'], count: N, strikes: 100 })) {
  const d = decodeValue(payload, { dataType: 'real_time' }, { nowMs: Date.UTC(2030, 0, 1), maxSkewMs: 0, maxBytes: 1e7 });
  if (isLeft(d)) throw new Error('bad W-day snapshot');
  const at = d.right.timestamp_ms;
  values.push(prioritizedSnapshot({
    snapshot: d.right,
    decision: { level: 'high', score: 0.7, components: { market_impact: 0.5, freshness: 1, source_reliability: 0.9, urgency: 0.2 }, matched_rules: ['desk-spx'], rule_set_version: 3, overridden: false, level_rule: null, errors: [] },
    requestId: `wday-${values.length}`,
    source: 'gexbot',
    headers: { 'gex-source': 'gexbot', 'gex-data-type': 'real_time' },
    origin: { topic: 'gex.raw.v1', partition: 0, offset: values.length },
    publishedAtMs: at,
    receivedAtMs: at + 1,
    prioritizedAtMs: at + 2,
  }));
}
// the decoder hands over columns (v2); the v1 records carry the same strikes as rows
const columnar: ColumnarSnapshot[] = values.map((v) => v.snapshot);
const v1Values = values.map((v) => withRowSnapshot(v));

const v1Encode = createFramer<PrioritizedSnapshotV1>(1, v1Type);
const v2Enc = createEnvelopeEncoder<PrioritizedSnapshot>(1, v2Schema);
const v2Layout = envelopeLayout(v2Schema);
const v2ProcessedEnc = createEnvelopeEncoder<ReturnType<typeof processedEnvelope>>(2, v2ProcessedSchema);
const v1ProcessedEncode = createFramer<ProcessedSnapshotV1>(2, v1Processed);

const v1Bytes = v1Values.map((v) => v1Type.toBuffer(v));
const v2Framed = values.map((v, i) => v2Enc.encode(v, columnar[i] as ColumnarSnapshot));

let sink = 0;
const cases: Array<[string, () => void]> = [
  ['v1 avsc toBuffer (PrioritizedSnapshot)', () => { for (const v of v1Values) sink += v1Type.toBuffer(v).length; }],
  ['v1 avsc encode once into a kept scratch (createFramer)', () => { for (const v of v1Values) sink += v1Encode(v).length; }],
  ['v2 encode (envelope + columns, framed)', () => { for (let i = 0; i < N; i++) sink += v2Enc.encode(values[i] as PrioritizedSnapshot, columnar[i] as ColumnarSnapshot).length; }],
  ['v1 avsc fromBuffer (PrioritizedSnapshot)', () => { for (const b of v1Bytes) sink += (v1Type.fromBuffer(b) as PrioritizedSnapshotV1).snapshot.strikes.length; }],
  ['v2 decode (envelope + columns)', () => {
    for (const b of v2Framed) {
      const head = decodeEnvelopeWith<PrioritizedSnapshot>(v2Layout, 1, b);
      sink += decodeSnapshot(b, head.snapshotAt).snapshot.strikes.count;
    }
  }],
  ['v1 processor hop (fromBuffer + encode Processed)', () => {
    for (const b of v1Bytes) {
      const p = v1Type.fromBuffer(b) as PrioritizedSnapshotV1;
      sink += v1ProcessedEncode({ ...processedSnapshot(p as never, p.snapshot as never, 0), snapshot: p.snapshot }).length;
    }
  }],
  ['v2 processor hop (envelope, walk, copy bytes)', () => {
    for (const b of v2Framed) {
      const head = decodeEnvelopeWith<PrioritizedSnapshot>(v2Layout, 1, b);
      const scan = scanSnapshot(b, head.snapshotAt);
      sink += v2ProcessedEnc.encodeWithSnapshotBytes(processedEnvelope(head.envelope, scan.qualityScore ?? 0, 0), b.subarray(head.snapshotAt, scan.end)).length;
    }
  }],
];

// runs interleaved (every case once per round, 3 rounds): a busy machine slows all cases of a round alike
const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (const [, fn] of cases) fn(); // warm-up
for (let round = 0; round < RUNS; round++)
  for (const [name, fn] of cases) {
    const t0 = process.hrtime.bigint();
    fn();
    times.get(name)?.push(Number(process.hrtime.bigint() - t0) / 1e3 / N);
  }
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const avg = (xs: Buffer[]): number => xs.reduce((a, b) => a + b.length, 0) / xs.length;
console.log(`${N} W-day snapshots (GEXBot classic x 100 strikes), median of ${RUNS} interleaved rounds, codec CPU only`);
const got = new Map<string, number>();
for (const [name] of cases) {
  const us = median(times.get(name) ?? []);
  got.set(name, us);
  console.log(`  ${name.padEnd(52)} ${us.toFixed(1).padStart(7)} us/snapshot`);
}
const r = (a: string, b: string): string => ((got.get(a) as number) / (got.get(b) as number)).toFixed(1);
console.log(`  encode: avsc toBuffer / v2 ${r('v1 avsc toBuffer (PrioritizedSnapshot)', 'v2 encode (envelope + columns, framed)')}x; decode: avsc fromBuffer / v2 ${r('v1 avsc fromBuffer (PrioritizedSnapshot)', 'v2 decode (envelope + columns)')}x; processor hop v1 / v2 ${r('v1 processor hop (fromBuffer + encode Processed)', 'v2 processor hop (envelope, walk, copy bytes)')}x`);
const v2Processed = v2Framed.map((b) => {
  const head = decodeEnvelopeWith<PrioritizedSnapshot>(v2Layout, 1, b);
  return v2ProcessedEnc.encodeWithSnapshotBytes(processedEnvelope(head.envelope, 0, 0), b.subarray(head.snapshotAt));
});
const v1ProcessedBytes = values.map((v) => v1ProcessedEncode(withRowSnapshot(processedSnapshot(v, v.snapshot, 0))));
console.log(`  message size, PrioritizedSnapshot: v1 ${avg(v1Bytes).toFixed(0)} B, v2 ${avg(v2Framed).toFixed(0)} B (${(avg(v1Bytes) / avg(v2Framed)).toFixed(2)}x smaller); ProcessedSnapshot: v1 ${avg(v1ProcessedBytes).toFixed(0)} B, v2 ${avg(v2Processed).toFixed(0)} B`);
if (sink === 42) console.log('');
