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
 * - While any higher level has work the lower level is held, except that it keeps at least `minShare` (s) of
 *   recent processing. Work counts once started (completed in the window plus in flight), for every level. With
 *   `own` = this level's work, `others` = the other levels' work, and `next` = what the others are expected to start
 *   before the next plan (their window rate x planIntervalMs / windowMs):
 *     catchUp = ceil(s * (others + next) / (1 - s) - own)   the messages that bring it to s of the total by then
 *     steady  = round(s * next / (1 - s))                   its share of the next interval alone
 *   it gets `throttle` with `budget` = max(catchUp, steady), never more than its lag, unless it is a whole
 *   interval's share or more ahead (catchUp + steady <= 0): then `pause`. The steady part serves the level evenly
 *   instead of in bursts whenever old counts leave the window. A waiting level with no work in the window gets at
 *   least one message, so even a stuck higher level cannot starve it forever.
 * - A held level with nothing waiting (lag = 0) is `pause`: there is nothing to give it.
 * - The guarantee holds for every lower level separately: with critical busy, high, medium and low each keep
 *   `minShare` when they have work.
 *
 * A budget is "messages the level may start from now until the next plan", and each plan replaces the previous one
 * (budgets do not add up): the edge resumes the consumer and pauses it again after `budget` messages or when the
 * next plan says `pause`. Because the next plan counts what was just started, the policy corrects itself.
 * Lags and counts are whole messages: fractions are floored, negative or non-finite values read as 0.
 * Same input, same plan: no clock, no randomness.
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

const count = (x: number): number => (Number.isFinite(x) && x > 0 ? Math.floor(x) : 0);
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
  // Work counts once started: completed in the window plus in flight, for this level and for the others alike.
  const own = count(processed[level]) + count(loads[level].inFlight);
  const othersDone = LEVELS.reduce((sum, l) => (l === level ? sum : sum + count(processed[l])), 0);
  const others = othersDone + LEVELS.reduce((sum, l) => (l === level ? sum : sum + count(loads[l].inFlight)), 0);
  const interval = Number.isFinite(config.planIntervalMs) && config.planIntervalMs > 0 ? config.planIntervalMs : 0;
  const window = Number.isFinite(config.windowMs) && config.windowMs > 0 ? config.windowMs : Infinity;
  // What the others will start before the next plan, at the window's rate.
  const expectedOthers = (othersDone * interval) / window;
  // own + b >= s * (own + b + others + expectedOthers)  <=>  b >= s * (others + expectedOthers) / (1 - s) - own; negative when ahead.
  const catchUp = ceil((s * (others + expectedOthers)) / (1 - s) - own);
  // Its share of what the others start until the next plan. A level less than that far ahead keeps getting it:
  // without it the level would get its share in bursts, whenever old counts leave the window.
  const steady = Math.round((s * expectedOthers) / (1 - s));
  const need = Math.max(catchUp + steady > 0 ? Math.max(catchUp, steady) : 0, own === 0 ? 1 : 0);
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
