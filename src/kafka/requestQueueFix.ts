// Owns a fix of kafkajs 2.2.4's request queue: an idle connection re-armed a 1 ms timer forever (the TimeoutNegativeWarning
// on Node 24), measured at ~900 wake-ups and ~37 ms CPU per second per idle connection. Patched only on that version.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const CHECK_PENDING_REQUESTS_INTERVAL = 10; // ms, as kafkajs

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests: () => void;
  scheduleCheckPendingRequests: () => void;
}

/**
 * kafkajs computes `throttledUntil - Date.now()` with `throttledUntil = -1` when never throttled and arms that negative
 * delay even with nothing pending (tulios/kafkajs#1704, #1751; unmerged PRs #1755, #1768). Node clamps it to 1 ms and,
 * since Node 24, warns. Every response re-enters the loop: a check is only needed while requests wait in `pending`
 * (push() schedules one as it enqueues), so with an empty queue nothing is armed.
 */
export function scheduleCheckPendingRequests(this: RequestQueue): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const throttled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, throttled > 0 ? throttled : CHECK_PENDING_REQUESTS_INTERVAL);
}

export const requestQueueFixed = ((): boolean => {
  try {
    const { version } = require('kafkajs/package.json') as { version: string };
    if (version !== '2.2.4') return false; // another release may have fixed it, or changed the queue: leave it alone
    const RequestQueueClass = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };
    RequestQueueClass.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
    return true;
  } catch {
    return false;
  }
})();
