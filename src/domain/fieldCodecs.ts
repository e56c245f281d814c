// Owns the io-ts codecs and checks of single input fields: finite numbers, ranges, integers, tickers, timestamps.
import * as t from 'io-ts';
import { describeValue } from './errors.js';

/** Tickers as the vendors and the topics spell them: SPX, NQ_NDX, BRK.B. */
export const TICKER_PATTERN = /^[A-Z0-9_.]{1,16}$/;

/**
 * The plausible window of a snapshot or publish time: 1990-01-01 (before any GEX data) to 2100-01-01. It also tells
 * the units apart without guessing: epoch seconds of the window (6.3e8 to 4.1e9) and epoch milliseconds of it
 * (6.3e11 to 4.1e12) never overlap, so a seconds value for the year 9999 (2.5e11) is refused instead of being read
 * as milliseconds of 1978, and `timestamp: 1` is refused instead of being 1970-01-01T00:00:01Z.
 */
export const PLAUSIBLE_FROM_MS = Date.UTC(1990, 0, 1);
export const PLAUSIBLE_UNTIL_MS = Date.UTC(2100, 0, 1);
const WINDOW = `from ${new Date(PLAUSIBLE_FROM_MS).toISOString().slice(0, 10)} to ${new Date(PLAUSIBLE_UNTIL_MS).toISOString().slice(0, 10)}`;

const inWindow = (ms: number): boolean => ms >= PLAUSIBLE_FROM_MS && ms < PLAUSIBLE_UNTIL_MS;
const isoOrNumber = (ms: number): string => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));

/** Epoch seconds or milliseconds (told apart by magnitude) within the plausible window, as epoch ms (not rounded). */
export const readEpochTime = (u: number): TimestampResult => {
  if (!Number.isFinite(u)) return { issue: `expected a finite number, got ${describeValue(u)}` };
  if (inWindow(u * 1000)) return { ms: u * 1000 };
  if (inWindow(u)) return { ms: u };
  if (inWindow(u / 1000)) return { issue: `expected epoch seconds or milliseconds, got ${describeValue(u)}, which looks like epoch microseconds (${isoOrNumber(u / 1000)})` };
  return { issue: `expected a time ${WINDOW} in epoch seconds or milliseconds, got ${describeValue(u)} (${isoOrNumber(u * 1000)} as seconds, ${isoOrNumber(u)} as milliseconds)` };
};

const ISO_8601 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Date.parse rolls 2026-02-31 over to March; the fields must name a real day and time. */
const isCalendarTime = (iso: string): boolean => {
  const [y, mo, d, h, mi, se] = [0, 5, 8, 11, 14, 17].map((at) => Number(iso.slice(at, at + (at === 0 ? 4 : 2))));
  const daysInMonth = new Date(Date.UTC(y as number, mo as number, 0)).getUTCDate();
  const seconds = iso.charAt(16) === ':' ? (se as number) : 0;
  return (mo as number) >= 1 && (mo as number) <= 12 && (d as number) >= 1 && (d as number) <= daysInMonth && (h as number) <= 23 && (mi as number) <= 59 && seconds <= 59;
};

// Checks return null when the value is fine, else the message (without the path).

export const numberIssue = (u: unknown): string | null =>
  typeof u !== 'number'
    ? `expected number, got ${describeValue(u)}`
    : Number.isFinite(u)
      ? null
      : `expected a finite number, got ${describeValue(u)}`;

export const nullableNumberIssue = (u: unknown): string | null =>
  u === null || u === undefined || (typeof u === 'number' && Number.isFinite(u))
    ? null
    : typeof u === 'number'
      ? `expected a finite number, got ${describeValue(u)}`
      : `expected number or null, got ${describeValue(u)}`;

/** A number that must be > 0, e.g. a strike or the spot price. */
export const positiveIssue = (u: unknown, what: string): string | null => {
  const issue = numberIssue(u);
  if (issue !== null) return issue;
  return (u as number) > 0 ? null : `expected ${what} > 0, got ${describeValue(u)}`;
};

/** A number that must be >= 0 (or absent / null when `nullable`), e.g. open interest, volume, a bid. */
export const nonNegativeIssue = (u: unknown, what: string, nullable: boolean): string | null => {
  if (nullable && (u === null || u === undefined)) return null;
  const issue = numberIssue(u);
  if (issue !== null) return nullable && typeof u !== 'number' ? `expected ${what} >= 0 or null, got ${describeValue(u)}` : issue;
  return (u as number) >= 0 ? null : `expected ${what} >= 0, got ${describeValue(u)}`;
};

const simple = <A>(name: string, is: (u: unknown) => u is A, issue: (u: unknown) => string | null, convert: (u: A) => A = (u) => u) =>
  new t.Type<A, A, unknown>(
    name,
    is,
    (u, c) => {
      const message = issue(u);
      return message === null ? t.success(convert(u as A)) : t.failure(u, c, message);
    },
    t.identity,
  );

const isFiniteNumber = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u);

export const FiniteNumber = simple('number', isFiniteNumber, numberIssue);

export const PositivePrice = simple('price > 0', (u): u is number => isFiniteNumber(u) && u > 0, (u) => positiveIssue(u, 'a price'));

/** Absent, null or a finite number; absent becomes null (the canonical form has every field). */
export const NullableNumber = new t.Type<number | null, number | null, unknown>(
  'number or null',
  (u): u is number | null => u === null || isFiniteNumber(u),
  (u, c) => {
    const message = nullableNumberIssue(u);
    return message === null ? t.success(u === undefined ? null : (u as number | null)) : t.failure(u, c, message);
  },
  t.identity,
);

/** Absent, null or a positive price; absent becomes null. */
export const NullablePositivePrice = new t.Type<number | null, number | null, unknown>(
  'price > 0 or null',
  (u): u is number | null => u === null || (isFiniteNumber(u) && u > 0),
  (u, c) => {
    if (u === null || u === undefined) return t.success(null);
    const message = positiveIssue(u, 'a price');
    return message === null ? t.success(u as number) : t.failure(u, c, message);
  },
  t.identity,
);

const INT32_MAX = 2147483647;

/** Absent, null or an integer that fits an Avro int (DTE counts); absent becomes null. */
export const NullableInteger = new t.Type<number | null, number | null, unknown>(
  'integer or null',
  (u): u is number | null => u === null || (Number.isInteger(u) && Math.abs(u as number) <= INT32_MAX),
  (u, c) => {
    if (u === null || u === undefined) return t.success(null);
    if (typeof u !== 'number') return t.failure(u, c, `expected integer or null, got ${describeValue(u)}`);
    if (!Number.isInteger(u) || Math.abs(u) > INT32_MAX) return t.failure(u, c, `expected an integer, got ${describeValue(u)}`);
    return t.success(u);
  },
  t.identity,
);

export const tickerIssue = (u: unknown): string | null =>
  typeof u !== 'string'
    ? `expected string, got ${describeValue(u)}`
    : TICKER_PATTERN.test(u)
      ? null
      : `expected a ticker of 1-16 characters A-Z, 0-9, "_" or ".", got ${describeValue(u)}`;

export const Ticker = simple('ticker', (u): u is string => typeof u === 'string' && TICKER_PATTERN.test(u), tickerIssue);

export type TimestampResult = { readonly ms: number } | { readonly issue: string };

/** Epoch seconds, epoch milliseconds (told apart by magnitude) or an ISO-8601 time with an explicit zone, as UTC epoch ms. */
export const readTimestamp = (u: unknown): TimestampResult => {
  const expected = 'expected epoch seconds, epoch milliseconds or an ISO-8601 time with a zone';
  if (typeof u === 'number') {
    const r = readEpochTime(u);
    return 'ms' in r ? { ms: Math.round(r.ms) } : r;
  }
  if (typeof u !== 'string') return { issue: `${expected}, got ${describeValue(u)}` };
  // A time without a zone would be read in the machine's zone: rejected rather than guessed.
  if (!ISO_8601.test(u)) return { issue: `${expected}, got ${describeValue(u)}` };
  const ms = Date.parse(u.replace(' ', 'T'));
  if (Number.isNaN(ms) || !isCalendarTime(u)) return { issue: `expected a valid calendar date and time, got ${describeValue(u)}` };
  if (!inWindow(ms)) return { issue: `expected a time ${WINDOW}, got ${describeValue(u)}` };
  return { ms };
};

/** A snapshot time, decoded to UTC epoch milliseconds. */
export const EpochTime = new t.Type<number, number, unknown>(
  'timestamp',
  (u): u is number => Number.isSafeInteger(u) && (u as number) > 0,
  (u, c) => {
    const r = readTimestamp(u);
    return 'ms' in r ? t.success(r.ms) : t.failure(u, c, r.issue);
  },
  t.identity,
);
