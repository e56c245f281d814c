// Owns when a failed job is tried again: at most 3 retries, exponential backoff with jitter, and which errors deserve one.

/** The spec's limit: a job is retried at most 3 times (4 attempts), whatever the config says. */
export const MAX_RETRIES = 3;

export interface RetryConfig {
  /** Retries allowed; clamped to 0..MAX_RETRIES. */
  readonly maxRetries: number;
  /** Delay before the first retry, in ms. */
  readonly baseMs: number;
  /** Growth of the delay per retry. */
  readonly factor: number;
  /** Longest delay, in ms. */
  readonly capMs: number;
  /** Fraction in [0, 1) of the delay that jitter may take off, so retries of a burst do not land together. */
  readonly jitterRatio: number;
}

export const defaultRetryConfig: RetryConfig = {
  maxRetries: MAX_RETRIES,
  baseMs: 500, // 0.5 s
  factor: 2,
  capMs: 30_000, // 30 s
  jitterRatio: 0.2,
};

export type RetryDecision = { readonly retry: true; readonly delayMs: number } | { readonly retry: false };

const finiteOr = (x: number, fallback: number): number => (Number.isFinite(x) ? x : fallback);

/**
 * Whether the job that has been retried `retryCount` times gets another attempt, and after how long:
 * min(cap, base * factor^retryCount), less a jitter share of up to `jitterRatio` (`jitter01` in [0, 1) comes from
 * the caller's random source). With the defaults every delay is longer than the one before, whatever the jitter
 * (0.8 * 2 > 1), and never longer than the cap.
 */
export const nextAttempt = (retryCount: number, jitter01: number, config: RetryConfig = defaultRetryConfig): RetryDecision => {
  const max = Math.min(MAX_RETRIES, Math.max(0, Math.floor(finiteOr(config.maxRetries, MAX_RETRIES))));
  const n = Math.max(0, Math.floor(finiteOr(retryCount, Infinity)));
  if (!(n < max)) return { retry: false };
  const cap = Math.max(0, finiteOr(config.capMs, defaultRetryConfig.capMs));
  const raw = Math.max(0, finiteOr(config.baseMs, defaultRetryConfig.baseMs)) * Math.pow(Math.max(1, finiteOr(config.factor, 1)), n);
  const capped = Math.min(cap, raw);
  const ratio = Math.min(Math.max(finiteOr(config.jitterRatio, 0), 0), 0.999);
  const j = Math.min(Math.max(finiteOr(jitter01, 0), 0), 1);
  return { retry: true, delayMs: Math.round(capped * (1 - ratio * j)) };
};

/** What the domain needs to know of an error; the edge builds it from whatever was thrown. */
export interface ErrorDescriptor {
  readonly name: string;
  /** Set by the error hierarchy of the edge (kafkajs, registry, store errors carry one). */
  readonly retriable?: boolean;
  /** A Node system error code such as ECONNRESET, when there is one. */
  readonly code?: string;
}

/** Bugs: retrying them only delays the dead letter. They are never retried, whatever flag they carry. */
const PROGRAMMER_ERRORS: ReadonlySet<string> = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError', 'AssertionError']);
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EBUSY']);
const TRANSIENT_NAME = /timeout|timedout|connection|network|unavailable|throttl|rebalanc/i;

/**
 * Programmer errors: never. Otherwise an explicit `retriable` flag decides; without one, known transient codes and
 * names (timeouts, connection and network failures, unavailable or throttled services) are retriable and anything
 * else is not: an unknown error is more likely deterministic (bad data, a bug) than cured by waiting.
 */
export const isRetriable = (e: ErrorDescriptor): boolean => {
  if (PROGRAMMER_ERRORS.has(e.name)) return false;
  if (e.retriable !== undefined) return e.retriable;
  if (e.code !== undefined && TRANSIENT_CODES.has(e.code)) return true;
  return TRANSIENT_NAME.test(e.name);
};

/** The descriptor of any thrown value: reads `name`, `retriable` and `code` when they have the right types. */
export const errorDescriptor = (thrown: unknown): ErrorDescriptor => {
  if (typeof thrown !== 'object' || thrown === null) return { name: typeof thrown === 'string' ? 'Error' : typeof thrown };
  const o = thrown as { name?: unknown; retriable?: unknown; code?: unknown };
  return {
    name: typeof o.name === 'string' ? o.name : 'Error',
    ...(typeof o.retriable === 'boolean' ? { retriable: o.retriable } : {}),
    ...(typeof o.code === 'string' ? { code: o.code } : {}),
  };
};
