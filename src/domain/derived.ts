// Owns the metrics gexstream computes itself: per-strike dealer GEX, net GEX, major strikes, the zero-gamma level.
import { assessQuality } from './quality.js';
import type { CanonicalSnapshot, Derived } from './snapshot.js';
import type { StrikeColumns } from './strikeColumns.js';

/** Contracts per option (index and equity options alike). */
export const CONTRACT_MULTIPLIER = 100;
/** GEX is quoted per 1% move of the underlying. */
export const MOVE = 0.01;

export const DEALER_CONVENTION =
  'dealer: call_gex = gamma*call_oi*100*spot^2*0.01, put_gex = -(gamma*put_oi*100*spot^2*0.01), net_gex = call_gex + put_gex (by volume: the same with call/put volume)';
export const GEXBOT_CONVENTION =
  "gexbot: vendor per-strike gex_vol and gex_oi (dealer convention, calls positive, puts negative); net_gex per strike = gex_oi, or gex_vol where OI is not applicable; sums, majors and zero gamma recomputed by gexstream";
export const NOT_APPLICABLE_CONVENTION = 'none: this shape carries no per-strike GEX';

export const DEALER_UNIT = 'USD per 1% move of the underlying';
export const GEXBOT_UNIT = 'vendor units (GEXBot)';

/** Dollar gamma of `contracts` options for a 1% move: gamma x contracts x 100 x spot^2 x 0.01. */
export const dealerGex = (gamma: number, contracts: number, spot: number): number =>
  gamma * contracts * CONTRACT_MULTIPLIER * spot * spot * MOVE;

/**
 * The per-strike dealer GEX columns of an option chain (call_gex, put_gex, net_gex), from gamma, OI and spot: NaN (null)
 * where gamma is; a column is absent when no row has a value in it.
 */
export const chainGexColumns = (k: StrikeColumns, spot: number): Pick<StrikeColumns['columns'], 'call_gex' | 'put_gex' | 'net_gex'> => {
  const { gamma, call_oi: callOi, put_oi: putOi } = k.columns;
  if (gamma === null || k.count === 0) return { call_gex: null, put_gex: null, net_gex: null };
  const n = k.count;
  const call = callOi === null ? null : new Float64Array(n);
  const put = putOi === null ? null : new Float64Array(n);
  const net = new Float64Array(n);
  let anyCall = false;
  let anyPut = false;
  for (let i = 0; i < n; i++) {
    const g = gamma[i]!;
    const c = call === null || Number.isNaN(g) ? NaN : dealerGex(g, callOi![i]!, spot);
    const p = put === null || Number.isNaN(g) ? NaN : -dealerGex(g, putOi![i]!, spot);
    if (call !== null) call[i] = c;
    if (put !== null) put[i] = p;
    if (!Number.isNaN(c)) anyCall = true;
    if (!Number.isNaN(p)) anyPut = true;
    // a side that is null counts as 0, both null is null (NaN); with a side computed, NaN is an overflow (Inf - Inf)
    net[i] = Number.isNaN(c) && Number.isNaN(p) ? NaN : (Number.isNaN(c) ? 0 : c) + (Number.isNaN(p) ? 0 : p);
  }
  return { call_gex: anyCall ? call : null, put_gex: anyPut ? put : null, net_gex: anyCall || anyPut ? net : null };
};

/**
 * Where cumulative net GEX, strikes ascending, changes sign: linearly interpolated between the two strikes
 * around the change; the crossing nearest to spot when there are several; null when there is none.
 * `strikes` must be ascending and as long as `net`.
 */
export const zeroGammaLevel = (strikes: ArrayLike<number>, net: ArrayLike<number>, spot: number | null): number | null =>
  zeroCrossing(strikes.length, Float64Array.from(strikes), Float64Array.from(net), spot);

/** The scan behind zeroGammaLevel, over typed columns read in place (no copies, no closures on the hot path). */
const zeroCrossing = (n: number, strikes: Float64Array, net: Float64Array, spot: number | null): number | null => {
  let best = 0;
  let found = false;
  let cum = 0;
  let lastIndex = -1; // the last position where the cumulative sum was not zero
  let lastCum = 0;
  for (let i = 0; i < n; i++) {
    cum += net[i]!;
    if (cum === 0) continue;
    if (lastIndex >= 0 && cum > 0 !== lastCum > 0) {
      const s0 = strikes[lastIndex]!;
      const s1 = strikes[i]!;
      // Adjacent strikes: interpolate. A run of exact zeros between them: the sign changed at the first zero.
      const crossing = lastIndex === i - 1 ? s0 + ((s1 - s0) * lastCum) / (lastCum - cum) : strikes[lastIndex + 1]!;
      if (!found || (spot !== null && Math.abs(crossing - spot) < Math.abs(best - spot))) {
        best = crossing;
        found = true;
      }
    }
    lastIndex = i;
    lastCum = cum;
  }
  return found ? best : null;
};

/** The strikes with the largest positive and the most negative value of a series (null: none above / below 0). */
class Extremes {
  pos = NaN;
  posValue = 0;
  neg = NaN;
  negValue = 0;

  track(strike: number, v: number): void {
    if (v > this.posValue) {
      this.posValue = v;
      this.pos = strike;
    } else if (v < this.negValue) {
      this.negValue = v;
      this.neg = strike;
    }
  }

  get positive(): number | null {
    return Number.isNaN(this.pos) ? null : this.pos;
  }

  get negative(): number | null {
    return Number.isNaN(this.neg) ? null : this.neg;
  }
}

const newExtremes = (): Extremes => new Extremes();

const zeroGammaOf = (k: StrikeColumns, net: Float64Array | null, spot: number | null): number | null => {
  if (net === null) return null;
  const strikes = k.strike;
  let ascending = true;
  let complete = true;
  for (let i = 0; i < k.count; i++) {
    if (Number.isNaN(net[i]!)) complete = false;
    if (i > 0 && strikes[i]! < strikes[i - 1]!) ascending = false;
  }
  // Vendors send strikes ascending and complete: read them in place.
  if (ascending && complete) return zeroCrossing(k.count, strikes, net, spot);
  const order: number[] = [];
  for (let i = 0; i < k.count; i++) if (!Number.isNaN(net[i]!)) order.push(i);
  order.sort((a, b) => strikes[a]! - strikes[b]!);
  const s = new Float64Array(order.length);
  const v = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) {
    s[i] = strikes[order[i]!]!;
    v[i] = net[order[i]!]!;
  }
  return zeroCrossing(order.length, s, v, spot);
};

type Metrics = Omit<Derived, 'quality_score' | 'quality_notes'>;

/** A cell, 0 when the column is absent or the cell null. */
const or0 = (col: Float64Array | null, i: number): number => {
  if (col === null) return 0;
  const v = col[i]!;
  return Number.isNaN(v) ? 0 : v;
};
const has = (col: Float64Array | null, i: number): boolean => col !== null && !Number.isNaN(col[i]!);

/**
 * Whether an option-chain row has a net GEX: NaN in net_gex means null only when neither side was computed; with a side
 * computed it is an overflow (Infinity - Infinity), which must reach the sums so that validation refuses it.
 */
export const hasChainNet = (c: StrikeColumns['columns'], i: number): boolean =>
  c.net_gex !== null && (!Number.isNaN(c.net_gex[i]!) || has(c.call_gex, i) || has(c.put_gex, i));

const chainMetrics = (s: CanonicalSnapshot): Metrics => {
  const spot = s.spot ?? 0;
  const byOi = newExtremes();
  const byVol = newExtremes();
  let net: number | null = null;
  let netVol: number | null = null;
  let callOi: number | null = null;
  let putOi: number | null = null;
  let volume: number | null = null;
  const k = s.strikes;
  const c = k.columns;
  for (let i = 0; i < k.count; i++) {
    const strike = k.strike[i]!;
    if (hasChainNet(c, i)) {
      const n = c.net_gex![i]!;
      net = (net ?? 0) + n;
      byOi.track(strike, n);
    }
    const hasVolume = has(c.call_volume, i) || has(c.put_volume, i);
    if (has(c.gamma, i) && hasVolume) {
      const g = c.gamma![i]!;
      const v = dealerGex(g, or0(c.call_volume, i), spot) - dealerGex(g, or0(c.put_volume, i), spot);
      netVol = (netVol ?? 0) + v;
      byVol.track(strike, v);
    }
    if (has(c.call_oi, i)) callOi = (callOi ?? 0) + c.call_oi![i]!;
    if (has(c.put_oi, i)) putOi = (putOi ?? 0) + c.put_oi![i]!;
    if (hasVolume) volume = (volume ?? 0) + or0(c.call_volume, i) + or0(c.put_volume, i);
  }
  return {
    convention: DEALER_CONVENTION,
    unit: DEALER_UNIT,
    net_gex: net,
    net_gex_vol: netVol,
    net_gex_oi: net,
    major_pos_vol: byVol.positive,
    major_neg_vol: byVol.negative,
    major_pos_oi: byOi.positive,
    major_neg_oi: byOi.negative,
    zero_gamma: zeroGammaOf(k, c.net_gex, s.spot),
    total_call_oi: callOi,
    total_put_oi: putOi,
    total_volume: volume,
  };
};

/** A sum and whether anything was added (plain doubles: a `number | null` accumulator would box every step). */
const sumOf = (col: Float64Array | null, n: number, extremes: Extremes | null, strikes: Float64Array): number | null => {
  if (col === null) return null;
  let sum = 0;
  let any = false;
  for (let i = 0; i < n; i++) {
    const v = col[i]!;
    if (v !== v) continue; // NaN: a null cell
    sum += v;
    any = true;
    if (extremes !== null) extremes.track(strikes[i]!, v);
  }
  return any ? sum : null;
};

const gexbotMetrics = (s: CanonicalSnapshot): Metrics => {
  const byOi = newExtremes();
  const byVol = newExtremes();
  const k = s.strikes;
  const { gex_vol: vol, gex_oi: oi, net_gex: netCol } = k.columns;
  const netVol = sumOf(vol, k.count, byVol, k.strike);
  const netOi = sumOf(oi, k.count, byOi, k.strike);
  const net = sumOf(netCol, k.count, null, k.strike);
  return {
    convention: GEXBOT_CONVENTION,
    unit: GEXBOT_UNIT,
    net_gex: net,
    net_gex_vol: netVol,
    net_gex_oi: netOi,
    major_pos_vol: byVol.positive,
    major_neg_vol: byVol.negative,
    major_pos_oi: byOi.positive,
    major_neg_oi: byOi.negative,
    zero_gamma: zeroGammaOf(k, netCol, s.spot),
    total_call_oi: null,
    total_put_oi: null,
    total_volume: null,
  };
};

const noMetrics = (): Metrics => ({
  convention: NOT_APPLICABLE_CONVENTION,
  unit: GEXBOT_UNIT,
  net_gex: null,
  net_gex_vol: null,
  net_gex_oi: null,
  major_pos_vol: null,
  major_neg_vol: null,
  major_pos_oi: null,
  major_neg_oi: null,
  zero_gamma: null,
  total_call_oi: null,
  total_put_oi: null,
  total_volume: null,
});

/** The derived record of a canonical snapshot (its own `derived` is ignored). */
export const computeDerived = (s: CanonicalSnapshot): Derived => {
  let m: Metrics;
  switch (s.kind) {
    case 'option_chain':
      m = chainMetrics(s);
      break;
    case 'gexbot_classic':
    case 'gexbot_state':
      m = gexbotMetrics(s);
      break;
    case 'gexbot_state_greek':
    case 'gexbot_majors':
    case 'gexbot_maxchange':
    case 'gexbot_orderflow':
      m = noMetrics();
      break;
    default: {
      const never: never = s.kind;
      throw new Error(`unhandled kind ${String(never)}`);
    }
  }
  const q = assessQuality(s, m);
  return { ...m, quality_score: q.score, quality_notes: q.notes };
};
