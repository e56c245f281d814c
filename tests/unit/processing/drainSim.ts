// Owns a small discrete simulation of the priority consumers under the drain policy, for the starvation tests.
import { planDrain, type DrainConfig, type DrainPlan } from '../../../src/domain/processing/drainPolicy.js';
import { LEVELS, type Level } from '../../../src/domain/priority/level.js';

export type PerLevel = Record<Level, number>;
export const zeros = (): PerLevel => ({ critical: 0, high: 0, medium: 0, low: 0 });

export interface SimOptions {
  readonly config: DrainConfig;
  /** Planning rounds; one round lasts planIntervalMs. */
  readonly rounds: number;
  /** Messages arriving on each level topic in a round. */
  readonly arrivals: (level: Level, round: number) => number;
  /** Messages the shared processors can start in a round. */
  readonly capacity: (round: number) => number;
  /** When true a message started in a round completes in the next one (it is in flight meanwhile). */
  readonly delayed?: boolean;
  /** Levels whose messages never complete from this round on (a stuck processor). */
  readonly stuckFrom?: (level: Level) => number;
}

export interface SimResult {
  /** Completed per round. */
  readonly rounds: PerLevel[];
  readonly plans: DrainPlan[];
  readonly total: PerLevel;
  readonly lag: PerLevel;
}

/**
 * Each round: arrivals, then a plan from the lag, in-flight and the last window's completions, then the shared
 * capacity is spent on the throttled levels' budgets first and on running levels by priority after.
 */
export const simulate = (o: SimOptions): SimResult => {
  const w = Math.round(o.config.windowMs / o.config.planIntervalMs);
  const lag = zeros();
  let inFlight = zeros();
  const rounds: PerLevel[] = [];
  const plans: DrainPlan[] = [];
  const total = zeros();
  const load = (l: Level) => ({ lag: lag[l], inFlight: inFlight[l], paused: false });
  for (let r = 0; r < o.rounds; r++) {
    for (const l of LEVELS) lag[l] += o.arrivals(l, r);
    const processed = zeros();
    for (const done of rounds.slice(-w)) for (const l of LEVELS) processed[l] += done[l];
    const loads = { critical: load('critical'), high: load('high'), medium: load('medium'), low: load('low') };
    const plan = planDrain(loads, processed, o.config);
    plans.push(plan);
    let capacity = o.capacity(r);
    const started = zeros();
    const take = (l: Level, n: number) => {
      const k = Math.max(0, Math.min(n, lag[l], capacity));
      started[l] += k;
      lag[l] -= k;
      capacity -= k;
    };
    for (const l of LEVELS) {
      const p = plan[l];
      if (p.action === 'throttle') take(l, p.budget);
    }
    for (const l of LEVELS) if (plan[l].action === 'run') take(l, Infinity);
    const done = zeros();
    const stuck = (l: Level) => r >= (o.stuckFrom?.(l) ?? Infinity);
    if (o.delayed) {
      for (const l of LEVELS) done[l] = stuck(l) ? 0 : inFlight[l];
      inFlight = Object.fromEntries(LEVELS.map((l) => [l, (stuck(l) ? inFlight[l] : 0) + started[l]])) as PerLevel;
    } else {
      for (const l of LEVELS) {
        if (stuck(l)) inFlight[l] += started[l];
        else done[l] = started[l];
      }
    }
    rounds.push(done);
    for (const l of LEVELS) total[l] += done[l];
  }
  return { rounds, plans, total, lag: { ...lag } };
};

export const sum = (p: PerLevel): number => LEVELS.reduce((s, l) => s + p[l], 0);

/** Completions per consecutive window of `w` rounds. */
export const windows = (rounds: readonly PerLevel[], w: number): PerLevel[] => {
  const out: PerLevel[] = [];
  for (let i = 0; i + w <= rounds.length; i += w) {
    const acc = zeros();
    for (const r of rounds.slice(i, i + w)) for (const l of LEVELS) acc[l] += r[l];
    out.push(acc);
  }
  return out;
};
