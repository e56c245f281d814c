// The circuit breaker per data source: opens on failures, holds only that source, probes after the cool-down, closes or re-opens.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decideAdmission,
  decideSourceAdmission,
  defaultBreakerConfig,
  evolveBreaker,
  evolveBreakers,
  initialBreaker,
  type BreakerChanged,
  type BreakerConfig,
  type BreakerOutcome,
  type BreakerState,
  type Breakers,
} from '../../../src/domain/processing/breaker.js';

const C: BreakerConfig = { ...defaultBreakerConfig, failureThreshold: 3, cooldownMs: 10_000, probeTimeoutMs: 5_000 };
const T0 = 1_700_000_000_000;

/** Applies outcomes in order, collecting the reported changes. */
const run = (outcomes: BreakerOutcome[], config = C, from: BreakerState = initialBreaker('gexbot')) =>
  outcomes.reduce<{ state: BreakerState; changes: BreakerChanged[] }>(
    (acc, o) => {
      const step = evolveBreaker(acc.state, o, config);
      return { state: step.state, changes: step.change === null ? acc.changes : [...acc.changes, step.change] };
    },
    { state: from, changes: [] },
  );
const failures = (n: number, at = T0): BreakerOutcome[] => Array.from({ length: n }, (_, i) => ({ type: 'failure', atMs: at + i }));

const test = suite('circuit breaker');

test('closed allows; N-1 failures keep it closed; the Nth opens it and says why', () => {
  assert.is(decideAdmission(initialBreaker('gexbot'), T0, C), 'allow');
  const two = run(failures(2));
  assert.is(two.state.status, 'closed');
  assert.equal(two.changes, []);
  const three = run(failures(3));
  assert.is(three.state.status, 'open');
  assert.equal(three.changes, [{ type: 'BreakerChanged', source: 'gexbot', from: 'closed', to: 'open', at_ms: T0 + 2, reason: '3 consecutive failures (threshold 3)' }]);
});

test('a success resets the consecutive count', () => {
  const r = run([...failures(2), { type: 'success', atMs: T0 + 5 }, ...failures(2, T0 + 6)]);
  assert.is(r.state.status, 'closed');
  assert.is(r.state.consecutiveFailures, 2);
});

test('open holds until the cool-down has passed, then admits a probe', () => {
  const open = run(failures(3)).state;
  assert.is(decideAdmission(open, T0 + 2, C), 'hold');
  assert.is(decideAdmission(open, T0 + 2 + 9_999, C), 'hold');
  assert.is(decideAdmission(open, T0 + 2 + 10_000, C), 'probe');
});

test('recording the probe half-opens it; only the allowed number of probes go at once', () => {
  const open = run(failures(3)).state;
  const at = T0 + 2 + 10_000;
  const r = run([{ type: 'probe_started', atMs: at }], C, open);
  assert.is(r.state.status, 'half_open');
  assert.equal(r.changes, [{ type: 'BreakerChanged', source: 'gexbot', from: 'open', to: 'half_open', at_ms: at, reason: 'cool-down of 10000 ms elapsed; probing' }]);
  assert.is(decideAdmission(r.state, at + 1, C), 'hold', 'one probe at a time by default');
  assert.is(decideAdmission(r.state, at + 5_000, C), 'probe', 'an unanswered probe frees its slot after probeTimeoutMs');
  const two = run([{ type: 'probe_started', atMs: at }], { ...C, halfOpenProbes: 2 }, open).state;
  assert.is(decideAdmission(two, at + 1, { ...C, halfOpenProbes: 2 }), 'probe');
});

test('a probe before the cool-down changes nothing', () => {
  const open = run(failures(3)).state;
  const r = run([{ type: 'probe_started', atMs: T0 + 100 }], C, open);
  assert.equal(r.state, open);
  assert.equal(r.changes, []);
});

test('a probe success closes it', () => {
  const at = T0 + 2 + 10_000;
  const r = run([...failures(3), { type: 'probe_started', atMs: at }, { type: 'success', atMs: at + 50 }]);
  assert.is(r.state.status, 'closed');
  assert.equal(r.state, initialBreaker('gexbot'));
  assert.equal(r.changes.map((c) => [c.from, c.to, c.reason]), [
    ['closed', 'open', '3 consecutive failures (threshold 3)'],
    ['open', 'half_open', 'cool-down of 10000 ms elapsed; probing'],
    ['half_open', 'closed', 'probe succeeded'],
  ]);
  assert.is(decideAdmission(r.state, at + 51, C), 'allow');
});

test('a probe failure re-opens it and the cool-down starts again', () => {
  const at = T0 + 2 + 10_000;
  const r = run([...failures(3), { type: 'probe_started', atMs: at }, { type: 'failure', atMs: at + 50 }]);
  assert.is(r.state.status, 'open');
  assert.is(r.state.openedAtMs, at + 50);
  assert.equal(r.changes[2], { type: 'BreakerChanged', source: 'gexbot', from: 'half_open', to: 'open', at_ms: at + 50, reason: 'probe failed' });
  assert.is(decideAdmission(r.state, at + 50 + 9_999, C), 'hold');
  assert.is(decideAdmission(r.state, at + 50 + 10_000, C), 'probe');
});

test('late answers while open change nothing', () => {
  const open = run(failures(3)).state;
  const r = run([{ type: 'success', atMs: T0 + 10 }, { type: 'failure', atMs: T0 + 11 }], C, open);
  assert.equal(r.state, open);
  assert.equal(r.changes, []);
});

test('failure ratio over a window opens it even without N consecutive failures', () => {
  const cfg: BreakerConfig = { ...C, failureThreshold: 100, failureRatio: { window: 10, minRequests: 10, threshold: 0.5 } };
  // Alternating success/failure: never 2 failures in a row, but half of the last 10 fail.
  const outcomes: BreakerOutcome[] = Array.from({ length: 10 }, (_, i) => ({ type: i % 2 === 0 ? 'success' : 'failure', atMs: T0 + i }));
  const nine = run(outcomes.slice(0, 9), cfg);
  assert.is(nine.state.status, 'closed', 'not before minRequests');
  const ten = run(outcomes, cfg);
  assert.is(ten.state.status, 'open');
  assert.equal(ten.changes.map((c) => c.reason), ['failure ratio 0.50 over the last 10 requests (threshold 0.5)']);
  // The window is bounded: old failures leave it.
  const recovered = run([...failures(4), ...Array.from({ length: 10 }, (_, i): BreakerOutcome => ({ type: 'success', atMs: T0 + 10 + i }))], cfg);
  assert.is(recovered.state.recent.length, 10);
  assert.ok(recovered.state.recent.every((f) => !f));
});

test('a map of breakers: failures of one source open it alone', () => {
  let breakers: Breakers = new Map();
  const changes: BreakerChanged[] = [];
  for (const o of failures(3)) {
    const r = evolveBreakers(breakers, 'gexbot', o, C);
    breakers = r.breakers;
    if (r.change) changes.push(r.change);
    const other = evolveBreakers(breakers, 'chain-calc', { type: 'success', atMs: o.atMs }, C);
    breakers = other.breakers;
    assert.is(other.change, null);
  }
  assert.is(decideSourceAdmission(breakers, 'gexbot', T0 + 3, C), 'hold');
  assert.is(decideSourceAdmission(breakers, 'chain-calc', T0 + 3, C), 'allow');
  assert.is(decideSourceAdmission(breakers, 'never-seen', T0 + 3, C), 'allow');
  assert.equal(changes.map((c) => c.source), ['gexbot']);
  assert.is(breakers.get('chain-calc')?.status, 'closed');
  // The other entries are left as they were, object for object.
  const before = breakers.get('chain-calc');
  const after = evolveBreakers(breakers, 'gexbot', { type: 'failure', atMs: T0 + 4 }, C).breakers;
  assert.is(after.get('chain-calc'), before);
  assert.is.not(after, breakers, 'a new map; the old one is untouched');
});

test.run();
