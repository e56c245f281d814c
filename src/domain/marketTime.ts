// Owns US equity market time: Eastern Time offsets (with daylight saving) and session times as UTC epoch ms. No clock is read.

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
