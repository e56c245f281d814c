// The exchange calendar (calendar/us-equity-options.json): regular hours and minutes to the close know NYSE/Cboe
// holidays and 13:00 early closes, across the DST switches; a bad file is refused with its paths.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { decodeCalendar, WEEKDAYS_ONLY } from '../../../src/domain/calendar.js';
import { easternTime, isRegularHours, minutesToClose } from '../../../src/domain/marketTime.js';
import { calendarFile, loadCalendar } from '../../../src/resources.js';
import { readFileSync } from 'node:fs';

const test = suite('exchange calendar');
const cal = loadCalendar();

/** [what, instant with its real New York offset, is_regular_hours, minutes_to_close] */
const TABLE: Array<[string, string, boolean, number]> = [
  ['day after Thanksgiving 2025, 09:30 open', '2025-11-28T09:30:00-05:00', true, 210],
  ['day after Thanksgiving 2025, 12:45', '2025-11-28T12:45:00-05:00', true, 15],
  ['day after Thanksgiving 2025, 12:59:59', '2025-11-28T12:59:59-05:00', true, 1],
  ['day after Thanksgiving 2025, 13:00 close', '2025-11-28T13:00:00-05:00', false, 0],
  ['day after Thanksgiving 2025, 15:45 (closed since 13:00)', '2025-11-28T15:45:00-05:00', false, -165],
  ['Thanksgiving 2025 (holiday), 11:00', '2025-11-27T11:00:00-05:00', false, 300],
  ['Christmas Eve 2025, 12:30', '2025-12-24T12:30:00-05:00', true, 30],
  ['Christmas Eve 2025, 13:30', '2025-12-24T13:30:00-05:00', false, -30],
  ['Christmas Eve 2026, 12:00', '2026-12-24T12:00:00-05:00', true, 60],
  ['Christmas Eve 2027 (Christmas observed, holiday)', '2027-12-24T11:00:00-05:00', false, 300],
  ['Christmas Day 2025', '2025-12-25T11:00:00-05:00', false, 300],
  ['Juneteenth 2025 (Thursday)', '2025-06-19T10:00:00-04:00', false, 360],
  ['Juneteenth 2026 (Friday)', '2026-06-19T10:00:00-04:00', false, 360],
  ['Juneteenth 2027 observed Friday 06-18', '2027-06-18T10:00:00-04:00', false, 360],
  ['day after Juneteenth 2025 (Friday, full day)', '2025-06-20T15:45:00-04:00', true, 15],
  ['New Year 2025', '2025-01-01T10:00:00-05:00', false, 360],
  ['New Year 2026', '2026-01-01T10:00:00-05:00', false, 360],
  ['New Year 2027', '2027-01-01T10:00:00-05:00', false, 360],
  ['2027-12-31: New Year 2028 falls on a Saturday, no holiday observed', '2027-12-31T10:00:00-05:00', true, 360],
  ['2025-01-02, first session of 2025', '2025-01-02T09:30:00-05:00', true, 390],
  ['Good Friday 2025', '2025-04-18T10:00:00-04:00', false, 360],
  ['Good Friday 2026', '2026-04-03T10:00:00-04:00', false, 360],
  ['Good Friday 2027', '2027-03-26T10:00:00-04:00', false, 360],
  ['day of mourning 2025-01-09 (President Carter)', '2025-01-09T10:00:00-05:00', false, 360],
  ['day before Independence Day 2025, 13:00 close', '2025-07-03T12:30:00-04:00', true, 30],
  ['Independence Day 2026 observed Friday 07-03', '2026-07-03T10:00:00-04:00', false, 360],
  ['2026-07-02, full day (no early close before an observed holiday)', '2026-07-02T15:45:00-04:00', true, 15],
  // DST: 2025-03-09 and 2025-11-02 are Sundays; the sessions around them open at 09:30 local on either side
  ['Fri 2025-03-07 (EST) 09:30 = 14:30Z', '2025-03-07T14:30:00Z', true, 390],
  ['Mon 2025-03-10 (EDT) 09:30 = 13:30Z', '2025-03-10T13:30:00Z', true, 390],
  ['Mon 2025-03-10 (EDT) 13:29Z = 09:29, before the open', '2025-03-10T13:29:00Z', false, 391],
  ['Mon 2025-03-10 (EDT) 19:59Z = 15:59', '2025-03-10T19:59:00Z', true, 1],
  ['Mon 2025-03-10 (EDT) 20:00Z = 16:00, closed', '2025-03-10T20:00:00Z', false, 0],
  ['Fri 2025-10-31 (EDT) 19:45Z = 15:45', '2025-10-31T19:45:00Z', true, 15],
  ['Mon 2025-11-03 (EST) 14:30Z = 09:30', '2025-11-03T14:30:00Z', true, 390],
  ['Mon 2025-11-03 (EST) 20:59Z = 15:59', '2025-11-03T20:59:00Z', true, 1],
  ['Mon 2025-11-03 (EST) 13:30Z = 08:30, before the open', '2025-11-03T13:30:00Z', false, 450],
  ['Sun 2025-03-09, the switch itself: no session', '2025-03-09T15:00:00Z', false, 300],
];

test('table: sessions, holidays, early closes and DST', () => {
  const failures: string[] = [];
  for (const [what, iso, regular, toClose] of TABLE) {
    const et = easternTime(Date.parse(iso));
    const got = [isRegularHours(et, cal), minutesToClose(et, cal)];
    if (got[0] !== regular || got[1] !== toClose) failures.push(`${what}: expected ${regular}/${toClose}, got ${got[0]}/${got[1]}`);
  }
  assert.equal(failures, []);
});

test('without a calendar a holiday is a full weekday session (what the prioritizer did before)', () => {
  const et = easternTime(Date.parse('2025-11-28T15:45:00-05:00'));
  assert.is(isRegularHours(et, WEEKDAYS_ONLY), true);
  assert.is(minutesToClose(et, WEEKDAYS_ONLY), 15);
  assert.is(isRegularHours(easternTime(Date.parse('2025-06-19T10:00:00-04:00'))), true);
});

test('the shipped file: 2025-2027, every holiday and early close on a weekday, 13:00 early closes', () => {
  assert.is(cal.holidays.size, 31);
  assert.is(cal.earlyCloses.size, 6);
  for (const day of [...cal.holidays.keys(), ...cal.earlyCloses.keys()]) {
    const weekday = (((day + 4) % 7) + 7) % 7;
    assert.ok(weekday >= 1 && weekday <= 5, `${new Date(day * 86_400_000).toISOString().slice(0, 10)} is a weekend day`);
  }
  for (const close of cal.earlyCloses.values()) assert.is(close, 13 * 60);
  for (const y of [2025, 2026, 2027]) assert.is([...cal.holidays.keys()].filter((d) => new Date(d * 86_400_000).getUTCFullYear() === y).length, y === 2025 ? 11 : 10);
});

test('a bad calendar is refused with the paths of its problems', () => {
  const good = JSON.parse(readFileSync(calendarFile, 'utf8')) as Record<string, unknown>;
  assert.ok(isRight(decodeCalendar(good)));
  const bad = {
    ...good,
    holidays: [{ date: '2025-02-30', name: 'x' }, { date: '2029-01-01', name: 'y' }],
    early_closes: [{ date: '2025-11-28', close: '17:00', name: 'z' }],
  };
  const d = decodeCalendar(bad);
  assert.ok(isLeft(d));
  const paths = isLeft(d) ? d.left.map((e) => e.path) : [];
  assert.ok(paths.some((p) => p.startsWith('holidays[0]')), paths.join(', '));
  const d2 = decodeCalendar({ ...good, holidays: [{ date: '2029-01-01', name: 'y' }], early_closes: [{ date: '2025-11-28', close: '17:00', name: 'z' }] });
  assert.equal(isLeft(d2) ? d2.left.map((e) => e.path) : [], ['holidays[0].date', 'early_closes[0].close']);
});

test.run();
