// Owns the priority score: four components in [0,1] (market impact, freshness, source reliability, urgency) and their weighted sum.
import type { PriorityConfig, ReferenceScale } from './config.js';
import type { PriorityInput, SnapshotFacts } from './facts.js';

export interface ScoreComponents {
  readonly market_impact: number;
  readonly freshness: number;
  readonly source_reliability: number;
  readonly urgency: number;
}

export interface Scored {
  readonly score: number;
  readonly components: ScoreComponents;
}

/** [0,1], with NaN as 0: the one guard every output passes through. */
export const clamp01 = (x: number): number => (x > 1 ? 1 : x >= 0 ? x : 0);

/** log10(1 + x) / log10(1 + ref): 0 at 0, 1 at the reference value, growing ever slower. */
export const logScaled = (x: number, ref: number): number => clamp01(Math.log1p(Math.max(0, x)) / Math.log1p(ref));

const referenceFor = (ticker: string, c: PriorityConfig): ReferenceScale =>
  (Object.prototype.hasOwnProperty.call(c.reference.tickers, ticker) ? c.reference.tickers[ticker] : undefined) ?? c.reference.default;

/** |net GEX| against the ticker's recent extremes when known, else log-scaled against the reference. */
const netGexScore = (net: number, range: PriorityInput['recentNetGexRange'], ref: ReferenceScale): number => {
  const abs = Math.abs(net);
  if (range != null && Number.isFinite(range.min) && Number.isFinite(range.max)) {
    const extreme = Math.max(Math.abs(range.min), Math.abs(range.max));
    if (extreme > 0) return clamp01(abs / extreme);
  }
  return logScaled(abs, ref.net_gex_abs);
};

/** Weighted mean of the parts the snapshot carries (OI, volume, net GEX); 0 when it carries none. */
export const marketImpact = (f: SnapshotFacts, range: PriorityInput['recentNetGexRange'], c: PriorityConfig): number => {
  const ref = referenceFor(f.ticker, c);
  const mix = c.impact_mix;
  let sum = 0;
  let weight = 0;
  if (f.total_oi !== null) {
    sum += mix.open_interest * logScaled(f.total_oi, ref.open_interest);
    weight += mix.open_interest;
  }
  if (f.total_volume !== null) {
    sum += mix.volume * logScaled(f.total_volume, ref.volume);
    weight += mix.volume;
  }
  if (f.net_gex !== null) {
    sum += mix.net_gex * netGexScore(f.net_gex, range, ref);
    weight += mix.net_gex;
  }
  return weight > 0 ? clamp01(sum / weight) : 0;
};

/** base * 0.5^(age / half-life) of the snapshot's data type; an unknown data type is not fresh (0). */
export const freshness = (f: SnapshotFacts, c: PriorityConfig): number => {
  const curve = f.data_type === 'real_time' ? c.freshness.real_time : f.data_type === 'snapshot' ? c.freshness.snapshot : f.data_type === 'historical' ? c.freshness.historical : null;
  if (curve === null) return 0;
  if (curve.half_life_ms <= 0) return clamp01(curve.base);
  return clamp01(curve.base * Math.pow(0.5, f.age_ms / curve.half_life_ms));
};

/** Success ratio, shaded by latency: (1 - share) * reliability + share * reliability * ref / (ref + latency). */
export const sourceReliability = (f: SnapshotFacts, c: PriorityConfig): number => {
  const r = f.reliability;
  if (f.ema_latency_ms === null) return clamp01(r);
  const latencyFactor = c.source.latency_ref_ms / (c.source.latency_ref_ms + Math.max(0, f.ema_latency_ms));
  return clamp01(r * (1 - c.source.latency_share + c.source.latency_share * latencyFactor));
};

/** The largest of: a market event flag, 0DTE in the last minutes before the close, 0DTE in the session; only while the data is live. */
export const urgency = (f: SnapshotFacts, c: PriorityConfig): number => {
  const u = c.urgency;
  let out = f.market_event !== '' ? u.market_event : 0;
  if (f.min_dte === 0 && f.is_regular_hours && f.age_ms <= u.live_within_ms) {
    out = Math.max(out, f.minutes_to_close <= u.near_close_minutes ? u.zero_dte_near_close : u.zero_dte_in_session);
  }
  return clamp01(out);
};

/** The weighted sum, divided by the sum of the weights so a configuration that does not sum to 1 still scores in [0,1]. */
export const scoreFacts = (f: SnapshotFacts, range: PriorityInput['recentNetGexRange'], c: PriorityConfig): Scored => {
  const components: ScoreComponents = {
    market_impact: marketImpact(f, range, c),
    freshness: freshness(f, c),
    source_reliability: sourceReliability(f, c),
    urgency: urgency(f, c),
  };
  const w = c.weights;
  const total = w.market_impact + w.freshness + w.source_reliability + w.urgency;
  const sum =
    w.market_impact * components.market_impact + w.freshness * components.freshness + w.source_reliability * components.source_reliability + w.urgency * components.urgency;
  return { score: total > 0 ? clamp01(sum / total) : 0, components };
};
