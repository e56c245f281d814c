// Owns the scoring configuration: weights, level thresholds, reference scales; its io-ts codec and its defaults.
import * as t from 'io-ts';
import { type Either, left, right, isLeft } from 'fp-ts/lib/Either.js';
import { describeValue, pathErrors, type PathError } from '../errors.js';

const numberIn = (name: string, min: number, max: number) =>
  new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max,
    (u, c) =>
      typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max
        ? t.success(u)
        : t.failure(u, c, `expected a number in [${min}, ${max === Infinity ? '∞' : max}], got ${describeValue(u)}`),
    t.identity,
  );

/** A finite number in [0, 1]. */
export const UnitInterval = numberIn('number in [0,1]', 0, 1);
/** A finite number >= 0. */
export const NonNegative = numberIn('number >= 0', 0, Infinity);
/** A finite number > 0 (a scale that divides). */
export const PositiveScale = new t.Type<number, number, unknown>(
  'number > 0',
  (u): u is number => typeof u === 'number' && Number.isFinite(u) && u > 0,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u > 0 ? t.success(u) : t.failure(u, c, `expected a finite number > 0, got ${describeValue(u)}`)),
  t.identity,
);

export const Weights = t.type({ market_impact: NonNegative, freshness: NonNegative, source_reliability: NonNegative, urgency: NonNegative }, 'Weights');
export type Weights = t.TypeOf<typeof Weights>;

export const Thresholds = t.type({ critical: UnitInterval, high: UnitInterval, medium: UnitInterval }, 'Thresholds');
export type Thresholds = t.TypeOf<typeof Thresholds>;

/** What counts as "large" for one ticker: the value that scores 1 on a log scale. */
export const ReferenceScale = t.type({ open_interest: PositiveScale, volume: PositiveScale, net_gex_abs: PositiveScale }, 'ReferenceScale');
export type ReferenceScale = t.TypeOf<typeof ReferenceScale>;

/** Freshness of one data type: `base * 0.5^(age / half_life_ms)`; half_life_ms 0 means no decay. */
export const FreshnessCurve = t.type({ base: UnitInterval, half_life_ms: NonNegative }, 'FreshnessCurve');
export type FreshnessCurve = t.TypeOf<typeof FreshnessCurve>;

export const PriorityConfig = t.type(
  {
    weights: Weights,
    thresholds: Thresholds,
    reference: t.type({ default: ReferenceScale, tickers: t.record(t.string, ReferenceScale) }),
    /** Shares of the market-impact component; renormalised over the parts a snapshot carries. */
    impact_mix: t.type({ open_interest: NonNegative, volume: NonNegative, net_gex: NonNegative }),
    freshness: t.type({ real_time: FreshnessCurve, snapshot: FreshnessCurve, historical: FreshnessCurve }),
    source: t.type({
      /** Reliability assumed for a source with no SourceStats yet. */
      default_reliability: UnitInterval,
      /** Latency at which the latency factor is 0.5. */
      latency_ref_ms: PositiveScale,
      /** Share of the component given to latency (the rest is the success ratio). */
      latency_share: UnitInterval,
    }),
    urgency: t.type({
      market_event: UnitInterval,
      zero_dte_near_close: UnitInterval,
      zero_dte_in_session: UnitInterval,
      /** "Near the close" is the last this many minutes of the regular session. */
      near_close_minutes: NonNegative,
      /** A 0DTE snapshot older than this is not urgent any more (a back-fill of an old close is not). */
      live_within_ms: NonNegative,
    }),
  },
  'PriorityConfig',
);
export type PriorityConfig = t.TypeOf<typeof PriorityConfig>;

export const defaultPriorityConfig: PriorityConfig = {
  weights: { market_impact: 0.35, freshness: 0.25, source_reliability: 0.15, urgency: 0.25 },
  thresholds: { critical: 0.8, high: 0.6, medium: 0.3 },
  reference: {
    // Across vendors: OI and volume in contracts, net GEX in the snapshot's own unit (per-ticker overrides refine it).
    default: { open_interest: 1_000_000, volume: 1_000_000, net_gex_abs: 1_000_000_000 },
    tickers: {},
  },
  impact_mix: { open_interest: 0.4, volume: 0.3, net_gex: 0.3 },
  freshness: {
    real_time: { base: 1, half_life_ms: 60_000 }, // 1 minute
    snapshot: { base: 0.6, half_life_ms: 3_600_000 }, // 1 hour
    historical: { base: 0.1, half_life_ms: 0 },
  },
  source: { default_reliability: 0.9, latency_ref_ms: 1_000, latency_share: 0.2 },
  urgency: { market_event: 1, zero_dte_near_close: 1, zero_dte_in_session: 0.5, near_close_minutes: 30, live_within_ms: 1_800_000 },
};

const isPlainObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** `over` laid over `base` key by key; arrays and scalars replace. */
const deepMerge = (base: unknown, over: unknown): unknown => {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
};

/**
 * A configuration file's content laid over the defaults (so a file may set only the weights), decoded, and
 * checked across fields: weights sum to more than 0, thresholds critical >= high >= medium.
 */
export const decodePriorityConfig = (input: unknown): Either<PathError[], PriorityConfig> => {
  const decoded = PriorityConfig.decode(deepMerge(defaultPriorityConfig, input ?? {}));
  if (isLeft(decoded)) return left(pathErrors(decoded.left));
  const c = decoded.right;
  const problems: PathError[] = [];
  const w = c.weights;
  if (w.market_impact + w.freshness + w.source_reliability + w.urgency <= 0) problems.push({ path: 'weights', message: 'expected at least one weight > 0' });
  const th = c.thresholds;
  if (!(th.critical >= th.high && th.high >= th.medium)) {
    problems.push({ path: 'thresholds', message: `expected critical >= high >= medium, got ${th.critical}, ${th.high}, ${th.medium}` });
  }
  return problems.length > 0 ? left(problems) : right(c);
};
