// The shipped default guidelines against the table of example cases (tests/guidelines/cases.json).
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { decide } from '../../../src/domain/priority/decide.js';
import { seedRuleEvents } from '../../../src/domain/priority/guidelines.js';
import { LEVELS, type Level } from '../../../src/domain/priority/level.js';
import type { DataType } from '../../../src/domain/snapshot.js';
import { defaultGuidelines, input, repoFile } from './helpers.js';
import { loadCalendar } from '../../../src/resources.js';

interface Case {
  name: string;
  snapshot: { ticker: string; data_type: DataType; min_dte: number | null; timestamp: string };
  reliability?: number;
  requested_level?: Level;
  market_event?: string;
  now: string;
  expected: Level;
}

const cases = JSON.parse(readFileSync(repoFile('tests/guidelines/cases.json'), 'utf8')) as Case[];
const test = suite('default guidelines');
// the shipped exchange calendar, as the prioritizer uses it (holidays, 13:00 early closes)
const calendar = loadCalendar();

const nyOffset = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', timeZoneName: 'longOffset' });
/** "-04:00" for an instant, as the tz database has it. */
const offsetOf = (ms: number): string => (nyOffset.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? '').replace('GMT', '');

test('the table has at least 50 cases, unique names, valid levels and parseable times', () => {
  assert.ok(cases.length >= 50, `only ${cases.length} cases`);
  assert.is(new Set(cases.map((c) => c.name)).size, cases.length, 'duplicate case names');
  for (const c of cases) {
    assert.ok((LEVELS as readonly string[]).includes(c.expected), `${c.name}: expected ${c.expected}`);
    assert.ok(Number.isFinite(Date.parse(c.snapshot.timestamp)) && Number.isFinite(Date.parse(c.now)), `${c.name}: times`);
  }
});

test('every explicit offset in the table is the real New York offset at that instant (the table itself is right)', () => {
  for (const c of cases) {
    for (const iso of [c.snapshot.timestamp, c.now]) {
      const m = /([+-]\d{2}:\d{2})$/.exec(iso);
      if (m) assert.is(offsetOf(Date.parse(iso)), m[1], `${c.name}: ${iso}`);
    }
  }
});

test('the engine decides every case as the table expects', () => {
  const rules = defaultGuidelines();
  const failures: string[] = [];
  for (const c of cases) {
    const d = decide(
      input(
        { ticker: c.snapshot.ticker, data_type: c.snapshot.data_type, min_dte: c.snapshot.min_dte, timestamp_ms: Date.parse(c.snapshot.timestamp) },
        {
          sourceStats: c.reliability === undefined ? null : { reliability: c.reliability, ema_latency_ms: 150 },
          requestedLevel: c.requested_level ?? null,
          marketEvent: c.market_event ?? null,
        },
      ),
      rules,
      defaultPriorityConfig,
      Date.parse(c.now),
      calendar,
    );
    if (d.level !== c.expected) failures.push(`${c.name}: expected ${c.expected}, got ${d.level} (matched ${d.matched_rules.join(', ') || 'none'})`);
    if (d.errors.length > 0) failures.push(`${c.name}: errors ${d.errors.join('; ')}`);
    if (d.overridden !== (c.requested_level !== undefined)) failures.push(`${c.name}: overridden ${d.overridden}`);
  }
  if (failures.length > 0) console.log(`failing cases:\n  ${failures.join('\n  ')}`);
  assert.equal(failures, []);
});

test('the guideline file seeds one RuleDefined per rule, version 1, and the folded set counts them', () => {
  const json: unknown = JSON.parse(readFileSync(repoFile('rules/default-guidelines.json'), 'utf8'));
  const events = seedRuleEvents(json, 42);
  assert.ok(isRight(events));
  if (!isRight(events)) return;
  assert.ok(events.right.every((e) => e.type === 'RuleDefined' && e.at_ms === 42 && e.rule.version === 1 && e.rule.active));
  const set = defaultGuidelines();
  assert.is(set.version, events.right.length);
  assert.is(set.active.length, events.right.length);
});

test('a guideline file with a bad rule is refused with the rule located', () => {
  const r = seedRuleEvents([{ rule_id: 'a', name: 'a', condition: 'data_type == "real_time"', level: 'high' }, { rule_id: 'b', name: 'b', condition: 'tickr == "SPX"', level: 'high' }, { rule_id: 'a', name: 'dup', condition: 'true', adjust: 1 }], 0);
  assert.ok(isLeft(r));
  if (!isLeft(r)) return;
  assert.is(r.left[0]?.path, '[1].condition');
  assert.match(r.left[0]?.message ?? '', /Unknown variable: tickr/);
  assert.equal(r.left[1], { path: '[2].rule_id', message: 'duplicate rule id a' });
});

test.run();
