// Owns the hot path of the GEXBot classic and state shapes (the W-day feed): the parsed JSON object straight to the
// decoded record, strikes as columns, without io-ts. It accepts exactly what the codecs of gexbotCodecs.ts accept and
// gives the same values; at the first field it would refuse it returns null, and the caller runs the codec, which
// reports every error with its path (bad input is rare, so it pays for the second pass, not the good input).
import type * as t from 'io-ts';
import { TICKER_PATTERN, readTimestamp } from './fieldCodecs.js';
import type { GexbotClassic } from './gexbotCodecs.js';
import { MAX_PRIOR_INTERVALS, type MaxPriors } from './snapshot.js';
import type { StrikeColumns } from './strikeColumns.js';

const INT32_MAX = 2147483647;
/** Not a value: a field the codec would refuse. */
const BAD = Symbol('bad');
type Bad = typeof BAD;

const nullableNumber = (u: unknown): number | null | Bad =>
  u === undefined || u === null ? null : typeof u === 'number' && u - u === 0 ? u : BAD;

const nullableInteger = (u: unknown): number | null | Bad =>
  u === undefined || u === null ? null : typeof u === 'number' && Number.isInteger(u) && Math.abs(u) <= INT32_MAX ? u : BAD;

const pairOf = (u: unknown): { strike: number; change: number } | Bad => {
  if (!Array.isArray(u) || u.length !== 2) return BAD;
  const strike: unknown = u[0];
  const change: unknown = u[1];
  return typeof strike === 'number' && strike - strike === 0 && typeof change === 'number' && change - change === 0 ? { strike, change } : BAD;
};

/** As MaxPriorsList: absent, null or [] give null; 1 to 6 [strike, change] pairs fill the intervals in order. */
const maxPriors = (u: unknown): MaxPriors | null | Bad => {
  if (u === undefined || u === null) return null;
  if (!Array.isArray(u) || u.length > MAX_PRIOR_INTERVALS.length) return BAD;
  if (u.length === 0) return null;
  const out: MaxPriors = { current: null, one: null, five: null, ten: null, fifteen: null, thirty: null };
  for (let i = 0; i < u.length; i++) {
    const p = pairOf(u[i]);
    if (p === BAD) return BAD;
    out[MAX_PRIOR_INTERVALS[i]!] = p;
  }
  return out;
};

const NO_CONTEXT: t.Context = [];

/**
 * The classic (or state) profile `o` as the codec would decode it, or null when the codec would refuse it.
 * `strikeRows` is the codec's own strikes type (gexbotStrikeRows), which fills the columns cell by cell.
 */
export const readGexProfile = (o: Readonly<Record<string, unknown>>, strikeRows: t.Decoder<unknown, StrikeColumns>): GexbotClassic | null => {
  const ts = readTimestamp(o['timestamp']);
  if (!('ms' in ts)) return null;
  const ticker = o['ticker'];
  if (typeof ticker !== 'string' || !TICKER_PATTERN.test(ticker)) return null;
  const spot = o['spot'];
  if (typeof spot !== 'number' || !(spot > 0) || spot === Infinity) return null;
  const minDte = nullableInteger(o['min_dte']);
  const secMinDte = nullableInteger(o['sec_min_dte']);
  const zeroGamma = nullableNumber(o['zero_gamma']);
  const majorPosVol = nullableNumber(o['major_pos_vol']);
  const majorPosOi = nullableNumber(o['major_pos_oi']);
  const majorNegVol = nullableNumber(o['major_neg_vol']);
  const majorNegOi = nullableNumber(o['major_neg_oi']);
  const sumGexVol = nullableNumber(o['sum_gex_vol']);
  const sumGexOi = nullableNumber(o['sum_gex_oi']);
  const drr = nullableNumber(o['delta_risk_reversal']);
  const priors = maxPriors(o['max_priors']);
  if (
    minDte === BAD || secMinDte === BAD || zeroGamma === BAD || majorPosVol === BAD || majorPosOi === BAD || majorNegVol === BAD ||
    majorNegOi === BAD || sumGexVol === BAD || sumGexOi === BAD || drr === BAD || priors === BAD
  ) {
    return null;
  }
  const strikes = strikeRows.validate(o['strikes'], NO_CONTEXT);
  if (strikes._tag === 'Left') return null;
  return {
    timestamp: ts.ms,
    ticker,
    min_dte: minDte,
    sec_min_dte: secMinDte,
    spot,
    zero_gamma: zeroGamma,
    major_pos_vol: majorPosVol,
    major_pos_oi: majorPosOi,
    major_neg_vol: majorNegVol,
    major_neg_oi: majorNegOi,
    strikes: strikes.right,
    sum_gex_vol: sumGexVol,
    sum_gex_oi: sumGexOi,
    delta_risk_reversal: drr,
    max_priors: priors,
  };
};
