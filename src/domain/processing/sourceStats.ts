// Owns the per-source reliability and latency fold (schemas/io.gexstream.SourceStats.avsc): success ratio, EMA of latency, breaker.
import { initialBreaker, type BreakerChanged, type BreakerState, type BreakerStatus } from './breaker.js';

/** Mirrors schemas/io.gexstream.SourceStats.avsc. */
export interface SourceStats {
  readonly source: string;
  readonly total_requests: number;
  readonly successful_requests: number;
  /** successful / total; 1 while there is no request yet (no evidence against the source). */
  readonly reliability: number;
  readonly ema_latency_ms: number;
  readonly breaker: BreakerStatus;
  readonly last_success_ms: number | null;
  readonly updated_at_ms: number;
}

/** One answered request to the source. */
export interface SourceObservation {
  readonly success: boolean;
  /** Response time; failures count too (a timeout is slow). A negative or non-finite value leaves the EMA as it is. */
  readonly latencyMs: number;
  readonly atMs: number;
}

export interface SourceStatsConfig {
  /** Weight in (0, 1] of the newest latency in the EMA. */
  readonly alpha: number;
}

export const defaultSourceStatsConfig: SourceStatsConfig = { alpha: 0.2 };

export const initialSourceStats = (source: string, atMs = 0): SourceStats => ({
  source,
  total_requests: 0,
  successful_requests: 0,
  reliability: 1,
  ema_latency_ms: 0,
  breaker: 'closed',
  last_success_ms: null,
  updated_at_ms: atMs,
});

const alphaOf = (c: SourceStatsConfig): number => (Number.isFinite(c.alpha) && c.alpha > 0 && c.alpha <= 1 ? c.alpha : defaultSourceStatsConfig.alpha);

export const evolveSourceStats = (state: SourceStats, o: SourceObservation, config: SourceStatsConfig = defaultSourceStatsConfig): SourceStats => {
  const total = state.total_requests + 1;
  const successful = state.successful_requests + (o.success ? 1 : 0);
  const latencyKnown = Number.isFinite(o.latencyMs) && o.latencyMs >= 0;
  const a = alphaOf(config);
  // The first request seeds the average; blending it with the initial 0 would report a fast source for a while.
  const ema = !latencyKnown ? state.ema_latency_ms : state.total_requests === 0 ? o.latencyMs : a * o.latencyMs + (1 - a) * state.ema_latency_ms;
  return {
    ...state,
    total_requests: total,
    successful_requests: successful,
    reliability: successful / total,
    ema_latency_ms: ema,
    last_success_ms: o.success ? Math.max(state.last_success_ms ?? o.atMs, o.atMs) : state.last_success_ms,
    updated_at_ms: Math.max(state.updated_at_ms, o.atMs),
  };
};

/** Records the breaker's new status; a change of another source leaves the stats as they are. */
export const applyBreakerChange = (state: SourceStats, change: BreakerChanged): SourceStats =>
  change.source !== state.source ? state : { ...state, breaker: change.to, updated_at_ms: Math.max(state.updated_at_ms, change.at_ms) };

export const foldSourceStats = (source: string, observations: readonly SourceObservation[], config: SourceStatsConfig = defaultSourceStatsConfig): SourceStats =>
  observations.reduce((s, o) => evolveSourceStats(s, o, config), initialSourceStats(source));

/**
 * The breaker a (re)started processor resumes for a source from its last recorded stats: open when it was open or
 * probing, its cool-down counted from when that was recorded (a probe follows once it has passed), else closed. The
 * failure counts behind a closed breaker are not recorded, so they start again from none.
 */
export const breakerOfStats = (s: SourceStats): BreakerState =>
  s.breaker === 'closed' ? initialBreaker(s.source) : { ...initialBreaker(s.source), status: 'open', openedAtMs: s.updated_at_ms };

/**
 * Whether a source's stats read back from the topic replace the ones held: only newer ones (another instance's
 * update), never an echo of this instance's own earlier write.
 */
export const newerStats = (held: SourceStats | undefined, read: SourceStats): boolean =>
  held === undefined || read.updated_at_ms > held.updated_at_ms || (read.updated_at_ms === held.updated_at_ms && read.total_requests > held.total_requests);
