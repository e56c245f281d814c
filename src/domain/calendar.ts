// Owns the exchange calendar: which Eastern days have a regular session and when it closes, decoded from a data file
// (calendar/*.json) that the edge reads and passes in. Pure: no file, no clock.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { describeValue, pathErrors, type PathError } from './errors.js';

const DAY_MS = 86_400_000;

const dayOf = (s: string): number | null => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  return back.getUTCMonth() === mo - 1 && back.getUTCDate() === d ? ms / DAY_MS : null;
};

const minutesOf = (s: string): number | null => {
  const m = /^(\d{2}):(\d{2})$/.exec(s);
  if (m === null) return null;
  const [h, mi] = [Number(m[1]), Number(m[2])];
  return h <= 23 && mi <= 59 ? h * 60 + mi : null;
};

/** A calendar day as YYYY-MM-DD. */
const Day = new t.Type<string, string, unknown>(
  'Day',
  (u): u is string => typeof u === 'string' && dayOf(u) !== null,
  (u, c) => (typeof u === 'string' && dayOf(u) !== null ? t.success(u) : t.failure(u, c, `expected a day as YYYY-MM-DD, got ${describeValue(u)}`)),
  t.identity,
);
/** An Eastern wall-clock time as HH:MM. */
const Clock = new t.Type<string, string, unknown>(
  'Clock',
  (u): u is string => typeof u === 'string' && minutesOf(u) !== null,
  (u, c) => (typeof u === 'string' && minutesOf(u) !== null ? t.success(u) : t.failure(u, c, `expected a time as HH:MM, got ${describeValue(u)}`)),
  t.identity,
);

/** The data file: the regular session, the days without one, and the days it closes early. */
export const CalendarFile = t.type({
  name: t.string,
  /** Where the dates come from. */
  source: t.union([t.string, t.undefined]),
  time_zone: t.literal('America/New_York'),
  regular: t.type({ open: Clock, close: Clock }),
  covers: t.type({ from: Day, to: Day }),
  holidays: t.array(t.type({ date: Day, name: t.string })),
  early_closes: t.array(t.type({ date: Day, close: Clock, name: t.string })),
});
export type CalendarFile = t.TypeOf<typeof CalendarFile>;

/** A decoded calendar, keyed by the Eastern day as days since 1970-01-01 (EasternTime.epochDay). */
export interface ExchangeCalendar {
  readonly name: string;
  /** Minutes since midnight ET of the regular open and close. */
  readonly openMinutes: number;
  readonly closeMinutes: number;
  /** Epoch days the calendar knows; outside them only weekends are closed. */
  readonly fromDay: number;
  readonly toDay: number;
  readonly holidays: ReadonlyMap<number, string>;
  /** Epoch day -> minutes since midnight ET of the early close. */
  readonly earlyCloses: ReadonlyMap<number, number>;
}

/** No holidays, no early closes: Monday to Friday 09:30-16:00 ET (what a calendar-less reading of time assumes). */
export const WEEKDAYS_ONLY: ExchangeCalendar = {
  name: 'weekdays only',
  openMinutes: 9 * 60 + 30,
  closeMinutes: 16 * 60,
  fromDay: 0,
  toDay: -1,
  holidays: new Map(),
  earlyCloses: new Map(),
};

export const decodeCalendar = (u: unknown): Either<PathError[], ExchangeCalendar> => {
  const d = CalendarFile.decode(u);
  if (isLeft(d)) return left(pathErrors(d.left));
  const f = d.right;
  const problems: PathError[] = [];
  const day = (s: string): number => dayOf(s) as number;
  const min = (s: string): number => minutesOf(s) as number;
  const [openMinutes, closeMinutes, fromDay, toDay] = [min(f.regular.open), min(f.regular.close), day(f.covers.from), day(f.covers.to)];
  if (openMinutes >= closeMinutes) problems.push({ path: 'regular', message: `expected open before close, got ${f.regular.open}-${f.regular.close}` });
  if (fromDay > toDay) problems.push({ path: 'covers', message: `expected from <= to, got ${f.covers.from}..${f.covers.to}` });
  const holidays = new Map<number, string>();
  f.holidays.forEach((h, i) => {
    const k = day(h.date);
    if (holidays.has(k)) problems.push({ path: `holidays[${i}].date`, message: `${h.date} is listed twice` });
    if (k < fromDay || k > toDay) problems.push({ path: `holidays[${i}].date`, message: `${h.date} is outside covers ${f.covers.from}..${f.covers.to}` });
    holidays.set(k, h.name);
  });
  const earlyCloses = new Map<number, number>();
  f.early_closes.forEach((e, i) => {
    const k = day(e.date);
    if (holidays.has(k)) problems.push({ path: `early_closes[${i}].date`, message: `${e.date} is also a holiday` });
    if (k < fromDay || k > toDay) problems.push({ path: `early_closes[${i}].date`, message: `${e.date} is outside covers ${f.covers.from}..${f.covers.to}` });
    const close = min(e.close);
    if (close <= openMinutes || close >= closeMinutes) problems.push({ path: `early_closes[${i}].close`, message: `expected a time between the regular open and close, got ${e.close}` });
    earlyCloses.set(k, close);
  });
  return problems.length > 0 ? left(problems) : right({ name: f.name, openMinutes, closeMinutes, fromDay, toDay, holidays, earlyCloses });
};

/** The regular session of an Eastern day (epoch day, weekday 0 = Sunday), or null when the exchange is closed all day. */
export const sessionOf = (cal: ExchangeCalendar, epochDay: number, weekday: number): { readonly open: number; readonly close: number; readonly early: boolean } | null => {
  if (weekday === 0 || weekday === 6 || cal.holidays.has(epochDay)) return null;
  const early = cal.earlyCloses.get(epochDay);
  return { open: cal.openMinutes, close: early ?? cal.closeMinutes, early: early !== undefined };
};
