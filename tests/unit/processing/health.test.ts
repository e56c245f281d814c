// Readiness of a consuming role: a crashed, starting or stopped consumer is not ready, nor one sitting on lag without
// committing for longer than the stall bound; paused on purpose, or caught up, it is.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { judgeConsumer, judgeRoles, restartBackoffMs, type ConsumerHealth } from '../../../src/domain/processing/health.js';

const T0 = 1_700_000_000_000;
const running: ConsumerHealth = { state: 'running', crashes: 0, lastCrash: null, lag: 0, lastProgressAtMs: null, behindSinceMs: null, paused: false };
const test = suite('consumer readiness');

test('running and caught up: ready', () => {
  assert.equal(judgeConsumer(running, T0, 30_000), { ready: true });
});

test('crashed: not ready, with the error and the restart', () => {
  const h: ConsumerHealth = { ...running, state: 'restarting', crashes: 2, lastCrash: { atMs: T0 - 1_500, error: 'KafkaJSNotImplemented: LZ4 compression not implemented', restartInMs: 2_000 } };
  const r = judgeConsumer(h, T0, 30_000);
  assert.is(r.ready, false);
  assert.match(r.ready ? '' : r.reason, /crashed 1\.5 s ago: KafkaJSNotImplemented: LZ4.*restarting \(crash 2, retry after 2 s\)/);
});

test('starting and stopped: not ready', () => {
  assert.is(judgeConsumer({ ...running, state: 'starting' }, T0, 30_000).ready, false);
  assert.is(judgeConsumer({ ...running, state: 'stopped' }, T0, 30_000).ready, false);
});

test('lag without progress beyond the bound: not ready; within it, or paused, or progressing: ready', () => {
  const behind: ConsumerHealth = { ...running, lag: 2_379, behindSinceMs: T0 - 90_000, lastProgressAtMs: T0 - 95_000 };
  const r = judgeConsumer(behind, T0, 30_000);
  assert.is(r.ready, false);
  assert.match(r.ready ? '' : r.reason, /no progress for 90 s with a lag of 2379/);
  assert.is(judgeConsumer({ ...behind, behindSinceMs: T0 - 10_000 }, T0, 30_000).ready, true, 'lag seen 10 s ago');
  assert.is(judgeConsumer({ ...behind, lastProgressAtMs: T0 - 1_000 }, T0, 30_000).ready, true, 'committed 1 s ago');
  assert.is(judgeConsumer({ ...behind, paused: true }, T0, 30_000).ready, true, 'paused on purpose');
});

test('roles: the ones not ready are named with their reason; a role not started yet is not ready', () => {
  const j = judgeRoles({ prioritizer: { ...running, state: 'restarting', crashes: 1, lastCrash: { atMs: T0, error: 'x', restartInMs: 1_000 } }, 'processor-low': running, projector: null }, T0, 30_000);
  assert.is(j.ready, false);
  assert.equal(j.notReady.map((n) => n.split(':')[0]), ['prioritizer', 'projector']);
  assert.is(j.progress['processor-low']?.ready, true);
  assert.is(judgeRoles({ a: running }, T0, 30_000).ready, true);
});

test('restart backoff grows and is capped, with jitter', () => {
  assert.ok(restartBackoffMs(1, 0.5) === 1_000);
  assert.ok(restartBackoffMs(2, 0.5) === 2_000);
  assert.ok(restartBackoffMs(20, 1) <= 37_500 && restartBackoffMs(20, 0) >= 22_500);
  assert.ok(restartBackoffMs(1, 0) < restartBackoffMs(1, 1));
});

test.run();
