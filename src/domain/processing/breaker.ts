// Owns the circuit breaker of a data source: closed -> open on failures, open -> half_open after a cool-down, probes close or re-open it.
/**
 * - closed: every request is allowed. It opens after `failureThreshold` consecutive failures, or, when
 *   `failureRatio` is set, when at least `minRequests` of the last `window` outcomes are known and the share of
 *   failures among them reaches `threshold`.
 * - open: requests are held until `cooldownMs` has passed since it opened; then one is admitted as a probe, and
 *   recording that probe (`probe_started`) moves the breaker to half_open.
 * - half_open: at most `halfOpenProbes` probes at once (a probe unanswered for `probeTimeoutMs` frees its slot).
 *   A success closes the breaker; a failure re-opens it and the cool-down starts again.
 * Answers that arrive while open (requests admitted before it opened) change nothing. The clock is always an
 * argument. Every change of status is reported as a BreakerChanged value.
 */

/** Mirrors the BreakerState enum of schemas/io.gexstream.SourceStats.avsc. */
export type BreakerStatus = 'closed' | 'open' | 'half_open';

export interface BreakerConfig {
  /** Consecutive failures that open a closed breaker. */
  readonly failureThreshold: number;
  /** Opens on the failure share of recent outcomes too, when set. */
  readonly failureRatio: { readonly window: number; readonly minRequests: number; readonly threshold: number } | null;
  /** How long an open breaker holds before it probes, in ms. */
  readonly cooldownMs: number;
  /** Probes allowed at once while half_open. */
  readonly halfOpenProbes: number;
  /** A probe with no answer after this long no longer counts against `halfOpenProbes`, in ms. */
  readonly probeTimeoutMs: number;
}

export const defaultBreakerConfig: BreakerConfig = {
  failureThreshold: 5,
  failureRatio: null,
  cooldownMs: 30_000, // 30 s
  halfOpenProbes: 1,
  probeTimeoutMs: 30_000, // 30 s
};

export interface BreakerState {
  readonly source: string;
  readonly status: BreakerStatus;
  readonly consecutiveFailures: number;
  /** Outcomes while closed, oldest first, true = failure; bounded by `failureRatio.window`. */
  readonly recent: readonly boolean[];
  readonly openedAtMs: number | null;
  readonly probesInFlight: number;
  readonly lastProbeAtMs: number | null;
}

export type Admission = 'allow' | 'probe' | 'hold';

export type BreakerOutcome =
  | { readonly type: 'probe_started'; readonly atMs: number }
  | { readonly type: 'success'; readonly atMs: number }
  | { readonly type: 'failure'; readonly atMs: number };

export interface BreakerChanged {
  readonly type: 'BreakerChanged';
  readonly source: string;
  readonly from: BreakerStatus;
  readonly to: BreakerStatus;
  readonly at_ms: number;
  readonly reason: string;
}

export interface BreakerStep {
  readonly state: BreakerState;
  /** Set when the status changed. */
  readonly change: BreakerChanged | null;
}

export const initialBreaker = (source: string): BreakerState => ({
  source,
  status: 'closed',
  consecutiveFailures: 0,
  recent: [],
  openedAtMs: null,
  probesInFlight: 0,
  lastProbeAtMs: null,
});

const whole = (x: number, min: number): number => (Number.isFinite(x) ? Math.max(min, Math.floor(x)) : min);

const probeSlotFree = (s: BreakerState, nowMs: number, c: BreakerConfig): boolean =>
  s.probesInFlight < whole(c.halfOpenProbes, 1) || (s.lastProbeAtMs !== null && nowMs - s.lastProbeAtMs >= c.probeTimeoutMs);

const cooledDown = (s: BreakerState, nowMs: number, c: BreakerConfig): boolean => s.openedAtMs === null || nowMs - s.openedAtMs >= c.cooldownMs;

/** Whether a request to the source may go now: as a normal request, as a probe, or not at all. */
export const decideAdmission = (state: BreakerState, nowMs: number, config: BreakerConfig = defaultBreakerConfig): Admission => {
  switch (state.status) {
    case 'closed':
      return 'allow';
    case 'open':
      return cooledDown(state, nowMs, config) ? 'probe' : 'hold';
    case 'half_open':
      return probeSlotFree(state, nowMs, config) ? 'probe' : 'hold';
    default: {
      const never: never = state.status;
      throw new Error(`unknown breaker status ${String(never)}`);
    }
  }
};

const changed = (from: BreakerState, to: BreakerState, atMs: number, reason: string): BreakerStep => ({
  state: to,
  change: { type: 'BreakerChanged', source: from.source, from: from.status, to: to.status, at_ms: atMs, reason },
});

const unchanged = (state: BreakerState): BreakerStep => ({ state, change: null });

const open = (s: BreakerState, atMs: number, reason: string): BreakerStep =>
  changed(s, { ...s, status: 'open', consecutiveFailures: 0, recent: [], openedAtMs: atMs, probesInFlight: 0, lastProbeAtMs: null }, atMs, reason);

/** Why a closed breaker must open after these outcomes, or null. */
const tripReason = (s: BreakerState, c: BreakerConfig): string | null => {
  const n = whole(c.failureThreshold, 1);
  if (s.consecutiveFailures >= n) return `${s.consecutiveFailures} consecutive failures (threshold ${n})`;
  const r = c.failureRatio;
  if (r === null) return null;
  if (s.recent.length < whole(r.minRequests, 1)) return null;
  const failures = s.recent.filter((f) => f).length;
  const ratio = failures / s.recent.length;
  return ratio >= r.threshold ? `failure ratio ${ratio.toFixed(2)} over the last ${s.recent.length} requests (threshold ${r.threshold})` : null;
};

const remember = (recent: readonly boolean[], failed: boolean, c: BreakerConfig): readonly boolean[] => {
  if (c.failureRatio === null) return recent;
  const w = whole(c.failureRatio.window, 1);
  const next = [...recent, failed];
  return next.length > w ? next.slice(next.length - w) : next;
};

/** The breaker after one outcome of a request to its source. */
export const evolveBreaker = (state: BreakerState, outcome: BreakerOutcome, config: BreakerConfig = defaultBreakerConfig): BreakerStep => {
  const at = outcome.atMs;
  switch (outcome.type) {
    case 'probe_started':
      if (state.status === 'open') {
        // A probe before the cool-down is an edge bug; it must not shorten the hold.
        if (!cooledDown(state, at, config)) return unchanged(state);
        return changed(state, { ...state, status: 'half_open', probesInFlight: 1, lastProbeAtMs: at }, at, `cool-down of ${config.cooldownMs} ms elapsed; probing`);
      }
      if (state.status === 'half_open') {
        const timedOut = state.lastProbeAtMs !== null && at - state.lastProbeAtMs >= config.probeTimeoutMs;
        return unchanged({ ...state, probesInFlight: (timedOut ? 0 : state.probesInFlight) + 1, lastProbeAtMs: at });
      }
      return unchanged(state);
    case 'success':
      if (state.status === 'closed') return unchanged({ ...state, consecutiveFailures: 0, recent: remember(state.recent, false, config) });
      if (state.status === 'half_open') return changed(state, { ...initialBreaker(state.source) }, at, 'probe succeeded');
      return unchanged(state);
    case 'failure': {
      if (state.status === 'half_open') return open(state, at, 'probe failed');
      if (state.status === 'open') return unchanged(state);
      const next = { ...state, consecutiveFailures: state.consecutiveFailures + 1, recent: remember(state.recent, true, config) };
      const reason = tripReason(next, config);
      return reason === null ? unchanged(next) : open(next, at, reason);
    }
    default: {
      const never: never = outcome;
      throw new Error(`unknown breaker outcome ${String((never as { type?: unknown }).type)}`);
    }
  }
};

/** One breaker per source; a source never seen is closed. */
export type Breakers = ReadonlyMap<string, BreakerState>;

export const breakerOf = (breakers: Breakers, source: string): BreakerState => breakers.get(source) ?? initialBreaker(source);

export const decideSourceAdmission = (breakers: Breakers, source: string, nowMs: number, config: BreakerConfig = defaultBreakerConfig): Admission =>
  decideAdmission(breakerOf(breakers, source), nowMs, config);

/** Evolves the breaker of `source` only; every other entry is the same object as before. */
export const evolveBreakers = (
  breakers: Breakers,
  source: string,
  outcome: BreakerOutcome,
  config: BreakerConfig = defaultBreakerConfig,
): { readonly breakers: Breakers; readonly change: BreakerChanged | null } => {
  const step = evolveBreaker(breakerOf(breakers, source), outcome, config);
  const next = new Map(breakers);
  next.set(source, step.state);
  return { breakers: next, change: step.change };
};
