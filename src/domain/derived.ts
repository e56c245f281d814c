// Owns the metrics gexstream computes itself: per-strike dealer GEX, net GEX, major strikes, the zero-gamma level.
import { assessQuality } from './quality.js';
import type { CanonicalSnapshot, Derived, Strike } from './snapshot.js';

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

/** Fills call_gex, put_gex and net_gex of freshly decoded option-chain rows (they are not shared yet). */
export const fillChainGex = (rows: Strike[], spot: number): void => {
  for (const r of rows) {
    if (r.gamma === null) continue;
    r.call_gex = r.call_oi === null ? null : dealerGex(r.gamma, r.call_oi, spot);
    r.put_gex = r.put_oi === null ? null : -dealerGex(r.gamma, r.put_oi, spot);
    r.net_gex = r.call_gex === null && r.put_gex === null ? null : (r.call_gex ?? 0) + (r.put_gex ?? 0);
  }
};

/**
 * Where cumulative net GEX, strikes ascending, changes sign: linearly interpolated between the two strikes
 * around the change; the crossing nearest to spot when there are several; null when there is none.
 * `strikes` must be ascending and as long as `net`.
 */
export const zeroGammaLevel = (strikes: ArrayLike<number>, net: ArrayLike<number>, spot: number | null): number | null =>
  zeroCrossing(strikes.length, (i) => strikes[i] as number, (i) => net[i] as number, spot);

/** The scan behind zeroGammaLevel, over accessors so rows can be read in place (no copies on the hot path). */
const zeroCrossing = (n: number, strikeAt: (i: number) => number, netAt: (i: number) => number, spot: number | null): number | null => {
  let best: number | null = null;
  let cum = 0;
  let lastIndex = -1; // the last position where the cumulative sum was not zero
  let lastCum = 0;
  for (let i = 0; i < n; i++) {
    cum += netAt(i);
    if (cum === 0) continue;
    if (lastIndex >= 0 && cum > 0 !== lastCum > 0) {
      const s0 = strikeAt(lastIndex);
      const s1 = strikeAt(i);
      // Adjacent strikes: interpolate. A run of exact zeros between them: the sign changed at the first zero.
      const crossing = lastIndex === i - 1 ? s0 + ((s1 - s0) * lastCum) / (lastCum - cum) : strikeAt(lastIndex + 1);
      if (best === null || (spot !== null && Math.abs(crossing - spot) < Math.abs(best - spot))) best = crossing;
    }
    lastIndex = i;
    lastCum = cum;
  }
  return best;
};

interface Extremes {
  pos: number | null;
  posValue: number;
  neg: number | null;
  negValue: number;
}

const newExtremes = (): Extremes => ({ pos: null, posValue: 0, neg: null, negValue: 0 });

const track = (e: Extremes, strike: number, v: number): void => {
  if (v > e.posValue) {
    e.posValue = v;
    e.pos = strike;
  } else if (v < e.negValue) {
    e.negValue = v;
    e.neg = strike;
  }
};

const isAscendingWithNet = (rows: readonly Strike[]): boolean => {
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as Strike;
    if (r.net_gex === null || (i > 0 && r.strike < (rows[i - 1] as Strike).strike)) return false;
  }
  return true;
};

const zeroGammaOf = (rows: readonly Strike[], spot: number | null): number | null => {
  // Vendors send strikes ascending and complete: read them in place.
  if (isAscendingWithNet(rows)) {
    return zeroCrossing(rows.length, (i) => (rows[i] as Strike).strike, (i) => (rows[i] as Strike).net_gex as number, spot);
  }
  const sorted = rows.filter((r) => r.net_gex !== null).sort((a, b) => a.strike - b.strike);
  return zeroGammaLevel(
    sorted.map((r) => r.strike),
    sorted.map((r) => r.net_gex as number),
    spot,
  );
};

type Metrics = Omit<Derived, 'quality_score' | 'quality_notes'>;

const chainMetrics = (s: CanonicalSnapshot): Metrics => {
  const spot = s.spot ?? 0;
  const byOi = newExtremes();
  const byVol = newExtremes();
  let net: number | null = null;
  let netVol: number | null = null;
  let callOi: number | null = null;
  let putOi: number | null = null;
  let volume: number | null = null;
  for (const r of s.strikes) {
    if (r.net_gex !== null) {
      net = (net ?? 0) + r.net_gex;
      track(byOi, r.strike, r.net_gex);
    }
    if (r.gamma !== null && (r.call_volume !== null || r.put_volume !== null)) {
      const v = dealerGex(r.gamma, r.call_volume ?? 0, spot) - dealerGex(r.gamma, r.put_volume ?? 0, spot);
      netVol = (netVol ?? 0) + v;
      track(byVol, r.strike, v);
    }
    if (r.call_oi !== null) callOi = (callOi ?? 0) + r.call_oi;
    if (r.put_oi !== null) putOi = (putOi ?? 0) + r.put_oi;
    if (r.call_volume !== null || r.put_volume !== null) volume = (volume ?? 0) + (r.call_volume ?? 0) + (r.put_volume ?? 0);
  }
  return {
    convention: DEALER_CONVENTION,
    unit: DEALER_UNIT,
    net_gex: net,
    net_gex_vol: netVol,
    net_gex_oi: net,
    major_pos_vol: byVol.pos,
    major_neg_vol: byVol.neg,
    major_pos_oi: byOi.pos,
    major_neg_oi: byOi.neg,
    zero_gamma: zeroGammaOf(s.strikes, s.spot),
    total_call_oi: callOi,
    total_put_oi: putOi,
    total_volume: volume,
  };
};

const gexbotMetrics = (s: CanonicalSnapshot): Metrics => {
  const byOi = newExtremes();
  const byVol = newExtremes();
  let net: number | null = null;
  let netVol: number | null = null;
  let netOi: number | null = null;
  for (const r of s.strikes) {
    if (r.gex_vol !== null) {
      netVol = (netVol ?? 0) + r.gex_vol;
      track(byVol, r.strike, r.gex_vol);
    }
    if (r.gex_oi !== null) {
      netOi = (netOi ?? 0) + r.gex_oi;
      track(byOi, r.strike, r.gex_oi);
    }
    if (r.net_gex !== null) net = (net ?? 0) + r.net_gex;
  }
  return {
    convention: GEXBOT_CONVENTION,
    unit: GEXBOT_UNIT,
    net_gex: net,
    net_gex_vol: netVol,
    net_gex_oi: netOi,
    major_pos_vol: byVol.pos,
    major_neg_vol: byVol.neg,
    major_pos_oi: byOi.pos,
    major_neg_oi: byOi.neg,
    zero_gamma: zeroGammaOf(s.strikes, s.spot),
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
