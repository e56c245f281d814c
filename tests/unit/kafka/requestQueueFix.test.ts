// The kafkajs request-queue fix: nothing is armed for an empty queue; waiting requests are still checked, after a throttle.
import { createRequire } from 'node:module';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { requestQueueFixed } from '../../../src/kafka/requestQueueFix.js';

const require = createRequire(import.meta.url);
const test = suite('kafkajs request queue: no idle 1 ms timer');

interface Queue {
  pending: unknown[];
  inflight: Map<number, unknown>;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests: () => void;
  checkPendingRequests: () => void;
  destroy: () => void;
}
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (o: object) => Queue;
const queue = (): Queue =>
  new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'b', logger: { debug: () => undefined, warn: () => undefined }, isConnected: () => true });

test('the patch applies to the installed kafkajs 2.2.4', () => {
  assert.ok(requestQueueFixed);
});

test('an idle queue (never throttled) arms no timer and so emits no TimeoutNegativeWarning', () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => void warnings.push(w);
  process.on('warning', onWarning);
  const q = queue();
  try {
    q.checkPendingRequests(); // what every response does
    assert.is(q.throttleCheckTimeoutId, null);
  } finally {
    q.destroy();
    process.off('warning', onWarning);
  }
  assert.equal(warnings.filter((w) => w.name === 'TimeoutNegativeWarning'), []);
});

test('a waiting request is checked again: after the throttle, or after 10 ms when only in-flight requests hold it', async () => {
  const q = queue();
  try {
    let checks = 0;
    const check = q.checkPendingRequests.bind(q);
    q.checkPendingRequests = () => {
      checks++;
      q.pending = []; // sent
      check();
    };
    q.pending = [{}];
    q.throttledUntil = Date.now() + 30;
    const t0 = Date.now();
    q.scheduleCheckPendingRequests();
    assert.ok(q.throttleCheckTimeoutId !== null);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (checks > 0) {
          clearInterval(poll);
          resolve();
        }
      }, 2);
    });
    assert.ok(Date.now() - t0 >= 25, 'not before the throttle ends');
    assert.is(q.throttleCheckTimeoutId, null, 'nothing re-armed once the queue is empty');
  } finally {
    q.destroy();
  }
});

test.run();
