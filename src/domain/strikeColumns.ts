// Owns a snapshot's strikes as columns (pure): the in-memory twin of io.gexstream.v2.StrikeColumns, one Float64Array per
// column, so that no hop builds an object per strike. A column the input shape does not carry is null; a cell the input
// left empty inside a present column is NaN (JSON cannot carry NaN, so NaN always means null).
import type { CanonicalSnapshot, Strike } from './snapshot.js';

/** The nullable double columns, in the schema's order (after `strike`, before the priors). */
export const STRIKE_COLUMNS = [
  'gex_vol',
  'gex_oi',
  'call_oi',
  'put_oi',
  'call_volume',
  'put_volume',
  'call_bid',
  'call_ask',
  'put_bid',
  'put_ask',
  'gamma',
  'delta',
  'theta',
  'vega',
  'call_ivol',
  'put_ivol',
  'value',
  'extra_x',
  'extra_y',
  'call_gex',
  'put_gex',
  'net_gex',
] as const;
export type StrikeColumnName = (typeof STRIKE_COLUMNS)[number];

export interface StrikeColumns {
  /** Rows: the length of `strike` and of every present column. */
  readonly count: number;
  readonly strike: Float64Array;
  readonly columns: { readonly [K in StrikeColumnName]: Float64Array | null };
  /** Every row's priors, row after row. */
  readonly priorsValues: Float64Array;
  /** End (exclusive) of each row's priors in priorsValues; null when no row has priors. */
  readonly priorsEnds: Int32Array | null;
}

const cell = (col: Float64Array | null, i: number): number | null => {
  if (col === null) return null;
  const v = col[i]!;
  return Number.isNaN(v) ? null : v;
};

/** Row i as a Strike object: for tests, the API's row views and other cold paths only. */
export const strikeAt = (s: StrikeColumns, i: number): Strike => {
  const row = { strike: s.strike[i]!, priors: priorsAt(s, i) } as Record<string, unknown>;
  for (const c of STRIKE_COLUMNS) row[c] = cell(s.columns[c], i);
  return row as unknown as Strike;
};

export const priorsAt = (s: StrikeColumns, i: number): number[] => {
  if (s.priorsEnds === null) return [];
  const from = i === 0 ? 0 : s.priorsEnds[i - 1]!;
  return Array.from(s.priorsValues.subarray(from, s.priorsEnds[i]!));
};

/** Every row as a Strike object (cold paths only). */
export const strikeRows = (s: StrikeColumns): Strike[] => Array.from({ length: s.count }, (_, i) => strikeAt(s, i));

/** Strike objects to columns: a column is present when any row has a value in it. */
export const columnsOfRows = (rows: readonly Strike[]): StrikeColumns => {
  const count = rows.length;
  const strike = new Float64Array(count);
  const columns = {} as { [K in StrikeColumnName]: Float64Array | null };
  for (const c of STRIKE_COLUMNS) {
    let present = false;
    for (const r of rows) if (r[c] !== null && r[c] !== undefined) { present = true; break; }
    if (!present) { columns[c] = null; continue; }
    const col = new Float64Array(count);
    for (let i = 0; i < count; i++) { const v = rows[i]![c]; col[i] = v === null || v === undefined ? NaN : v; }
    columns[c] = col;
  }
  let priorCount = 0;
  for (let i = 0; i < count; i++) { strike[i] = rows[i]!.strike; priorCount += rows[i]!.priors.length; }
  const priorsValues = new Float64Array(priorCount);
  let priorsEnds: Int32Array | null = null;
  if (priorCount > 0) {
    priorsEnds = new Int32Array(count);
    let at = 0;
    for (let i = 0; i < count; i++) { priorsValues.set(rows[i]!.priors, at); at += rows[i]!.priors.length; priorsEnds[i] = at; }
  }
  return { count, strike, columns, priorsValues, priorsEnds };
};

/** A canonical snapshot (its strikes are columns): the value of io.gexstream.v2.ColumnarSnapshot. */
export type ColumnarSnapshot = CanonicalSnapshot;

/**
 * Column storage is carved from shared 64 KiB slabs: one typed array with its own backing store costs about a
 * microsecond to allocate and to collect, a view into a slab a fraction of that, and a snapshot has several columns.
 * The views are zero-filled and never overlap. A view keeps its whole slab alive (at most 64 KiB per long-lived
 * snapshot), and its `.buffer` is the slab: encoders must read it through byteOffset / byteLength (or the view itself).
 */
const SLAB_BYTES = 64 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabAt = 0;

const carve = (bytes: number): number => {
  if (slabAt + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabAt = 0;
  }
  const at = slabAt;
  slabAt += (bytes + 7) & ~7; // every view starts 8-byte aligned
  return at;
};

/** `n` zeroed doubles: a view into a slab, or an array of its own when large. */
export const newDoubles = (n: number): Float64Array => {
  if (n * 8 > SLAB_BYTES >>> 2) return new Float64Array(n);
  const at = carve(n * 8); // first: carving may start a new slab
  return new Float64Array(slab, at, n);
};

/** `n` zeroed 32-bit ints: a view into a slab, or an array of its own when large. */
export const newInts = (n: number): Int32Array => {
  if (n * 4 > SLAB_BYTES >>> 2) return new Int32Array(n);
  const at = carve(n * 4); // first: carving may start a new slab
  return new Int32Array(slab, at, n);
};

const EMPTY_DOUBLES = new Float64Array(0);


/** Every column null: a shape's decoder sets the ones it carries. */
export const absentColumns = (): { [K in StrikeColumnName]: Float64Array | null } => ({
  gex_vol: null,
  gex_oi: null,
  call_oi: null,
  put_oi: null,
  call_volume: null,
  put_volume: null,
  call_bid: null,
  call_ask: null,
  put_bid: null,
  put_ask: null,
  gamma: null,
  delta: null,
  theta: null,
  vega: null,
  call_ivol: null,
  put_ivol: null,
  value: null,
  extra_x: null,
  extra_y: null,
  call_gex: null,
  put_gex: null,
  net_gex: null,
});

const NO_STRIKES: StrikeColumns = Object.freeze({ count: 0, strike: EMPTY_DOUBLES, columns: Object.freeze(absentColumns()), priorsValues: EMPTY_DOUBLES, priorsEnds: null });

/** Rows: 0, every column absent, no priors (the strikes of shapes without strike rows); one shared, frozen value. */
export const noStrikes = (): StrikeColumns => NO_STRIKES;

/** Rows `index[0]`, `index[1]`, ... of `s`, in that order (sorting, de-duplicating). */
export const selectRows = (s: StrikeColumns, index: ArrayLike<number>): StrikeColumns => {
  const count = index.length;
  const pick = (from: Float64Array): Float64Array => {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = from[index[i]!]!;
    return out;
  };
  const columns = absentColumns();
  for (const c of STRIKE_COLUMNS) {
    const col = s.columns[c];
    if (col !== null) columns[c] = pick(col);
  }
  if (s.priorsEnds === null) return { count, strike: pick(s.strike), columns, priorsValues: new Float64Array(0), priorsEnds: null };
  const ends = s.priorsEnds;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const r = index[i]!;
    total += ends[r]! - (r === 0 ? 0 : ends[r - 1]!);
  }
  const priorsValues = new Float64Array(total);
  let priorsEnds: Int32Array | null = null;
  if (total > 0) {
    priorsEnds = new Int32Array(count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const r = index[i]!;
      const from = r === 0 ? 0 : ends[r - 1]!;
      priorsValues.set(s.priorsValues.subarray(from, ends[r]!), at);
      at += ends[r]! - from;
      priorsEnds[i] = at;
    }
  }
  return { count, strike: pick(s.strike), columns, priorsValues, priorsEnds };
};

/** Whether the strikes are strictly ascending (sorted, no strike twice). */
export const isStrictlyAscending = (s: StrikeColumns): boolean => {
  for (let i = 1; i < s.count; i++) if (!(s.strike[i - 1]! < s.strike[i]!)) return false;
  return true;
};

/** The rows with strikes ascending and one row per strike (the last row of a strike wins). */
export const sortedUnique = (s: StrikeColumns): StrikeColumns => {
  const last = new Map<number, number>();
  for (let i = 0; i < s.count; i++) last.set(s.strike[i]!, i);
  const index = [...last.values()].sort((a, b) => s.strike[a]! - s.strike[b]!);
  return selectRows(s, index);
};
