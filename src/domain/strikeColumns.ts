// Owns a snapshot's strikes as columns (pure): the in-memory twin of io.gexstream.v2.StrikeColumns, one Float64Array per
// column, so that no hop builds an object per strike. A column the input shape does not carry is null; a cell the input
// left empty inside a present column is NaN (JSON cannot carry NaN, so NaN always means null).
import type { Strike } from './snapshot.js';

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

/** A canonical snapshot whose strikes are columns: the value of io.gexstream.v2.ColumnarSnapshot. */
export type ColumnarSnapshot = Omit<import('./snapshot.js').CanonicalSnapshot, 'strikes'> & { strikes: StrikeColumns };
