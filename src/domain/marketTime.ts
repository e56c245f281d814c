// Owns US equity market time in both directions: Eastern wall clock -> UTC epoch ms, and a UTC instant read as Eastern
// time (daylight saving by the post-2007 US rules, without Intl), and the session of a day from an exchange calendar
// passed in. No clock is read.
import { sessionOf, WEEKDAYS_ONLY, type ExchangeCalendar } from './calendar.js';

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_PATTERN = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** The regular session, Eastern Time. */
export const SESSION_OPEN = '09:30';
export const SESSION_CLOSE = '16:00';

const parseDay = (day: string): { y: number; m: number; d: number } => {
  const m = DAY_PATTERN.exec(day);
  if (m === null) throw new RangeError(`expected a day as YYYY-MM-DD, got ${JSON.stringify(day)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) throw new RangeError(`expected a calendar day, got ${JSON.stringify(day)}`);
  return { y, m: mo, d };
};

/** Day of month of the n-th Sunday of a month (n = 1 or 2). */
const nthSunday = (y: number, month: number, n: number): number => {
  const firstDow = new Date(Date.UTC(y, month - 1, 1)).getUTCDay();
  return 1 + ((7 - firstDow) % 7) + 7 * (n - 1);
};

/** Minutes to add to Eastern local time to get UTC on `day`: 240 in daylight saving time (2nd Sunday of March to 1st Sunday of November), else 300. */
export const easternOffsetMinutes = (day: string): number => {
  const { y, m, d } = parseDay(day);
  const afterStart = m > 3 || (m === 3 && d >= nthSunday(y, 3, 2));
  const beforeEnd = m < 11 || (m === 11 && d < nthSunday(y, 11, 1));
  return afterStart && beforeEnd ? 240 : 300;
};

/** UTC epoch ms of an Eastern wall-clock time (HH:MM or HH:MM:SS) on `day`. */
export const easternToUtcMs = (day: string, time: string): number => {
  const { y, m, d } = parseDay(day);
  const t = TIME_PATTERN.exec(time);
  if (t === null) throw new RangeError(`expected a time as HH:MM or HH:MM:SS, got ${JSON.stringify(time)}`);
  const [hh, mm, ss] = [Number(t[1]), Number(t[2]), Number(t[3] ?? 0)];
  if (hh > 23 || mm > 59 || ss > 59) throw new RangeError(`expected a time of day, got ${JSON.stringify(time)}`);
  return Date.UTC(y, m - 1, d, hh, mm, ss) + easternOffsetMinutes(day) * 60_000;
};

// --- A UTC instant read as Eastern market time ---
/** Minutes since midnight ET of the regular session's open (09:30) and close (16:00). */
export const OPEN_MINUTES = 9 * 60 + 30;
export const CLOSE_MINUTES = 16 * 60;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface EasternTime {
  /** Whole minutes since midnight ET (0..1439). */
  readonly minutes: number;
  /** Milliseconds since midnight ET. */
  readonly msOfDay: number;
  /** 0 = Sunday ... 6 = Saturday, ET. */
  readonly weekday: number;
  /** The ET calendar day as days since 1970-01-01. */
  readonly epochDay: number;
  /** Offset from UTC in minutes: -240 (EDT) or -300 (EST). */
  readonly offsetMinutes: number;
}


interface DstWindow {
  readonly start: number;
  readonly end: number;
}
// One entry per UTC year seen; a process sees few years, so the cache stays tiny.
const dstCache = new Map<number, DstWindow>();

/**
 * Daylight saving in UTC ms for a year: from 02:00 EST on the second Sunday of March (07:00 UTC)
 * to 02:00 EDT on the first Sunday of November (06:00 UTC).
 */
const dstWindow = (year: number): DstWindow => {
  let w = dstCache.get(year);
  if (w === undefined) {
    w = { start: Date.UTC(year, 2, nthSunday(year, 3, 2)) + 7 * HOUR_MS, end: Date.UTC(year, 10, nthSunday(year, 11, 1)) + 6 * HOUR_MS };
    if (dstCache.size > 64) dstCache.clear();
    dstCache.set(year, w);
  }
  return w;
};

/** Eastern offset from UTC, in minutes, at a UTC instant. */
export const easternOffsetAt = (utcMs: number): number => {
  const w = dstWindow(new Date(utcMs).getUTCFullYear());
  return utcMs >= w.start && utcMs < w.end ? -240 : -300;
};

/** The Eastern wall clock at a UTC instant (finite epoch ms). */
export const easternTime = (utcMs: number): EasternTime => {
  const offsetMinutes = easternOffsetAt(utcMs);
  const local = utcMs + offsetMinutes * MINUTE_MS;
  const epochDay = Math.floor(local / DAY_MS);
  const msOfDay = local - epochDay * DAY_MS;
  // 1970-01-01 was a Thursday (4).
  const weekday = (((epochDay + 4) % 7) + 7) % 7;
  return { minutes: Math.floor(msOfDay / MINUTE_MS), msOfDay, weekday, epochDay, offsetMinutes };
};

export const isWeekday = (et: EasternTime): boolean => et.weekday >= 1 && et.weekday <= 5;

/**
 * In the regular session: open <= t < close ET on a day the calendar gives a session (Monday to Friday, not a
 * holiday; the close is 13:00 on early-close days). Without a calendar, every weekday is a full session.
 */
export const isRegularHours = (et: EasternTime, calendar: ExchangeCalendar = WEEKDAYS_ONLY): boolean => {
  const s = sessionOf(calendar, et.epochDay, et.weekday);
  return s !== null && et.msOfDay >= s.open * MINUTE_MS && et.msOfDay < s.close * MINUTE_MS;
};

/**
 * Whole minutes left until the day's close (rounded up; negative after the close): 16:00 ET, or the early close
 * (13:00) on early-close days. A day without a session (weekend, holiday) counts to the regular 16:00, so a rule
 * that means "near the close of a session" also checks is_regular_hours.
 */
export const minutesToClose = (et: EasternTime, calendar: ExchangeCalendar = WEEKDAYS_ONLY): number => {
  const close = sessionOf(calendar, et.epochDay, et.weekday)?.close ?? calendar.closeMinutes;
  return Math.ceil((close * MINUTE_MS - et.msOfDay) / MINUTE_MS);
};
