import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTimeSlicer } from '../../../src/kafka/timeSlice.js';

test('a slice goes on without yielding until it has lasted sliceMs, then yields once and starts a new slice', async () => {
  let now = 0;
  const slicer = createTimeSlicer(8, () => now);
  now = 7;
  assert.is(slicer.tick(), undefined, 'within the slice: no promise, no turn of the event loop');
  now = 8;
  const turn = slicer.tick();
  assert.ok(turn instanceof Promise, 'the slice is over: yield');
  let timerRan = false;
  setTimeout(() => (timerRan = true), 0);
  await new Promise((r) => setTimeout(r, 1)); // let the timer queue run first: the turn is a macrotask, not a microtask
  await turn;
  assert.ok(timerRan, 'a timer due before the turn ran while the loop yielded');
  now = 12;
  assert.is(slicer.tick(), undefined, 'a new slice started when the turn came back');
});

test('a yield lets I/O callbacks queued behind synchronous work run (setImmediate, not a microtask)', async () => {
  let now = 0;
  const slicer = createTimeSlicer(1, () => now);
  const order: string[] = [];
  setImmediate(() => order.push('io'));
  now = 5;
  await slicer.tick();
  order.push('after-yield');
  assert.equal(order, ['io', 'after-yield']);
});

test.run();
