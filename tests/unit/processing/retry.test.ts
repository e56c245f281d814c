// Retries: at most 3, delays that grow with jitter and stop at the cap, and only for errors that waiting can cure.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { defaultRetryConfig, errorDescriptor, isRetriable, MAX_RETRIES, nextAttempt, type RetryConfig } from '../../../src/domain/processing/retry.js';

const backoff = suite('retry: backoff');

const delay = (n: number, j: number, c?: RetryConfig): number => {
  const d = nextAttempt(n, j, c);
  if (!d.retry) throw new Error(`no retry after ${n}`);
  return d.delayMs;
};

backoff('without jitter: 500, 1000, 2000 ms, then no fourth retry', () => {
  assert.equal([0, 1, 2].map((n) => delay(n, 0)), [500, 1000, 2000]);
  assert.equal(nextAttempt(3, 0), { retry: false });
  assert.equal(nextAttempt(10, 0.5), { retry: false });
});

backoff('jitter takes off up to jitterRatio of the delay, never adds to it', () => {
  assert.is(delay(0, 0.5), 450);
  assert.is(delay(2, 0.999), Math.round(2000 * (1 - 0.2 * 0.999)));
  // Out-of-range jitter is clamped, not trusted.
  assert.is(delay(1, 7), 800);
  assert.is(delay(1, -1), 1000);
  assert.is(delay(1, Number.NaN), 1000);
});

backoff('delays grow with every retry whatever the jitter', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 1 }), (a, b, n) => delay(n + 1, a) > delay(n, b)),
  );
});

backoff('delays stop at the cap', () => {
  const c: RetryConfig = { ...defaultRetryConfig, baseMs: 10_000, factor: 10, capMs: 30_000 };
  assert.equal([0, 1, 2].map((n) => delay(n, 0, c)), [10_000, 30_000, 30_000]);
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, j) => delay(n, j, c) <= 30_000));
});

backoff('never more than 3 retries, even if the config asks for more', () => {
  const c: RetryConfig = { ...defaultRetryConfig, maxRetries: 10 };
  const allowed = Array.from({ length: 10 }, (_, n) => nextAttempt(n, 0, c).retry).filter(Boolean).length;
  assert.is(allowed, MAX_RETRIES);
  assert.is(MAX_RETRIES, 3);
  assert.equal(nextAttempt(0, 0, { ...c, maxRetries: 1 }).retry, true);
  assert.equal(nextAttempt(1, 0, { ...c, maxRetries: 1 }), { retry: false });
  assert.equal(nextAttempt(0, 0, { ...c, maxRetries: 0 }), { retry: false });
  assert.equal(nextAttempt(-2, 0), { retry: true, delayMs: 500 });
  assert.equal(nextAttempt(Number.NaN, 0), { retry: false });
});

backoff.run();

const classify = suite('retry: which errors are retried');

classify('an explicit retriable flag decides', () => {
  assert.is(isRetriable({ name: 'KafkaJSProtocolError', retriable: true }), true);
  assert.is(isRetriable({ name: 'RegistryError', retriable: false }), false);
  assert.is(isRetriable({ name: 'KafkaJSConnectionError', retriable: false }), false);
});

classify('programmer errors are never retried, whatever they claim', () => {
  for (const name of ['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'AssertionError']) {
    assert.is(isRetriable({ name }), false, name);
    assert.is(isRetriable({ name, retriable: true }), false, `${name} flagged retriable`);
  }
});

classify('without a flag: transient codes and names are retried, anything else is not', () => {
  assert.is(isRetriable({ name: 'Error', code: 'ECONNRESET' }), true);
  assert.is(isRetriable({ name: 'Error', code: 'ETIMEDOUT' }), true);
  assert.is(isRetriable({ name: 'KafkaJSRequestTimeoutError' }), true);
  assert.is(isRetriable({ name: 'KafkaJSConnectionError' }), true);
  assert.is(isRetriable({ name: 'ServiceUnavailable' }), true);
  assert.is(isRetriable({ name: 'Error' }), false);
  assert.is(isRetriable({ name: 'ValidationError' }), false);
  assert.is(isRetriable({ name: 'Error', code: 'ENOENT' }), false);
});

classify('errorDescriptor reads name, retriable and code from anything thrown', () => {
  class RegistryError extends Error {
    override name = 'RegistryError';
    readonly retriable = true;
  }
  assert.equal(errorDescriptor(new RegistryError('down')), { name: 'RegistryError', retriable: true });
  assert.equal(errorDescriptor(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), { name: 'Error', code: 'ECONNREFUSED' });
  assert.equal(errorDescriptor(new TypeError('x')), { name: 'TypeError' });
  assert.equal(errorDescriptor({ name: 42, retriable: 'yes' }), { name: 'Error' });
  assert.equal(errorDescriptor('boom'), { name: 'Error' });
  assert.equal(errorDescriptor(null), { name: 'object' });
  assert.is(isRetriable(errorDescriptor(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))), true);
});

classify.run();
