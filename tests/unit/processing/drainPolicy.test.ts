// The drain policy: critical is never held, lower levels wait while higher ones have work yet keep their minimum share, and run free when the way is clear.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import {
  defaultDrainConfig,
  drainActions,
  planDrain,
  validateDrainConfig,
  type DrainConfig,
  type DrainPlan,
  type LevelLoad,
  type LevelLoads,
  type ProcessedCounts,
} from '../../../src/domain/processing/drainPolicy.js';
import { LEVELS, levelRank, type Level } from '../../../src/domain/priority/level.js';
import { mulberry32 } from '../../../src/domain/prng.js';
import { simulate, sum, windows, zeros } from './drainSim.js';

const C: DrainConfig = { minShare: 0.05, windowMs: 1_000, planIntervalMs: 100 };
const idle: LevelLoad = { lag: 0, inFlight: 0, paused: false };
const loads = (over: Partial<Record<Level, Partial<LevelLoad>>> = {}): LevelLoads => ({
  critical: { ...idle, ...over.critical },
  high: { ...idle, ...over.high },
  medium: { ...idle, ...over.medium },
  low: { ...idle, ...over.low },
});
const counts = (over: Partial<ProcessedCounts> = {}): ProcessedCounts => ({ ...zeros(), ...over });
const actions = (p: DrainPlan) => LEVELS.map((l) => p[l].action);
const budgetOf = (p: DrainPlan, l: Level): number | null => {
  const x = p[l];
  return x.action === 'throttle' ? x.budget : null;
};

const table = suite('drain policy: plans');

table('nothing anywhere: every level runs', () => {
  assert.equal(actions(planDrain(loads(), counts(), C)), ['run', 'run', 'run', 'run']);
});

table('critical backlog: critical runs, every lower level with a backlog well ahead of its share is paused', () => {
  const p = planDrain(loads({ critical: { lag: 500 }, high: { lag: 10 }, medium: { lag: 10 }, low: { lag: 10 } }), counts({ critical: 600, high: 150, medium: 150, low: 150 }), C);
  assert.equal(actions(p), ['run', 'pause', 'pause', 'pause']);
  assert.match(p.low.reason, /^critical, high, medium have work; has its share/);
  assert.match(p.high.reason, /^critical has work; has its share/);
});

table('critical with messages in flight and no lag still holds lower levels', () => {
  const p = planDrain(loads({ critical: { inFlight: 3 }, low: { lag: 10 } }), counts({ critical: 900, low: 100 }), C);
  assert.is(p.critical.action, 'run');
  assert.is(p.low.action, 'pause');
});

table('high busy, critical empty: high runs at full speed, medium and low are held', () => {
  const p = planDrain(loads({ high: { lag: 50 }, medium: { lag: 50 }, low: { lag: 50 } }), counts({ high: 700, medium: 150, low: 150 }), C);
  assert.equal(actions(p), ['run', 'run', 'pause', 'pause']);
  assert.match(p.medium.reason, /^high has work/);
});

table('medium busy, higher levels empty: medium runs, only low is held', () => {
  const p = planDrain(loads({ medium: { lag: 5 }, low: { lag: 5 } }), counts({ medium: 500, low: 500 }), C);
  assert.equal(actions(p), ['run', 'run', 'run', 'pause']);
  assert.match(p.low.reason, /^medium has work/);
});

table('all higher levels empty: low runs at full speed however much it already took', () => {
  const p = planDrain(loads({ low: { lag: 1_000_000, inFlight: 500 } }), counts({ critical: 0, low: 100_000 }), C);
  assert.is(p.low.action, 'run');
});

table('a level below its share gets a budget that lifts it back to minShare', () => {
  // others 950 done + 95 expected next interval: low needs 0.05 * 1045 / 0.95 = 55 messages in all, has 0 + 10 in flight.
  const p = planDrain(loads({ critical: { lag: 1000, inFlight: 0 }, low: { lag: 1000, inFlight: 10 } }), counts({ critical: 950, low: 0 }), C);
  assert.is(budgetOf(p, 'low'), 45);
  assert.match(p.low.reason, /below its share of 0\.05/);
});

table('a level at its share keeps getting its share of the next interval', () => {
  // 950 critical + 50 low in the window: low is at 5 %; 95 critical expected next, 5 % of which is 5 messages.
  const p = planDrain(loads({ critical: { lag: 1000 }, low: { lag: 1000 } }), counts({ critical: 950, low: 50 }), C);
  assert.is(budgetOf(p, 'low'), 5);
});

table('the budget never exceeds what waits on the level', () => {
  const p = planDrain(loads({ critical: { lag: 1000 }, low: { lag: 2 } }), counts({ critical: 10_000 }), C);
  assert.is(budgetOf(p, 'low'), 2);
});

table('a waiting level with no work in the window gets a message even when nothing was processed', () => {
  const p = planDrain(loads({ critical: { lag: 1000, inFlight: 7 }, high: { lag: 3 }, medium: { lag: 0 } }), counts(), C);
  assert.equal(actions(p), ['run', 'throttle', 'pause', 'pause']);
  assert.is(budgetOf(p, 'high'), 1);
  assert.match(p.medium.reason, /nothing waiting/);
});

table('a held level with nothing waiting is paused, not throttled', () => {
  const p = planDrain(loads({ critical: { lag: 10 }, low: { lag: 0, inFlight: 0 } }), counts({ critical: 1000 }), C);
  assert.is(p.low.action, 'pause');
  assert.match(p.low.reason, /nothing waiting/);
});

table('each lower level keeps its own share: several levels below their share all get budgets', () => {
  const p = planDrain(loads({ critical: { lag: 1000 }, high: { lag: 1000 }, medium: { lag: 1000 }, low: { lag: 1000 } }), counts({ critical: 1000 }), C);
  assert.equal(actions(p), ['run', 'throttle', 'throttle', 'throttle']);
  for (const l of ['high', 'medium', 'low'] as const) assert.ok((budgetOf(p, l) ?? 0) >= 1, l);
});

table('negative and non-finite inputs are read as 0', () => {
  const p = planDrain(
    loads({ critical: { lag: -5, inFlight: Number.NaN }, high: { lag: Infinity }, low: { lag: 10 } }),
    counts({ critical: -100, high: Number.NaN }),
    C,
  );
  // critical has no work, high's infinite lag is not a count: nobody above low has work.
  assert.equal(actions(p), ['run', 'run', 'run', 'run']);
});

table('the same input gives the same plan', () => {
  const l = loads({ critical: { lag: 10 }, high: { lag: 7, inFlight: 1 }, low: { lag: 1000 } });
  const c = counts({ critical: 321, high: 9, low: 3 });
  assert.equal(planDrain(l, c, C), planDrain(l, c, C));
});

table('drainActions: pause what the plan holds and is running, resume what it runs or throttles and is paused', () => {
  const l = loads({ critical: { lag: 10, paused: true }, high: { lag: 10, paused: false }, medium: { lag: 0, paused: true }, low: { lag: 10, paused: true } });
  const plan = planDrain(l, counts({ critical: 900, high: 100, low: 0 }), C);
  assert.equal(actions(plan), ['run', 'pause', 'pause', 'throttle']);
  assert.equal(drainActions(l, plan), { pause: ['high'], resume: ['critical', 'low'] });
});

table('validateDrainConfig refuses a share outside (0, 1) and non-positive spans', () => {
  assert.ok(isRight(validateDrainConfig(defaultDrainConfig)));
  for (const bad of [{ ...C, minShare: 0 }, { ...C, minShare: 1 }, { ...C, minShare: Number.NaN }, { ...C, windowMs: 0 }, { ...C, planIntervalMs: -1 }]) {
    const r = validateDrainConfig(bad);
    assert.ok(isLeft(r), JSON.stringify(bad));
  }
  const r = validateDrainConfig({ ...C, minShare: 1.5 });
  assert.equal(r, { _tag: 'Left', left: 'minShare: expected a number in (0, 1), got 1.5' });
});

table.run();

const props = suite('drain policy: properties');

const anyCount = fc.oneof(fc.nat({ max: 1_000_000 }), fc.constant(0), fc.double({ noNaN: false }), fc.constant(-1));
const anyLoad = fc.record({ lag: anyCount, inFlight: anyCount, paused: fc.boolean() });
const anyLoads = fc.record({ critical: anyLoad, high: anyLoad, medium: anyLoad, low: anyLoad });
const anyCounts = fc.record({ critical: anyCount, high: anyCount, medium: anyCount, low: anyCount });
const anyConfig = fc.record({
  minShare: fc.double({ min: 0.001, max: 0.5, noNaN: true }),
  windowMs: fc.integer({ min: 100, max: 60_000 }),
  planIntervalMs: fc.integer({ min: 10, max: 1_000 }),
});
const isCount = (x: number) => Number.isFinite(x) && x >= 1;
const hasWork = (l: LevelLoad) => isCount(l.lag) || isCount(l.inFlight);

props('critical is always run', () => {
  fc.assert(fc.property(anyLoads, anyCounts, anyConfig, (l, c, cfg) => planDrain(l, c, cfg).critical.action === 'run'));
});

props('a level runs exactly when no higher level has work', () => {
  fc.assert(
    fc.property(anyLoads, anyCounts, anyConfig, (l, c, cfg) => {
      const p = planDrain(l, c, cfg);
      return LEVELS.every((lv) => {
        const busyAbove = LEVELS.some((h) => levelRank(h) > levelRank(lv) && hasWork(l[h]));
        return (p[lv].action === 'run') === !busyAbove;
      });
    }),
  );
});

props('a budget is a whole number between 1 and the lag', () => {
  fc.assert(
    fc.property(anyLoads, anyCounts, anyConfig, (l, c, cfg) => {
      const p = planDrain(l, c, cfg);
      return LEVELS.every((lv) => {
        const x = p[lv];
        return x.action !== 'throttle' || (Number.isInteger(x.budget) && x.budget >= 1 && x.budget <= l[lv].lag);
      });
    }),
  );
});

props('a held level that has waiting messages and no work in the window is never paused', () => {
  fc.assert(
    fc.property(anyLoads, anyConfig, (l, cfg) => {
      const p = planDrain(l, zeros(), cfg);
      return LEVELS.every((lv) => !(isCount(l[lv].lag) && !isCount(l[lv].inFlight)) || p[lv].action !== 'pause');
    }),
  );
});

props.run();

const sim = suite('drain policy: simulated windows');
const W = C.windowMs / C.planIntervalMs;

sim('100 windows of continuous critical load: low keeps at least minShare, in total and in every window', () => {
  const r = simulate({
    config: C,
    rounds: 100 * W,
    arrivals: (l, round) => (l === 'critical' ? 200 : l === 'low' && round === 0 ? 1_000_000 : 0),
    capacity: () => 100,
  });
  assert.ok(r.lag.critical > 0, 'critical never ran dry: the load was continuous');
  assert.ok(r.total.low >= C.minShare * sum(r.total), `low ${r.total.low} of ${sum(r.total)}`);
  assert.ok(r.total.critical >= (1 - 2 * C.minShare) * sum(r.total), `critical ${r.total.critical} of ${sum(r.total)}`);
  const ws = windows(r.rounds, W).slice(1);
  assert.is(ws.length, 99);
  for (const [i, w] of ws.entries()) assert.ok(w.low >= C.minShare * sum(w), `window ${i + 1}: low ${w.low} of ${sum(w)}`);
  // The share is served round by round, not in bursts.
  assert.ok(r.rounds.slice(W).every((x) => x.low >= 1), 'low completes something every round');
});

sim('critical and high both busy: high, medium and low each keep minShare; critical takes the rest', () => {
  const r = simulate({
    config: C,
    rounds: 100 * W,
    arrivals: (l, round) => (l === 'critical' ? 200 : round === 0 ? 1_000_000 : 0),
    capacity: () => 100,
  });
  for (const l of ['high', 'medium', 'low'] as const) assert.ok(r.total[l] >= C.minShare * sum(r.total), `${l} ${r.total[l]} of ${sum(r.total)}`);
  assert.ok(r.total.critical >= 0.8 * sum(r.total));
});

sim('noisy capacity and work that stays in flight for a round: the share still holds in total, and no window starves', () => {
  for (const seed of [1, 2, 3]) {
    const rnd = mulberry32(seed);
    const share = 0.1;
    const r = simulate({
      config: { ...C, minShare: share },
      rounds: 100 * W,
      arrivals: (l, round) => (l === 'critical' ? Math.floor(rnd() * 300) : l === 'low' && round === 0 ? 1_000_000 : 0),
      capacity: () => 50 + Math.floor(rnd() * 100),
      delayed: true,
    });
    assert.ok(r.total.low >= share * sum(r.total), `seed ${seed}: low ${r.total.low} of ${sum(r.total)}`);
    for (const [i, w] of windows(r.rounds, W).slice(1).entries()) assert.ok(w.low >= 0.75 * share * sum(w), `seed ${seed} window ${i + 1}: low ${w.low} of ${sum(w)}`);
  }
});

sim('when the critical load stops, low runs at full speed from the next round', () => {
  const stop = 50 * W;
  const r = simulate({
    config: C,
    rounds: 60 * W,
    arrivals: (l, round) => (l === 'critical' && round < stop ? 90 : l === 'low' && round === 0 ? 1_000_000 : 0),
    capacity: () => 100,
  });
  for (const [i, p] of r.plans.slice(0, stop).entries()) assert.is.not(p.low.action, 'run', `round ${i}: low is held while critical has work`);
  for (const [i, p] of r.plans.slice(stop).entries()) assert.is(p.low.action, 'run', `round ${stop + i}`);
  for (const [i, done] of r.rounds.slice(stop).entries()) assert.is(done.low, 100, `round ${stop + i}: low has the whole capacity`);
  assert.ok(r.rounds.slice(0, stop).every((d) => d.low < 20), 'before that it had only its share');
});

sim('a stuck critical processor (in flight forever) does not starve low: it still gets a message per window', () => {
  const r = simulate({
    config: C,
    rounds: 20 * W,
    arrivals: (l, round) => (l === 'critical' ? 10 : l === 'low' && round === 0 ? 1_000 : 0),
    capacity: () => 100,
    stuckFrom: (l) => (l === 'critical' ? 0 : Infinity),
  });
  assert.is(r.total.critical, 0);
  for (const [i, w] of windows(r.rounds, W).entries()) assert.ok(w.low >= 1, `window ${i}: low ${w.low}`);
});

sim.run();
