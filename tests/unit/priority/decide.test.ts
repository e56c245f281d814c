// The decision: the documented conflict order between the score, rule levels, rule scores, adjusts and the manual override.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { decide } from '../../../src/domain/priority/decide.js';
import { levelForScore } from '../../../src/domain/priority/level.js';
import { automaticShare, evolveTally, initialTally } from '../../../src/domain/priority/tally.js';
import { initialRuleSet } from '../../../src/domain/priority/ruleSet.js';
import { input, rule, ruleSetOf, strikes, T_RTH } from './helpers.js';

const test = suite('decision conflict order');
const C = defaultPriorityConfig;
const NOW = T_RTH + 1000;
const base = input({ strikes: strikes(100) });
const always = 'true';
const never = 'false';

test('(a) without rules the level follows the computed score through the thresholds', () => {
  const d = decide(base, initialRuleSet(), C, NOW);
  assert.is(d.level, levelForScore(d.score, C.thresholds));
  assert.equal(d.matched_rules, []);
  assert.is(d.rule_set_version, 0);
  assert.is(d.overridden, false);
  assert.is(d.level_rule, null);
  assert.ok(d.score > 0 && d.score < 1);
});

test('(a) the thresholds are inclusive lower bounds', () => {
  const th = C.thresholds;
  assert.is(levelForScore(0.8, th), 'critical');
  assert.is(levelForScore(0.7999, th), 'high');
  assert.is(levelForScore(0.6, th), 'high');
  assert.is(levelForScore(0.3, th), 'medium');
  assert.is(levelForScore(0.2999, th), 'low');
});

test('(b) a rule score replaces the computed score and the level follows the thresholds; the highest rule score wins', () => {
  const d = decide(base, ruleSetOf(rule('s1', always, { score: 0.35 }), rule('s2', always, { score: 0.65 }), rule('s3', never, { score: 0.95 })), C, NOW);
  assert.is(d.score, 0.65);
  assert.is(d.level, 'high');
  assert.equal(d.matched_rules, ['s1', 's2']);
});

test('(b) an explicit level beats any rule score; the highest level wins whatever the order of definition', () => {
  const d = decide(base, ruleSetOf(rule('z-low', always, { level: 'low' }), rule('a-high', always, { level: 'high' }), rule('score', always, { score: 0.99 })), C, NOW);
  assert.is(d.level, 'high');
  assert.is(d.level_rule, 'a-high');
  assert.is(d.score, 0.99, 'the score becomes the highest matched rule score when the level rule has none');
});

test('(b) ties between equal levels go to the higher rule score, then to the lower rule_id', () => {
  const byScore = decide(base, ruleSetOf(rule('a', always, { level: 'medium', score: 0.3 }), rule('b', always, { level: 'medium', score: 0.5 })), C, NOW);
  assert.is(byScore.level_rule, 'b');
  assert.is(byScore.score, 0.5);
  const byId = decide(base, ruleSetOf(rule('b', always, { level: 'medium' }), rule('a', always, { level: 'medium' })), C, NOW);
  assert.is(byId.level_rule, 'a');
  assert.equal(byId.matched_rules, ['a', 'b'], 'matched rules are listed in rule_id order');
});

test('(c) adjusts of all matched rules add up, after the level is chosen, clamped to low..critical', () => {
  const set = (...adj: number[]) => ruleSetOf(rule('lvl', always, { level: 'medium' }), ...adj.map((a, i) => rule(`adj${i}`, always, { adjust: a })));
  assert.is(decide(base, set(1), C, NOW).level, 'high');
  assert.is(decide(base, set(1, 1), C, NOW).level, 'critical');
  assert.is(decide(base, set(1, 1, 1), C, NOW).level, 'critical', 'clamped at critical');
  assert.is(decide(base, set(-1), C, NOW).level, 'low');
  assert.is(decide(base, set(-3, -3), C, NOW).level, 'low', 'clamped at low');
  assert.is(decide(base, set(2, -1), C, NOW).level, 'high', 'the sum counts');
  const alone = decide(base, ruleSetOf(rule('s', always, { score: 0.65 }), rule('up', always, { adjust: 1 })), C, NOW);
  assert.is(alone.level, 'critical', 'an adjust also applies to a level from a rule score');
  assert.is(alone.score, 0.65, 'an adjust moves the level, never the score');
});

test('(d) a requested level replaces everything and marks the decision overridden; the score is kept', () => {
  const rules = ruleSetOf(rule('lvl', always, { level: 'critical', score: 0.9 }), rule('down', always, { adjust: -1 }));
  const auto = decide(base, rules, C, NOW);
  assert.is(auto.level, 'high');
  const manual = decide({ ...base, requestedLevel: 'low' }, rules, C, NOW);
  assert.is(manual.level, 'low');
  assert.is(manual.overridden, true);
  assert.is(manual.score, 0.9);
  assert.equal(manual.matched_rules, ['down', 'lvl'], 'matched rules are still recorded');
  const header = decide({ ...base, headers: { 'gex-requested-level': 'critical' } }, rules, C, NOW);
  assert.is(header.level, 'critical');
  assert.is(header.overridden, true);
  const same = decide({ ...base, requestedLevel: 'high' }, rules, C, NOW);
  assert.is(same.overridden, true, 'a requested level is manual even when it agrees');
});

test('an unknown requested level is ignored and reported', () => {
  const d = decide({ ...base, requestedLevel: 'urgent' }, ruleSetOf(rule('lvl', always, { level: 'medium' })), C, NOW);
  assert.is(d.level, 'medium');
  assert.is(d.overridden, false);
  assert.equal(d.errors, ['requested level "urgent" ignored: expected critical, high, medium or low']);
});

test('rules see the requested level and the market event as strings ("" when absent)', () => {
  const rules = ruleSetOf(rule('ev', 'market_event == "fomc"', { level: 'critical' }), rule('none', 'requested_level == "" && market_event == ""', { adjust: -1 }));
  assert.equal(decide({ ...base, marketEvent: 'fomc' }, rules, C, NOW).matched_rules, ['ev']);
  assert.equal(decide(base, rules, C, NOW).matched_rules, ['none']);
});

test('a rule whose evaluation fails does not match; the others still decide and the error is recorded', () => {
  const d = decide(base, ruleSetOf(rule('bad', 'headers["missing"] == "x"', { level: 'critical' }), rule('div', '1 / (strike_count - strike_count) == 1', { level: 'critical' }), rule('ok', always, { level: 'low' })), C, NOW);
  assert.is(d.level, 'low');
  assert.equal(d.matched_rules, ['ok']);
  assert.equal(d.errors, ['rule bad: No such key: missing', 'rule div: division by zero']);
});

test('the decision records the rule-set version and always the computed components', () => {
  const rules = ruleSetOf(rule('a', always, { level: 'low' }), rule('b', never, { level: 'low' }));
  const d = decide(base, rules, C, NOW);
  assert.is(d.rule_set_version, 2);
  const plain = decide(base, initialRuleSet(), C, NOW);
  assert.equal(d.components, plain.components);
});

test('the tally counts automatic decisions (overridden = false) and levels', () => {
  const rules = ruleSetOf(rule('a', always, { level: 'high' }));
  const decisions = [decide(base, rules, C, NOW), decide({ ...base, requestedLevel: 'low' }, rules, C, NOW), decide(base, rules, C, NOW), decide(base, rules, C, NOW)];
  const tally = decisions.reduce(evolveTally, initialTally());
  assert.equal(tally, { total: 4, automatic: 3, byLevel: { critical: 0, high: 3, medium: 0, low: 1 } });
  assert.is(automaticShare(tally), 0.75);
  assert.is(automaticShare(initialTally()), 1);
});

test.run();
