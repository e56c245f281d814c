// Shared test support for the domain suites: fixed clock, fixture loading, the Avro contract check.
import avro from 'avsc';
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import type { Either } from 'fp-ts/lib/Either.js';
import type { DecodeOptions } from '../../../src/domain/decode.js';
import { formatPathError, type PathError } from '../../../src/domain/errors.js';
import type { CanonicalSnapshot, Strike } from '../../../src/domain/snapshot.js';
import { STRIKE_COLUMNS, strikeRows } from '../../../src/domain/strikeColumns.js';
import { toRowSnapshot } from '../../../src/domain/v1Strikes.js';

/** Compiled tests live in dist/tests/unit/domain; the repository root is four levels up. */
const repo = new URL('../../../../', import.meta.url);

/** 2026-04-30T00:00:00Z: four hours after the fixture's snapshot, long after the generator's default day. */
export const NOW_MS = Date.UTC(2026, 3, 30);
export const OPTS: DecodeOptions = { nowMs: NOW_MS, maxSkewMs: 5_000, maxBytes: 1024 * 1024 };

export const fixtureText = (): string => readFileSync(new URL('fixtures/gexbot-classic-spx.json', repo), 'utf8') // the repo's copy of ../shared/fixtures;
export const fixture = (): Record<string, unknown> => JSON.parse(fixtureText()) as Record<string, unknown>;

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

const typeOf = (path: string): avro.Type => avro.Type.forSchema(JSON.parse(readFileSync(new URL(path, repo), 'utf8')) as avro.Schema);
const canonicalType = typeOf('schemas/types/io.gexstream.CanonicalSnapshot.avsc');
const columnarType = typeOf('schemas/types/io.gexstream.v2.ColumnarSnapshot.avsc');

/** The snapshot as an avsc value of io.gexstream.v2.ColumnarSnapshot (plain arrays for the typed ones). */
export const columnarValue = (s: CanonicalSnapshot): Record<string, unknown> => {
  const k = s.strikes;
  const strikes: Record<string, unknown> = { strike: Array.from(k.strike) };
  for (const c of STRIKE_COLUMNS) strikes[c] = k.columns[c] === null ? null : Array.from(k.columns[c]);
  strikes['priors_values'] = Array.from(k.priorsValues);
  strikes['priors_ends'] = k.priorsEnds === null ? [] : Array.from(k.priorsEnds);
  return { ...s, strikes };
};

const roundTrips = (type: avro.Type, v: unknown): void => {
  const bad: string[] = [];
  const ok = type.isValid(v, { errorHook: (path) => bad.push(path.join('.')) });
  assert.ok(ok, `not valid for the Avro schema ${type.name ?? ''} at: ${bad.join(', ')}`);
  // avsc decodes records into generated classes: compare plain JSON forms.
  const back: unknown = type.fromBuffer(type.toBuffer(v));
  assert.equal(JSON.parse(JSON.stringify(back)), JSON.parse(JSON.stringify(v)));
};

/** The snapshot must be encodable by avsc with the v2 columnar schema and (as rows) the v1 one, and survive both round trips. */
export const assertAvro = (s: CanonicalSnapshot): void => {
  roundTrips(columnarType, columnarValue(s));
  roundTrips(canonicalType, toRowSnapshot(s));
};

/** The strike rows of a snapshot (tests compare rows; the snapshot holds columns). */
export const rowsOf = (s: CanonicalSnapshot): Strike[] => strikeRows(s.strikes);

export const expectRight = (r: Either<PathError[], CanonicalSnapshot>): CanonicalSnapshot => {
  if (r._tag === 'Left') assert.unreachable(`expected a snapshot, got errors: ${r.left.map(formatPathError).join('; ')}`);
  return (r as { right: CanonicalSnapshot }).right;
};

export const expectLeft = (r: Either<PathError[], CanonicalSnapshot>): PathError[] => {
  if (r._tag === 'Right') assert.unreachable('expected errors, got a snapshot');
  return (r as { left: PathError[] }).left;
};

export const closeTo = (actual: number | null | undefined, expected: number, relative = 1e-9, what = ''): void => {
  assert.type(actual, 'number', `${what}: expected a number`);
  const a = actual as number;
  const ok = Math.abs(a - expected) <= relative * Math.max(1, Math.abs(expected));
  assert.ok(ok, `${what}: expected ${expected}, got ${a}`);
};
