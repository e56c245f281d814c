// Owns retrying infrastructure calls on retriable Kafka errors, with exponential backoff and jitter; never programmer errors.
import { setTimeout as sleep } from 'node:timers/promises';

/** kafkajs marks protocol errors retriable; its retrier wraps the last one as `cause` once it gives up. */
export const isRetriable = (err: unknown): boolean => {
  const e = err as { retriable?: unknown; cause?: unknown; originalError?: unknown; name?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.retriable === true) return true;
  if (e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSRequestTimeoutError') return true;
  return isRetriable(e.cause) || isRetriable(e.originalError);
};

export const createRetry =
  ({ retries = 8, initialMs = 200, maxMs = 5_000, random = Math.random }: { retries?: number; initialMs?: number; maxMs?: number; random?: () => number } = {}) =>
  async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= retries || !isRetriable(err)) throw err;
        await sleep(Math.min(maxMs, initialMs * 2 ** attempt) * (0.5 + random() / 2));
      }
    }
  };
