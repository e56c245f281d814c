// Eastern market time from UTC instants, checked against the tz database (Intl) and at the DST and session edges.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { easternTime, isRegularHours, minutesToClose } from '../../../src/domain/marketTime.js';

const test = suite('eastern clock');

const ny = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hourCycle: 'h23', weekday: 'short', hour: '2-digit', minute: '2-digit' });
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const viaIntl = (ms: number): { minutes: number; weekday: number } => {
  const parts = Object.fromEntries(ny.formatToParts(ms).map((p) => [p.type, p.value]));
  return { minutes: Number(parts.hour) * 60 + Number(parts.minute), weekday: WEEKDAYS.indexOf(parts.weekday ?? '') };
};

test('minutes since midnight and weekday agree with Intl for any instant 2007-2099', () => {
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(2007, 0, 1), max: Date.UTC(2099, 11, 31) }), (ms) => {
      const et = easternTime(ms);
      const ref = viaIntl(ms);
      return et.minutes === ref.minutes && et.weekday === ref.weekday;
    }),
    { numRuns: 20_000 },
  );
});

test('the DST switches happen at 02:00 local: 2025-03-09 07:00Z and 2025-11-02 06:00Z', () => {
  assert.is(easternTime(Date.parse('2025-03-09T06:59:59Z')).offsetMinutes, -300);
  assert.is(easternTime(Date.parse('2025-03-09T07:00:00Z')).offsetMinutes, -240);
  assert.is(easternTime(Date.parse('2025-03-09T07:00:00Z')).minutes, 3 * 60);
  assert.is(easternTime(Date.parse('2025-11-02T05:59:59Z')).offsetMinutes, -240);
  assert.is(easternTime(Date.parse('2025-11-02T06:00:00Z')).offsetMinutes, -300);
  assert.is(easternTime(Date.parse('2025-11-02T06:00:00Z')).minutes, 60);
});

test('regular hours are 09:30 <= t < 16:00 on weekdays', () => {
  const at = (iso: string) => isRegularHours(easternTime(Date.parse(iso)));
  assert.is(at('2025-06-11T09:29:59.999-04:00'), false);
  assert.is(at('2025-06-11T09:30:00-04:00'), true);
  assert.is(at('2025-06-11T15:59:59.999-04:00'), true);
  assert.is(at('2025-06-11T16:00:00-04:00'), false);
  assert.is(at('2025-06-14T11:00:00-04:00'), false, 'Saturday');
  assert.is(at('2025-06-15T11:00:00-04:00'), false, 'Sunday');
  assert.is(at('2025-12-15T09:30:00-05:00'), true, 'winter');
});

test('minutes to close round up: 30 at 15:30:00, 31 one ms earlier, 0 at 16:00, negative after', () => {
  const m = (iso: string) => minutesToClose(easternTime(Date.parse(iso)));
  assert.is(m('2025-06-11T15:30:00-04:00'), 30);
  assert.is(m('2025-06-11T15:29:59.999-04:00'), 31);
  assert.is(m('2025-06-11T15:59:01-04:00'), 1);
  assert.is(m('2025-06-11T16:00:00-04:00'), 0);
  assert.is(m('2025-06-11T17:00:00-04:00'), -60);
});

test('instants before 1970 read consistently (no negative weekday or minute)', () => {
  const et = easternTime(-1);
  assert.ok(et.weekday >= 0 && et.weekday <= 6 && et.minutes >= 0 && et.minutes < 1440);
  assert.is(et.weekday, 3, '1969-12-31 was a Wednesday');
});

test.run();
