// The per-source stats fold: reliability = successful / total, an EMA of latency with a configurable alpha, the breaker's status.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { applyBreakerChange, breakerOfStats, evolveSourceStats, foldSourceStats, initialSourceStats, newerStats } from '../../../src/domain/processing/sourceStats.js';
import { decideAdmission } from '../../../src/domain/processing/breaker.js';

const T0 = 1_700_000_000_000;
const test = suite('source stats');

test('a new source: no requests, reliability 1, closed breaker', () => {
  assert.equal(initialSourceStats('gexbot', T0), {
    source: 'gexbot',
    total_requests: 0,
    successful_requests: 0,
    reliability: 1,
    ema_latency_ms: 0,
    breaker: 'closed',
    last_success_ms: null,
    updated_at_ms: T0,
  });
});

test('reliability is successful / total', () => {
  const s = foldSourceStats('gexbot', [
    { success: true, latencyMs: 100, atMs: T0 },
    { success: false, latencyMs: 100, atMs: T0 + 1 },
    { success: true, latencyMs: 100, atMs: T0 + 2 },
    { success: true, latencyMs: 100, atMs: T0 + 3 },
  ]);
  assert.equal([s.total_requests, s.successful_requests, s.reliability], [4, 3, 0.75]);
  assert.is(s.last_success_ms, T0 + 3);
  assert.is(s.updated_at_ms, T0 + 3);
});

test('the first latency seeds the EMA, later ones blend in with alpha', () => {
  let s = evolveSourceStats(initialSourceStats('gexbot'), { success: true, latencyMs: 200, atMs: T0 }, { alpha: 0.5 });
  assert.is(s.ema_latency_ms, 200);
  s = evolveSourceStats(s, { success: true, latencyMs: 100, atMs: T0 + 1 }, { alpha: 0.5 });
  assert.is(s.ema_latency_ms, 150);
  s = evolveSourceStats(s, { success: false, latencyMs: 1_150, atMs: T0 + 2 }, { alpha: 0.5 });
  assert.is(s.ema_latency_ms, 650, 'a slow failure counts: a timeout is slow');
  const d = evolveSourceStats(evolveSourceStats(initialSourceStats('x'), { success: true, latencyMs: 100, atMs: T0 }), { success: true, latencyMs: 200, atMs: T0 });
  assert.ok(Math.abs(d.ema_latency_ms - 120) < 1e-9, `default alpha 0.2: ${d.ema_latency_ms}`);
});

test('an unknown latency leaves the EMA alone but still counts the request; a bad alpha falls back to the default', () => {
  let s = evolveSourceStats(initialSourceStats('gexbot'), { success: true, latencyMs: 100, atMs: T0 });
  s = evolveSourceStats(s, { success: false, latencyMs: Number.NaN, atMs: T0 + 1 });
  s = evolveSourceStats(s, { success: false, latencyMs: -5, atMs: T0 + 2 });
  assert.equal([s.total_requests, s.ema_latency_ms, s.reliability], [3, 100, 1 / 3]);
  const b = evolveSourceStats(evolveSourceStats(initialSourceStats('x'), { success: true, latencyMs: 100, atMs: T0 }, { alpha: 7 }), { success: true, latencyMs: 200, atMs: T0 }, { alpha: 7 });
  assert.ok(Math.abs(b.ema_latency_ms - 120) < 1e-9);
});

test('failures keep the last success; out-of-order observations never move the clocks back', () => {
  let s = evolveSourceStats(initialSourceStats('gexbot'), { success: true, latencyMs: 10, atMs: T0 + 100 });
  s = evolveSourceStats(s, { success: false, latencyMs: 10, atMs: T0 + 200 });
  s = evolveSourceStats(s, { success: true, latencyMs: 10, atMs: T0 + 50 });
  assert.is(s.last_success_ms, T0 + 100);
  assert.is(s.updated_at_ms, T0 + 200);
});

test('breaker changes of this source are recorded, those of others ignored', () => {
  const s = initialSourceStats('gexbot', T0);
  const opened = applyBreakerChange(s, { type: 'BreakerChanged', source: 'gexbot', from: 'closed', to: 'open', at_ms: T0 + 5, reason: 'x' });
  assert.equal([opened.breaker, opened.updated_at_ms], ['open', T0 + 5]);
  assert.is(applyBreakerChange(s, { type: 'BreakerChanged', source: 'other', from: 'closed', to: 'open', at_ms: T0 + 5, reason: 'x' }), s);
});

test('a restart resumes the breaker from the recorded status: open or probing holds until the cool-down from then, closed allows', () => {
  const cfg = { failureThreshold: 5, failureRatio: null, cooldownMs: 30_000, halfOpenProbes: 1, probeTimeoutMs: 30_000 };
  const s = { ...initialSourceStats('gexbot', T0), total_requests: 9, successful_requests: 4 };
  assert.is(decideAdmission(breakerOfStats(s), T0 + 1, cfg), 'allow');
  for (const b of ['open', 'half_open'] as const) {
    const r = breakerOfStats({ ...s, breaker: b });
    assert.is(r.status, 'open', b);
    assert.is(decideAdmission(r, T0 + 29_999, cfg), 'hold', b);
    assert.is(decideAdmission(r, T0 + 30_000, cfg), 'probe', b);
  }
});

test('stats read back replace the held ones only when newer: never an echo of an own earlier write', () => {
  const held = { ...initialSourceStats('gexbot', T0), total_requests: 7 };
  assert.ok(newerStats(undefined, held));
  assert.not.ok(newerStats(held, held), 'the echo of the same write');
  assert.not.ok(newerStats(held, { ...held, total_requests: 5, updated_at_ms: T0 - 1 }), 'an older write');
  assert.ok(newerStats(held, { ...held, total_requests: 8, updated_at_ms: T0 + 1 }), 'another instance, later');
  assert.ok(newerStats(held, { ...held, total_requests: 9 }), 'same time, more requests');
});

test.run();
