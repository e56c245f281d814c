// The static cost bound of conditions, the input bounds it relies on, and which evaluation failures quarantine a rule.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { EvaluationError } from '@marcbachmann/cel-js';
import { buildActivation, compileCondition, conditionCost, decideRuleCommand, evaluationFailureQuarantines, evolveRuleSet, initialRuleSet, INPUT_MAX_HEADERS, INPUT_MAX_STRING, MAX_CONDITION_COST, ruleEnvironment, type RuleEvent } from '../../../src/domain/priority/index.js';

const cost = (c: string): number => conditionCost(ruleEnvironment().parse(c).ast);
const growing = (levels: number, fanOut: number): string => {
  let cond = `size(v${levels}) > 0`;
  for (let i = levels; i >= 1; i--) cond = `cel.bind(v${i},${Array(fanOut).fill(`v${i - 1}`).join('+')},${cond})`;
  return `cel.bind(v0,[0],${cond})`;
};

test('a list multiplied through cel.bind is refused, whatever its length', () => {
  const boom = growing(12, 6); // 6^12 = 2.2e9 elements
  assert.ok(boom.length < 529);
  const r = compileCondition(boom);
  assert.ok(isLeft(r));
  if (isLeft(r)) assert.match(r.left, 'too costly to evaluate');
  assert.ok(cost(boom) > 6 ** 12, 'the bound is above the real size');
  assert.ok(cost(growing(3, 4)) < MAX_CONDITION_COST, 'a small bind is fine');
  assert.ok(!isLeft(compileCondition(growing(3, 4))));
});

test('strings and comprehensions multiply too; guideline-like conditions stay far below the bound', () => {
  // ticker is up to INPUT_MAX_STRING characters: 1024 * 4^6 = 4.2e6 characters
  assert.ok(cost('cel.bind(s, ticker + ticker + ticker + ticker, cel.bind(t, s + s + s + s, cel.bind(u, t + t + t + t, cel.bind(w, u + u + u + u, cel.bind(y, w + w + w + w, cel.bind(z, y + y + y + y, z.size() > 3))))))') > MAX_CONDITION_COST);
  assert.ok(cost('cel.bind(a, [1,2,3,4,5,6,7,8,9,10], cel.bind(b, a.map(x, a), cel.bind(c, b.map(y, b), cel.bind(d, c.map(z, c), size(d) > 0))))') > 10 ** 4);
  for (const c of ['data_type == "real_time" && ticker in ["SPX", "NDX", "ES_SPX", "NQ_NDX", "SPXW", "NDXP"] && is_regular_hours', '"k" in headers && headers["k"] == "v"', 'headers.exists(k, k.startsWith("x-") && headers[k] == "1")', 'reliability < 0.5'])
    assert.ok(cost(c) < MAX_CONDITION_COST / 10, `${c}: ${cost(c)}`);
});

test('the activation bounds what a condition sees: long strings cut, at most INPUT_MAX_HEADERS headers, gex-* first', () => {
  const headers: Record<string, string> = { 'gex-source': 'x'.repeat(5000) };
  for (let i = 0; i < 200; i++) headers[`a-${String(i).padStart(3, '0')}`] = 'v';
  const a = buildActivation({ ticker: 'T'.repeat(3000), kind: 'k', category: '', data_type: 'real_time', source: 's', spot: 1, min_dte: 0, timestamp_ms: 0, age_ms: 0, et: { minutes: 0, weekday: 1 }, minutes_to_close: 0, is_regular_hours: true, total_oi: 0, total_volume: 0, net_gex: 0, strike_count: 0, reliability: 1, market_event: '', requested_level: null, headers } as never);
  assert.is(a.ticker.length, INPUT_MAX_STRING);
  assert.is(Object.keys(a.headers).length, INPUT_MAX_HEADERS);
  assert.is(a.headers['gex-source']?.length, INPUT_MAX_STRING);
  const small = { 'gex-source': 'x' };
  assert.is(buildActivation({ ticker: 'T', kind: 'k', category: '', data_type: 'real_time', source: 's', spot: 1, min_dte: 0, timestamp_ms: 0, age_ms: 0, et: { minutes: 0, weekday: 1 }, minutes_to_close: 0, is_regular_hours: true, total_oi: 0, total_volume: 0, net_gex: 0, strike_count: 0, reliability: 1, market_event: '', requested_level: null, headers: small } as never).headers, small, 'within bounds: the same object');
});

test('a CEL evaluation error stays per message; resource failures and bugs quarantine', () => {
  assert.is(evaluationFailureQuarantines(new EvaluationError('No such key: k')), false);
  assert.is(evaluationFailureQuarantines(new RangeError('Invalid array length')), true);
  assert.is(evaluationFailureQuarantines(new Error('Maximum call stack size exceeded')), true);
  assert.is(evaluationFailureQuarantines(new EvaluationError('wrapped', undefined, new RangeError('Invalid string length'))), true);
});

test('quarantine: a RuleDisabled event with the reason in its actor; nothing for a disabled or unknown rule', () => {
  const defined: RuleEvent = { type: 'RuleDefined', rule_id: 'r', at_ms: 1, actor: null, rule: { rule_id: 'r', name: 'r', description: '', condition: 'true', score: null, level: 'high', adjust: null, active: true, created_at_ms: 1, updated_at_ms: 1, version: 1 } };
  const set = evolveRuleSet(initialRuleSet(), defined);
  const q = decideRuleCommand({ type: 'QuarantineRule', rule_id: 'r', reason: 'x'.repeat(900) }, set, { nowMs: 5, newId: 'n' });
  assert.ok(!isLeft(q));
  if (isLeft(q)) return;
  assert.is(q.right.type, 'RuleDisabled');
  assert.is(q.right.rule.active, false);
  assert.is(q.right.rule.version, 2);
  assert.ok(q.right.actor?.startsWith('quarantine: xxx') && q.right.actor.length < 600);
  const after = evolveRuleSet(set, q.right);
  assert.equal(after.active, []);
  assert.ok(isLeft(decideRuleCommand({ type: 'QuarantineRule', rule_id: 'r', reason: 'again' }, after, { nowMs: 6, newId: 'n' })));
  assert.ok(isLeft(decideRuleCommand({ type: 'QuarantineRule', rule_id: 'nope', reason: 'x' }, after, { nowMs: 6, newId: 'n' })));
});

test.run();
