// The priority score: bounds and NaN-freedom for any input, monotonicity of each component, and the configuration codec.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { decodePriorityConfig, defaultPriorityConfig, type PriorityConfig } from '../../../src/domain/priority/config.js';
import { decide } from '../../../src/domain/priority/decide.js';
import { readFacts, type PriorityInput } from '../../../src/domain/priority/facts.js';
import { LEVELS } from '../../../src/domain/priority/level.js';
import { scoreFacts } from '../../../src/domain/priority/score.js';
import { blankStrike, type CanonicalSnapshot, type Strike } from '../../../src/domain/snapshot.js';
import { columnsOfRows, noStrikes } from '../../../src/domain/strikeColumns.js';
import { defaultGuidelines, input, snapshot, strikes, T_RTH } from './helpers.js';

const test = suite('priority score');
const C = defaultPriorityConfig;
const scoreOf = (i: PriorityInput, now = T_RTH + 1000, c: PriorityConfig = C) => scoreFacts(readFacts(i, now, c.source.default_reliability), i.recentNetGexRange, c);
const inUnit = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1;

const anyNumber = fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(Infinity), fc.constant(-Infinity), fc.integer(), fc.constant(null), fc.constant(undefined));
const anyStrike = fc.record({ strike: anyNumber, call_oi: anyNumber, put_oi: anyNumber, call_volume: anyNumber, put_volume: anyNumber, net_gex: anyNumber }, { requiredKeys: [] });
const anySnapshot = fc.record(
  {
    ticker: fc.oneof(fc.constantFrom('SPX', 'QQQ', 'NDX'), fc.string(), fc.constant(null)),
    data_type: fc.oneof(fc.constantFrom('real_time', 'snapshot', 'historical'), fc.string()),
    timestamp_ms: anyNumber,
    min_dte: anyNumber,
    spot: anyNumber,
    net_gex_oi: anyNumber,
    sum_gex_vol: anyNumber,
    strikes: fc.oneof(
      // columns whose cells are anything a number can be (NaN is null, Infinity is malformed)
      fc.array(anyStrike, { maxLength: 20 }).map((rows) => columnsOfRows(rows.map((r) => ({ ...blankStrike(0), ...r }) as Strike))),
      fc.constant(null),
      fc.constant(undefined),
      fc.constant([]),
      fc.constant({ count: 3, columns: null }),
      fc.constant({ count: 2, strike: new Float64Array(0), columns: { call_oi: new Float64Array(0), net_gex: [1, 2] } }),
    ),
    derived: fc.oneof(
      fc.constant(null),
      fc.record({ net_gex: anyNumber, total_call_oi: anyNumber, total_put_oi: anyNumber, total_volume: anyNumber }, { requiredKeys: [] }),
    ),
  },
  { requiredKeys: [] },
);
const anyInput = fc.record(
  {
    snapshot: anySnapshot,
    sourceStats: fc.oneof(fc.constant(null), fc.record({ reliability: anyNumber, ema_latency_ms: anyNumber })),
    recentNetGexRange: fc.oneof(fc.constant(null), fc.record({ min: anyNumber, max: anyNumber })),
    marketEvent: fc.oneof(fc.constant(null), fc.string()),
    headers: fc.dictionary(fc.string(), fc.string()),
  },
  { requiredKeys: ['snapshot'] },
) as unknown as fc.Arbitrary<PriorityInput>;

test('for any input, even malformed, the score and every component are finite and in [0,1]', () => {
  fc.assert(
    fc.property(anyInput, anyNumber, (i, now) => {
      const s = scoreOf(i, now as number);
      return inUnit(s.score) && inUnit(s.components.market_impact) && inUnit(s.components.freshness) && inUnit(s.components.source_reliability) && inUnit(s.components.urgency);
    }),
    { numRuns: 3000 },
  );
});

test('decide() with the default guidelines never throws on any input and always gives a level and a score in [0,1]', () => {
  const rules = defaultGuidelines();
  fc.assert(
    fc.property(anyInput, anyNumber, fc.oneof(fc.constant(undefined), fc.string(), fc.constantFrom('critical', 'low')), (i, now, requested) => {
      const d = decide({ ...i, ...(requested === undefined ? {} : { requestedLevel: requested }) }, rules, C, now as number);
      return (LEVELS as readonly string[]).includes(d.level) && inUnit(d.score) && d.rule_set_version === rules.version;
    }),
    { numRuns: 3000 },
  );
});

test('for any weights and thresholds the configuration accepts, the score stays in [0,1]', () => {
  const w = fc.double({ min: 0, max: 1000, noNaN: true });
  fc.assert(
    fc.property(fc.tuple(w, w, w, w), anyInput, ([a, b, c, d], i) => {
      const cfg = decodePriorityConfig({ weights: { market_impact: a, freshness: b, source_reliability: c, urgency: d } });
      if (isLeft(cfg)) return a + b + c + d === 0;
      return inUnit(scoreOf(i, T_RTH, cfg.right).score);
    }),
    { numRuns: 1000 },
  );
});

test('market impact never decreases with more open interest, volume or |net GEX|', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.double({ min: 0, max: 1e9, noNaN: true }), fc.constantFrom('oi', 'vol', 'gex'), (a, b, which) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const withValue = (x: number): CanonicalSnapshot['derived'] => ({
        ...(snapshot().derived ?? { convention: '', unit: '', net_gex_vol: null, net_gex_oi: null, major_pos_vol: null, major_neg_vol: null, major_pos_oi: null, major_neg_oi: null, zero_gamma: null, quality_score: 1, quality_notes: [] }),
        net_gex: which === 'gex' ? -x : 1e6,
        total_call_oi: which === 'oi' ? x : 1e5,
        total_put_oi: which === 'oi' ? 0 : 1e5,
        total_volume: which === 'vol' ? x : 1e5,
      });
      return scoreOf(input({ derived: withValue(lo) })).components.market_impact <= scoreOf(input({ derived: withValue(hi) })).components.market_impact;
    }),
  );
});

test('freshness never increases with age, and real-time decays with a one-minute half-life', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 86_400_000 }), fc.integer({ min: 0, max: 86_400_000 }), fc.constantFrom('real_time', 'snapshot', 'historical') as fc.Arbitrary<'real_time'>, (a, b, dt) => {
      const [young, old] = a <= b ? [a, b] : [b, a];
      const i = input({ data_type: dt });
      return scoreOf(i, T_RTH + young).components.freshness >= scoreOf(i, T_RTH + old).components.freshness;
    }),
  );
  const rt = input({ data_type: 'real_time' });
  assert.ok(Math.abs(scoreOf(rt, T_RTH).components.freshness - 1) < 1e-12);
  assert.ok(Math.abs(scoreOf(rt, T_RTH + 60_000).components.freshness - 0.5) < 1e-12);
  assert.ok(scoreOf(rt, T_RTH + 600_000).components.freshness < 0.001);
});

test('fresh real-time is fresher than an on-demand snapshot, which is fresher than historical', () => {
  const f = (dt: 'real_time' | 'snapshot' | 'historical') => scoreOf(input({ data_type: dt }), T_RTH + 1000).components.freshness;
  assert.ok(f('real_time') > f('snapshot'));
  assert.ok(f('snapshot') > f('historical'));
  assert.ok(f('historical') > 0);
});

test('source reliability follows the success ratio, is shaded by latency, and defaults to 0.9 for an unknown source', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), (a, b, lat) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const r = (rel: number) => scoreOf(input({}, { sourceStats: { reliability: rel, ema_latency_ms: lat } })).components.source_reliability;
      return r(lo) <= r(hi);
    }),
  );
  assert.is(scoreOf(input({}, { sourceStats: null })).components.source_reliability, 0.9);
  const fast = scoreOf(input({}, { sourceStats: { reliability: 0.8, ema_latency_ms: 10 } })).components.source_reliability;
  const slow = scoreOf(input({}, { sourceStats: { reliability: 0.8, ema_latency_ms: 10_000 } })).components.source_reliability;
  assert.ok(fast > slow && slow >= 0.8 * 0.8);
});

test('urgency: a market event, 0DTE near the close (1) above 0DTE in the session (0.5); nothing for a stale or weekend 0DTE', () => {
  const u = (over: Partial<CanonicalSnapshot>, meta: Omit<PriorityInput, 'snapshot'> = {}, age = 1000) =>
    scoreOf(input(over, meta), (over.timestamp_ms ?? T_RTH) + age).components.urgency;
  const closeish = Date.parse('2025-06-11T15:45:00-04:00');
  assert.is(u({ min_dte: 1 }), 0);
  assert.is(u({ min_dte: 1 }, { marketEvent: 'fomc' }), 1);
  assert.is(u({ min_dte: 1 }, { headers: { 'gex-market-event': 'cpi' } }), 1, 'read from the header');
  assert.is(u({ min_dte: 0 }), 0.5);
  assert.is(u({ min_dte: 0, timestamp_ms: closeish }), 1);
  assert.is(u({ min_dte: 0, timestamp_ms: closeish }, {}, 3_600_000), 0, 'a back-fill of an old close is not urgent');
  assert.is(u({ min_dte: 0, timestamp_ms: Date.parse('2025-06-14T15:45:00-04:00') }), 0, 'Saturday');
});

test('|net GEX| is scored against the recent range when given, else against the reference scale', () => {
  const s = (range: PriorityInput['recentNetGexRange']) =>
    scoreOf(input({ derived: null, strikes: noStrikes(), net_gex_oi: -5e8 }, { recentNetGexRange: range })).components.market_impact;
  assert.is(s({ min: -1e9, max: 2e8 }), 0.5);
  assert.is(s({ min: -2e8, max: 1e8 }), 1, 'beyond the recent extreme is clamped to 1');
  assert.ok(Math.abs(s(null) - Math.log1p(5e8) / Math.log1p(1e9)) < 1e-12);
  assert.ok(Math.abs(s({ min: 0, max: 0 }) - s(null)) < 1e-12, 'an empty range falls back to the reference');
});

test('totals come from the derived block, else from the strikes; a snapshot with nothing scores 0 impact', () => {
  const fromStrikes = readFacts(input({ strikes: strikes(100, 1000, 500, 1e6) }), T_RTH, 0.9);
  assert.is(fromStrikes.total_oi, 200_000);
  assert.is(fromStrikes.total_volume, 100_000);
  assert.is(fromStrikes.strike_count, 100);
  assert.is(scoreOf(input({ strikes: noStrikes() })).components.market_impact, 0);
  assert.ok(scoreOf(input({ strikes: strikes(100) })).components.market_impact > 0);
});

test('a per-ticker reference scale changes the market impact of that ticker only', () => {
  const cfg = decodePriorityConfig({ reference: { tickers: { QQQ: { open_interest: 1000, volume: 1000, net_gex_abs: 1000 } } } });
  assert.ok(isRight(cfg));
  if (!isRight(cfg)) return;
  const snap = { strikes: strikes(10) };
  assert.ok(scoreOf(input({ ...snap, ticker: 'QQQ' }), T_RTH, cfg.right).components.market_impact > scoreOf(input({ ...snap, ticker: 'SPX' }), T_RTH, cfg.right).components.market_impact);
});

test('configuration: defaults decode as they are; partial files lay over them; bad values are refused with paths', () => {
  const d = decodePriorityConfig({});
  assert.ok(isRight(d) && JSON.stringify(d.right) === JSON.stringify(C));
  const w = decodePriorityConfig({ weights: { urgency: 0.5 } });
  assert.ok(isRight(w) && w.right.weights.urgency === 0.5 && w.right.weights.freshness === 0.25);
  const bad = decodePriorityConfig({ weights: { urgency: -1 }, thresholds: { critical: 2 } });
  assert.ok(isLeft(bad));
  if (isLeft(bad)) assert.equal(bad.left.map((e) => e.path).sort(), ['thresholds.critical', 'weights.urgency']);
  const order = decodePriorityConfig({ thresholds: { critical: 0.5, high: 0.6, medium: 0.3 } });
  assert.ok(isLeft(order) && order.left[0]?.path === 'thresholds');
  const zero = decodePriorityConfig({ weights: { market_impact: 0, freshness: 0, source_reliability: 0, urgency: 0 } });
  assert.ok(isLeft(zero) && zero.left[0]?.path === 'weights');
});

test.run();
