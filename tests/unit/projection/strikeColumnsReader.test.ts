// The projector's processed v2 reader: the envelope and snapshot fields as avsc decodes them, the strike columns found in
// place (one block or several, negative block counts included), NaN cells NULL, absent columns NULL, priors per row;
// into chunks, the same stored rows as the wide rows of the pure fold; malformed columns named by path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { roundWrite } from '../../../src/domain/projection/round.js';
import { strikeRowsOf } from '../../../src/domain/projection/rows.js';
import { chunkRows, CHUNK_ROWS, snapKey, STRIKE_DOUBLES } from '../../../src/domain/projection/strikeColumns.js';
import { readStrikeColumns, strikeRowsOfView, StrikeColumnsError, type ProcessedColumnar } from '../../../src/domain/projection/strikeColumnsReader.js';
import type { ProcessedSnapshotV1 as ProcessedSnapshot } from '../../../src/domain/v1Strikes.js';
import { blankStrike, type Strike } from '../../../src/domain/snapshot.js';
import { STRIKE_COLUMNS } from '../../../src/domain/strikeColumns.js';
import { createProcessedDecoder } from '../../../src/registry/processedReader.js';
import { avroType, loadSchemas, schemaJson } from '../../../src/registry/schemas.js';
import { schemasDir } from '../../../src/resources.js';
import { PROCESSED_V2_SCHEMA, processedV2Value } from '../../support/processedV2.js';
import { processed, snapshot } from './fixtures.js';

const schemas = loadSchemas(schemasDir);
const v2 = schemaJson(schemas, PROCESSED_V2_SCHEMA);
const v2Type = avroType(v2);

const withStrikes = (strikes: Strike[], id = 'req-1'): ProcessedSnapshot => ({ ...processed(id), snapshot: { ...snapshot(), strikes } });

const wideToStored = (rows: ReturnType<typeof strikeRowsOf>) =>
  rows.map((r) => ({ snap: snapKey(r['src_partition'] as number, r['src_offset'] as number), ...Object.fromEntries(STRIKE_DOUBLES.map((c) => [c, r[c] ?? null])), priors: r['priors'] }));

const mixed = (): Strike[] => {
  const full = { ...blankStrike(6000), priors: [1.5, -2] } as Record<string, unknown>;
  STRIKE_COLUMNS.forEach((c, j) => (full[c] = j + 0.5));
  return [full as unknown as Strike, { ...blankStrike(6005), gex_vol: -3, priors: [] }, ...snapshot().strikes];
};

test('a v2 message decodes to what avsc decodes, strikes found in place', () => {
  const p = withStrikes(mixed());
  const body = v2Type.toBuffer(processedV2Value(p));
  const got = createProcessedDecoder(v2)(body);
  const whole = v2Type.fromBuffer(body) as { snapshot: Record<string, unknown> } & Record<string, unknown>;
  const { snapshot: s, ...envelope } = whole;
  const { strikes: _s, ...scalars } = s;
  const { snapshot: gs, ...genvelope } = got;
  const { strikes: gstrikes, ...gscalars } = gs;
  assert.equal(JSON.parse(JSON.stringify(genvelope)), JSON.parse(JSON.stringify(envelope)));
  assert.equal(JSON.parse(JSON.stringify(gscalars)), JSON.parse(JSON.stringify(scalars)));
  assert.equal(strikeRowsOfView(gstrikes), p.snapshot.strikes);
  assert.is(gstrikes.columns.filter((c) => c !== null).length, STRIKE_COLUMNS.length, 'every column one strike has is present');
  // absent columns: a snapshot of the fixture only has gex_vol and gex_oi
  const few = createProcessedDecoder(v2)(v2Type.toBuffer(processedV2Value(processed())));
  assert.equal(
    STRIKE_COLUMNS.filter((_, j) => few.snapshot.strikes.columns[j] !== null),
    ['gex_vol', 'gex_oi'],
  );
});

test('into chunks: the stored rows are the wide rows of the pure fold, NULLs and priors included, across a chunk boundary', () => {
  const many = Array.from({ length: CHUNK_ROWS + 10 }, (_, i) => ({ ...blankStrike(1000 + i), gex_vol: i % 3 === 0 ? null : i, net_gex: i % 7 === 0 ? null : -i, priors: i % 5 === 0 ? [i, i + 0.5] : [] }));
  for (const strikes of [mixed(), many]) {
    const p = withStrikes(strikes);
    const view = createProcessedDecoder(v2)(v2Type.toBuffer(processedV2Value(p)));
    const at = { partition: 2, offset: 77 };
    // a snapshot before it fills part of the first chunk, so this one starts mid-chunk
    const before = withStrikes(many.slice(0, 100), 'req-0');
    const w = roundWrite([
      { kind: 'processed', value: before, at: { partition: 0, offset: 1 } },
      { kind: 'processed', value: view, at },
    ]);
    const rows = w.strikes.flatMap(chunkRows);
    assert.equal(rows.slice(100), wideToStored(strikeRowsOf(p, at)));
    assert.equal(rows.slice(0, 100), wideToStored(strikeRowsOf(before, { partition: 0, offset: 1 })));
    assert.is(w.rows.gex_snapshots[1]?.['strike_count'], strikes.length);
  }
});

/** Avro binary by hand: zig-zag varints and double blocks, to write what avsc never does (several blocks, negative counts). */
const long = (n: number): number[] => {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 128) {
    out.push((z % 128) | 128);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return out;
};
const dbl = (x: number): number[] => [...new Uint8Array(Float64Array.of(x).buffer)];
/** An array in blocks of the given sizes; a negative size writes the block with a negative count and its byte size. */
const blocks = (xs: readonly number[], sizes: readonly number[], item: (x: number) => number[]): number[] => {
  const out: number[] = [];
  let i = 0;
  for (const s of sizes) {
    const n = Math.abs(s);
    const body = xs.slice(i, i + n).flatMap(item);
    out.push(...(s < 0 ? [...long(-n), ...long(body.length)] : long(n)), ...body);
    i += n;
  }
  return [...out, 0];
};

test('arrays in several blocks and with negative block counts (as Java writers emit) read the same', () => {
  const strike = [10, 20, 30];
  const gex = [1, NaN, 3];
  const priors = [0.5, 0.25, 7];
  const bytes = [
    ...blocks(strike, [1, -2], dbl),
    ...STRIKE_COLUMNS.flatMap((c) => (c === 'gex_vol' ? [...long(1), ...blocks(gex, [-3], dbl)] : long(0))),
    ...blocks(priors, [-1, 2], dbl),
    ...blocks([2, 2, 3], [-2, 1], long),
  ];
  const buf = Uint8Array.from([9, 9, ...bytes, 42]);
  const { view, end } = readStrikeColumns(buf, 2);
  assert.is(end, buf.length - 1, 'stops where StrikeColumns ends');
  const rows = strikeRowsOfView(view);
  assert.equal(rows.map((r) => [r.strike, r.gex_vol, r.gex_oi, r.priors]), [
    [10, 1, null, [0.5, 0.25]],
    [20, null, null, []],
    [30, 3, null, [7]],
  ]);
});

test('malformed strike columns are refused with the path of the field', () => {
  const p = withStrikes(mixed());
  const value = processedV2Value(p) as { snapshot: { strikes: Record<string, unknown> } };
  const bad = (edit: (s: Record<string, unknown>) => void): Error => {
    const v = structuredClone(value);
    edit(v.snapshot.strikes);
    try {
      createProcessedDecoder(v2)(v2Type.toBuffer(v));
    } catch (err) {
      return err as Error;
    }
    throw new Error('not refused');
  };
  const short = bad((s) => (s['gamma'] = [1]));
  assert.instance(short, StrikeColumnsError);
  assert.is((short as StrikeColumnsError).path, 'snapshot.strikes.gamma');
  assert.match(short.message, '1 values for 5 strikes');
  assert.is((bad((s) => (s['priors_ends'] = [2, 1, 3, 3, 3])) as StrikeColumnsError).path, 'snapshot.strikes.priors_ends[1]');
  assert.is((bad((s) => (s['priors_ends'] = [])) as StrikeColumnsError).path, 'snapshot.strikes.priors_ends');
  const body = v2Type.toBuffer(value);
  assert.throws(() => createProcessedDecoder(v2)(body.subarray(0, body.length - 20)));
});

test('a v1 record (strike rows) still decodes, through avsc whole', () => {
  const v1 = schemaJson(schemas, 'io.gexstream.ProcessedSnapshot');
  const p = withStrikes(mixed());
  const got: ProcessedColumnar = createProcessedDecoder(v1)(avroType(v1).toBuffer(p));
  assert.equal(strikeRowsOfView(got.snapshot.strikes), p.snapshot.strikes);
  assert.is(got.request_id, p.request_id);
});

test.run();
