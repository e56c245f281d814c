// Owns the io-ts codecs of GEXBot's payloads: classic, state (GEX and greek profiles), majors, maxchange, orderflow.
import * as t from 'io-ts';
import { describeValue } from './errors.js';
import { EpochTime, NullableInteger, NullableNumber, PositivePrice, NullablePositivePrice, Ticker, numberIssue, positiveIssue } from './fieldCodecs.js';
import { DEFAULT_LIMITS, type DecodeLimits } from './limits.js';
import { RowProblems, readNumberList } from './rowProblems.js';
import { MAX_PRIOR_INTERVALS, blankStrike, type MaxPriors, type StrikeChange, type Strike } from './snapshot.js';
import { absentColumns, newDoubles, newInts, type StrikeColumns } from './strikeColumns.js';

const CLASSIC_ROW = '[strike, gex_vol, gex_oi, [priors...]]';
const GREEK_ROW = '[strike, call_ivol, put_ivol, value, [priors...], x|null, y|null]';

const rowArrayIssue = (u: unknown, what: string, limits: DecodeLimits): string | null => {
  if (!Array.isArray(u)) return `expected an array of ${what} rows, got ${describeValue(u)}`;
  if (u.length === 0) return 'expected at least one strike, got an empty array';
  if (u.length > limits.maxStrikes) return `expected at most ${limits.maxStrikes} strikes, got ${u.length}`;
  return null;
};

const isColumns = (u: unknown): u is StrikeColumns => typeof u === 'object' && u !== null && (u as Partial<StrikeColumns>).strike instanceof Float64Array;

/** How many priors the rows hold, or -1 when a row or its priors list is not of the classic shape (or too long). */
const countPriors = (rows: readonly unknown[], maxPriors: number): number => {
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length !== 4) return -1;
    const p: unknown = row[3];
    if (!Array.isArray(p) || p.length > maxPriors) return -1;
    total += p.length;
  }
  return total;
};

/**
 * The hot loop: rows of the classic shape (countPriors said so) straight into the columns, each cell checked as it is
 * copied. False at the first bad cell (the caller then runs collectRowErrors). Kept free of closures and error
 * handling so that it stays a tight loop.
 */
const fillClassicColumns = (
  rows: readonly unknown[],
  oiNotApplicable: boolean,
  strike: Float64Array,
  gexVol: Float64Array,
  gexOi: Float64Array,
  net: Float64Array,
  priors: Float64Array,
  ends: Int32Array,
): boolean => {
  let at = 0;
  const n = rows.length;
  for (let i = 0; i < n; i++) {
    const row = rows[i] as unknown[];
    const k: unknown = row[0];
    const v: unknown = row[1];
    const o: unknown = row[2];
    const p = row[3] as unknown[];
    if (typeof k !== 'number' || !(k > 0) || k === Infinity) return false;
    if (typeof v !== 'number' || v - v !== 0) return false;
    if (typeof o !== 'number' || o - o !== 0) return false;
    const m = p.length;
    for (let j = 0; j < m; j++) {
      const x: unknown = p[j];
      if (typeof x !== 'number' || x - x !== 0) return false;
      priors[at + j] = x;
    }
    at += m;
    strike[i] = k;
    gexVol[i] = v;
    if (oiNotApplicable && o === 0) {
      gexOi[i] = NaN;
      net[i] = v;
    } else {
      gexOi[i] = o;
      net[i] = o;
    }
    ends[i] = at;
  }
  return true;
};

/** Every problem of rows fillClassicColumns refused, with its path (`strikes[3][1]`), up to the error limit. */
const collectRowErrors = (rows: readonly unknown[], limits: DecodeLimits, c: t.Context): t.Errors => {
  const problems = new RowProblems(c, limits.maxErrors + 1);
  for (let i = 0; i < rows.length && !problems.full; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length !== 4) {
      problems.add(row, [i], `expected ${CLASSIC_ROW}, got ${describeValue(row)}`);
      continue;
    }
    const [k, v, o] = row as unknown[];
    if (typeof k !== 'number' || !(k > 0) || k === Infinity) problems.add(k, [i, 0], positiveIssue(k, 'a strike') ?? '');
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.add(v, [i, 1], numberIssue(v) ?? '');
    if (typeof o !== 'number' || !Number.isFinite(o)) problems.add(o, [i, 2], numberIssue(o) ?? '');
    readNumberList(row[3], [i, 3], limits.maxPriors, problems);
  }
  return problems.errors;
};

/**
 * `strikes: [[strike, gex_vol, gex_oi, [priors...]], ...]`, decoded straight from the parsed JSON into columns: the hot
 * path of the W-day feed. Each cell is checked as it is copied (no object per strike); input with a bad cell is read
 * again to record every problem with its path (`strikes[3][1]`), up to the error limit.
 * Columns: strike, gex_vol, gex_oi, net_gex (the vendor's row value, OI view where there is one: dealer convention,
 * calls positive) and the priors. In state profiles (`oiNotApplicable`) the vendor writes 0 for gex_oi meaning
 * "no OI view": that cell is null (NaN), and the gex_oi column is absent when every row has 0.
 */
export const gexbotStrikeRows = (limits: DecodeLimits, oiNotApplicable: boolean) =>
  new t.Type<StrikeColumns, StrikeColumns, unknown>(
    'strike rows',
    isColumns,
    (u, c) => {
      const issue = rowArrayIssue(u, CLASSIC_ROW, limits);
      if (issue !== null) return t.failure(u, c, issue);
      const rows = u as unknown[];
      const n = rows.length;
      const total = countPriors(rows, limits.maxPriors);
      if (total < 0) return t.failures(collectRowErrors(rows, limits, c));
      const strike = newDoubles(n);
      const gexVol = newDoubles(n);
      const gexOi = newDoubles(n);
      const net = newDoubles(n);
      const priorsValues = newDoubles(total);
      const ends = newInts(n);
      if (!fillClassicColumns(rows, oiNotApplicable, strike, gexVol, gexOi, net, priorsValues, ends)) return t.failures(collectRowErrors(rows, limits, c));
      let anyOi = !oiNotApplicable;
      if (!anyOi) for (let i = 0; i < n && !anyOi; i++) anyOi = gexOi[i] === gexOi[i];
      const columns = absentColumns();
      columns.gex_vol = gexVol;
      columns.gex_oi = anyOi ? gexOi : null;
      columns.net_gex = net;
      return t.success({ count: n, strike, columns, priorsValues, priorsEnds: total === 0 ? null : ends });
    },
    t.identity,
  );

/** `mini_contracts: [[strike, call_ivol, put_ivol, value, [priors...], x|null, y|null], ...]` of state greek profiles. */
export const greekContractRows = (limits: DecodeLimits) =>
  new t.Type<Strike[], Strike[], unknown>(
    'mini_contracts rows',
    (u): u is Strike[] => Array.isArray(u),
    (u, c) => {
      const issue = rowArrayIssue(u, GREEK_ROW, limits);
      if (issue !== null) return t.failure(u, c, issue);
      const rows = u as unknown[];
      const problems = new RowProblems(c, limits.maxErrors + 1);
      const out: Strike[] = [];
      for (let i = 0; i < rows.length && !problems.full; i++) {
        const row = rows[i];
        if (!Array.isArray(row) || row.length !== 7) {
          problems.add(row, [i], `expected ${GREEK_ROW}, got ${describeValue(row)}`);
          continue;
        }
        const strikeIssue = positiveIssue(row[0], 'a strike');
        if (strikeIssue !== null) problems.add(row[0], [i, 0], strikeIssue);
        for (const j of [1, 2, 3]) {
          const m = numberIssue(row[j]);
          if (m !== null) problems.add(row[j], [i, j], m);
        }
        const priors = readNumberList(row[4], [i, 4], limits.maxPriors, problems);
        for (const j of [5, 6]) {
          const v: unknown = row[j];
          if (v !== null && numberIssue(v) !== null) {
            problems.add(v, [i, j], typeof v === 'number' ? (numberIssue(v) ?? '') : `expected number or null, got ${describeValue(v)}`);
          }
        }
        if (problems.any || priors === null) continue;
        const s = blankStrike(row[0] as number);
        s.call_ivol = row[1] as number;
        s.put_ivol = row[2] as number;
        s.value = row[3] as number;
        s.priors = priors;
        s.extra_x = row[5] as number | null;
        s.extra_y = row[6] as number | null;
        out.push(s);
      }
      return problems.any ? t.failures(problems.errors) : t.success(out);
    },
    t.identity,
  );

const pairIssue = (u: unknown): string | null =>
  Array.isArray(u) && u.length === 2 ? null : `expected [strike, change], got ${describeValue(u)}`;

const readPair = (u: unknown, keys: ReadonlyArray<string | number>, problems: RowProblems): StrikeChange | null => {
  const shape = pairIssue(u);
  if (shape !== null) {
    problems.add(u, keys, shape);
    return null;
  }
  const [strike, change] = u as unknown[];
  const a = numberIssue(strike);
  const b = numberIssue(change);
  if (a !== null) problems.add(strike, [...keys, 0], a);
  if (b !== null) problems.add(change, [...keys, 1], b);
  return a === null && b === null ? { strike: strike as number, change: change as number } : null;
};

/** `max_priors: [[strike, change], ...]`: 0 to 6 pairs for current, 1, 5, 10, 15 and 30 minutes; none gives null. */
export const MaxPriorsList = new t.Type<MaxPriors | null, MaxPriors | null, unknown>(
  'max_priors',
  (u): u is MaxPriors | null => u === null || typeof u === 'object',
  (u, c) => {
    if (u === null || u === undefined) return t.success(null);
    if (!Array.isArray(u)) return t.failure(u, c, `expected an array of [strike, change] pairs, got ${describeValue(u)}`);
    if (u.length > MAX_PRIOR_INTERVALS.length) {
      return t.failure(u, c, `expected at most 6 [strike, change] pairs (current, 1, 5, 10, 15, 30 minutes), got ${u.length}`);
    }
    if (u.length === 0) return t.success(null);
    const problems = new RowProblems(c, DEFAULT_LIMITS.maxErrors);
    const out: MaxPriors = { current: null, one: null, five: null, ten: null, fifteen: null, thirty: null };
    MAX_PRIOR_INTERVALS.forEach((interval, i) => {
      if (i < u.length) out[interval] = readPair(u[i], [i], problems);
    });
    return problems.any ? t.failures(problems.errors) : t.success(out);
  },
  t.identity,
);

/** One maxchange interval: `[strike, change]`, or absent / null. */
export const NullableStrikeChange = new t.Type<StrikeChange | null, StrikeChange | null, unknown>(
  '[strike, change] or null',
  (u): u is StrikeChange | null => u === null || typeof u === 'object',
  (u, c) => {
    if (u === null || u === undefined) return t.success(null);
    const problems = new RowProblems(c, 4);
    const pair = readPair(u, [], problems);
    return pair === null ? t.failures(problems.errors) : t.success(pair);
  },
  t.identity,
);

const envelope = {
  timestamp: EpochTime,
  ticker: Ticker,
};

const gexProfileProps = (limits: DecodeLimits, oiNotApplicable: boolean) => ({
  ...envelope,
  min_dte: NullableInteger,
  sec_min_dte: NullableInteger,
  spot: PositivePrice,
  zero_gamma: NullableNumber,
  major_pos_vol: NullableNumber,
  major_pos_oi: NullableNumber,
  major_neg_vol: NullableNumber,
  major_neg_oi: NullableNumber,
  strikes: gexbotStrikeRows(limits, oiNotApplicable),
  sum_gex_vol: NullableNumber,
  sum_gex_oi: NullableNumber,
  delta_risk_reversal: NullableNumber,
  max_priors: MaxPriorsList,
});

export const gexbotClassic = (limits: DecodeLimits) => t.type(gexProfileProps(limits, false), 'GEXBot classic snapshot');
export const gexbotState = (limits: DecodeLimits) => t.type(gexProfileProps(limits, true), 'GEXBot state profile');

export const gexbotStateGreek = (limits: DecodeLimits) =>
  t.type(
    {
      ...envelope,
      spot: PositivePrice,
      min_dte: NullableInteger,
      sec_min_dte: NullableInteger,
      major_positive: NullableNumber,
      major_negative: NullableNumber,
      major_long_gamma: NullableNumber,
      major_short_gamma: NullableNumber,
      mini_contracts: greekContractRows(limits),
    },
    'GEXBot state greek profile',
  );

export const GexbotClassic = gexbotClassic(DEFAULT_LIMITS);
export type GexbotClassic = t.TypeOf<typeof GexbotClassic>;
export const GexbotState = gexbotState(DEFAULT_LIMITS);
export type GexbotState = t.TypeOf<typeof GexbotState>;
export const GexbotStateGreek = gexbotStateGreek(DEFAULT_LIMITS);
export type GexbotStateGreek = t.TypeOf<typeof GexbotStateGreek>;

export const GexbotMajors = t.type(
  {
    ...envelope,
    spot: PositivePrice,
    mpos_vol: NullableNumber,
    mpos_oi: NullableNumber,
    mneg_vol: NullableNumber,
    mneg_oi: NullableNumber,
    zero_gamma: NullableNumber,
    net_gex_vol: NullableNumber,
    net_gex_oi: NullableNumber,
  },
  'GEXBot majors',
);
export type GexbotMajors = t.TypeOf<typeof GexbotMajors>;

export const GexbotMaxChange = t.type(
  {
    ...envelope,
    spot: NullablePositivePrice,
    current: NullableStrikeChange,
    one: NullableStrikeChange,
    five: NullableStrikeChange,
    ten: NullableStrikeChange,
    fifteen: NullableStrikeChange,
    thirty: NullableStrikeChange,
  },
  'GEXBot maxchange',
);
export type GexbotMaxChange = t.TypeOf<typeof GexbotMaxChange>;

/** Orderflow: the envelope plus a flat object of numeric fields (read by the mapper: their names vary by feed). */
export const GexbotOrderflow = t.type({ ...envelope, spot: NullablePositivePrice }, 'GEXBot orderflow');
export type GexbotOrderflow = t.TypeOf<typeof GexbotOrderflow>;
