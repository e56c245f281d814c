// Owns the drain policy: which level consumers run, pause or get a small budget, so critical drains first and no level starves.
/**
 * The Kafka edge calls {@link planDrain} every ~50-100 ms with what it sees (per level: lag on the level topic,
 * messages in flight, whether its consumer is paused) and the messages each level completed in the recent window
 * (`windowMs`), then applies the plan with consumer pause/resume only ({@link drainActions} says which).
 *
 * Semantics, per level:
 * - `critical` is always `run`: never paused, never throttled.
 * - A lower level runs at full speed (`run`) when no higher level has work (lag = 0 and in-flight = 0 on every
 *   level above it).
 * - While any higher level has work the lower level is held (`pause`), except that it keeps at least `minShare`
 *   of recent processing: when the messages it completed in the window, plus those it has in flight, are less than
 *   `minShare` of the window's total (counting what the other levels are expected to complete before the next plan,
 *   `planIntervalMs`), it gets `throttle` with a `budget`: the number of messages that lifts it back to its share,
 *   never more than its lag. A waiting level that completed nothing in the window and has nothing in flight always
 *   gets at least one message, so a stuck higher level cannot starve it forever.
 * - A held level with nothing waiting (lag = 0) is `pause`: there is nothing to give it.
 * - The guarantee holds for every lower level separately: with critical busy, high, medium and low each keep
 *   `minShare` when they have work.
 *
 * A budget is "messages the level may start from now until the next plan", and each plan replaces the previous one
 * (budgets do not add up): the edge resumes the consumer and pauses it again after `budget` messages or when the
 * next plan says `pause`. Because the next plan counts what was just completed, the policy corrects itself.
 * Negative or non-finite lags and counts are read as 0. Same input, same plan: no clock, no randomness.
 */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { LEVELS, levelRank, type Level } from '../priority/level.js';

/** What the edge sees of one level's consumer. */
export interface LevelLoad {
  /** Messages waiting on the level topic (end offset minus committed offset, summed over partitions). */
  readonly lag: number;
  /** Messages fetched and not yet completed. */
  readonly inFlight: number;
  readonly paused: boolean;
}

export type LevelLoads = Readonly<Record<Level, LevelLoad>>;

/** Messages each level completed in the recent window (`windowMs`). */
export type ProcessedCounts = Readonly<Record<Level, number>>;

export interface DrainConfig {
  /** The share of processing in (0, 1) a lower level keeps while higher levels have work, e.g. 0.05. */
  readonly minShare: number;
  /** The span of the processed counts, in ms. */
  readonly windowMs: number;
  /** How often the edge plans, in ms: the budget anticipates what the other levels complete until the next plan. */
  readonly planIntervalMs: number;
}

export const defaultDrainConfig: DrainConfig = { minShare: 0.05, windowMs: 1_000, planIntervalMs: 100 };

export type LevelPlan =
  | { readonly action: 'run'; readonly reason: string }
  | { readonly action: 'pause'; readonly reason: string }
  | { readonly action: 'throttle'; readonly budget: number; readonly reason: string };

export type DrainPlan = Readonly<Record<Level, LevelPlan>>;

export type DrainAction = LevelPlan['action'];

/** Refuses a config the policy cannot honour; the edge decodes its config once and keeps the result. */
export const validateDrainConfig = (c: DrainConfig): Either<string, DrainConfig> => {
  if (!(Number.isFinite(c.minShare) && c.minShare > 0 && c.minShare < 1)) return left(`minShare: expected a number in (0, 1), got ${c.minShare}`);
  if (!(Number.isFinite(c.windowMs) && c.windowMs > 0)) return left(`windowMs: expected a number > 0, got ${c.windowMs}`);
  if (!(Number.isFinite(c.planIntervalMs) && c.planIntervalMs > 0)) return left(`planIntervalMs: expected a number > 0, got ${c.planIntervalMs}`);
  return right(c);
};

const count = (x: number): number => (Number.isFinite(x) && x > 0 ? x : 0);
const hasWork = (l: LevelLoad): boolean => count(l.lag) > 0 || count(l.inFlight) > 0;
// Float noise (0.05 * 1900 / 0.95 = 100.00000000000001) must not cost a whole message.
const ceil = (x: number): number => Math.ceil(x - 1e-9);

/** The plan for one level; exported for the edge's logs and for tests, `planDrain` is the entry point. */
export const planLevel = (level: Level, loads: LevelLoads, processed: ProcessedCounts, config: DrainConfig): LevelPlan => {
  if (level === 'critical') return { action: 'run', reason: 'critical is never held' };
  const busyAbove = LEVELS.filter((l) => levelRank(l) > levelRank(level) && hasWork(loads[l]));
  if (busyAbove.length === 0) return { action: 'run', reason: 'no higher level has work' };
  const held = `${busyAbove.join(', ')} ${busyAbove.length === 1 ? 'has' : 'have'} work`;
  const lag = count(loads[level].lag);
  if (lag === 0) return { action: 'pause', reason: `${held}; nothing waiting` };

  const s = Math.min(Math.max(Number.isFinite(config.minShare) ? config.minShare : 0, 0), 0.999);
  const own = count(processed[level]);
  const inFlight = count(loads[level].inFlight);
  const others = LEVELS.reduce((sum, l) => (l === level ? sum : sum + count(processed[l])), 0);
  const interval = Number.isFinite(config.planIntervalMs) && config.planIntervalMs > 0 ? config.planIntervalMs : 0;
  const window = Number.isFinite(config.windowMs) && config.windowMs > 0 ? config.windowMs : Infinity;
  const expectedOthers = (others * interval) / window;
  // own + inFlight + b >= s * (own + others + expectedOthers + inFlight + b)  <=>  b >= s * (others + expectedOthers) / (1 - s) - (own + inFlight)
  // Negative when the level is ahead of its share.
  const catchUp = ceil((s * (others + expectedOthers)) / (1 - s) - (own + inFlight));
  // Its share of what the others complete until the next plan. A level less than that far ahead keeps getting it:
  // without it the level would get its share in bursts whenever old counts leave the window, and what it fetches
  // now completes after the others' next interval.
  const steady = Math.round((s * expectedOthers) / (1 - s));
  const need = Math.max(catchUp + steady > 0 ? Math.max(catchUp, steady) : 0, own + inFlight === 0 ? 1 : 0);
  if (need <= 0) return { action: 'pause', reason: `${held}; has its share (${shareText(own, own + others)} of the window)` };
  const budget = Math.min(need, lag);
  return { action: 'throttle', budget, reason: `${held}; below its share of ${s} (${shareText(own, own + others)} of the window), budget ${budget}` };
};

const shareText = (own: number, total: number): string => (total === 0 ? '0/0' : (own / total).toFixed(4));

/** The plan for every level. */
export const planDrain = (loads: LevelLoads, processed: ProcessedCounts, config: DrainConfig = defaultDrainConfig): DrainPlan => ({
  critical: planLevel('critical', loads, processed, config),
  high: planLevel('high', loads, processed, config),
  medium: planLevel('medium', loads, processed, config),
  low: planLevel('low', loads, processed, config),
});

/** The consumer calls that bring the current pause states in line with the plan: throttled levels are resumed (the edge pauses them again after their budget). */
export const drainActions = (loads: LevelLoads, plan: DrainPlan): { readonly pause: Level[]; readonly resume: Level[] } => {
  const pause: Level[] = [];
  const resume: Level[] = [];
  for (const l of LEVELS) {
    const p = plan[l];
    switch (p.action) {
      case 'pause':
        if (!loads[l].paused) pause.push(l);
        break;
      case 'run':
      case 'throttle':
        if (loads[l].paused) resume.push(l);
        break;
      default: {
        const never: never = p;
        throw new Error(`unknown plan ${String((never as { action?: unknown }).action)}`);
      }
    }
  }
  return { pause, resume };
};
