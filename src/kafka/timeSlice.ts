// Owns cooperative time slicing for per-message loops: a transform working through a chunk of hundreds of messages
// yields to the event loop every few milliseconds, so a critical partition's fetch, heartbeat or commit in the same
// process never waits behind a whole back-fill chunk (a 4 MiB chunk of level records is ~400 ms of synchronous work).
import { setImmediate as nextTurn } from 'node:timers/promises';

export interface TimeSlicer {
  /** Resolves at once while the current slice lasts; after `sliceMs`, on the event loop's next turn. */
  readonly tick: () => Promise<void> | undefined;
}

export const createTimeSlicer = (sliceMs = 8, now: () => number = performance.now.bind(performance)): TimeSlicer => {
  let sliceStart = now();
  return {
    tick: () => {
      const t = now();
      if (t - sliceStart < sliceMs) return undefined;
      return nextTurn().then(() => {
        sliceStart = now();
      });
    },
  };
};
