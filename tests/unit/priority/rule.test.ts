// Rules as written: refused conditions and fields with their messages, and conditions that cannot reach code or run long.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import type { PathError } from '../../../src/domain/errors.js';
import { ACTIVATION_VARIABLES, MAX_CONDITION_LENGTH, buildActivation, ruleEnvironment } from '../../../src/domain/priority/activation.js';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { decide } from '../../../src/domain/priority/decide.js';
import { readFacts } from '../../../src/domain/priority/facts.js';
import { compileCondition, validateRule } from '../../../src/domain/priority/rule.js';
import { input, repoFile, rule, ruleSetOf, T_RTH } from './helpers.js';

const test = suite('rule validation');

const refused = (over: Record<string, unknown>): PathError[] => {
  const r = validateRule({ ...rule('r1', 'data_type == "real_time"', { level: 'high' }), ...over });
  if (isRight(r)) throw new Error(`expected ${JSON.stringify(over)} to be refused`);
  return r.left;
};
const conditionError = (condition: string): string => {
  const errs = refused({ condition });
  const e = errs.find((x) => x.path === 'condition');
  if (e === undefined) throw new Error(`no condition error for ${condition}: ${JSON.stringify(errs)}`);
  return e.message;
};

test('a well-formed rule is accepted as is; absent optional fields take the Avro defaults', () => {
  const r = rule('r1', 'ticker in ["SPX", "NDX"] && is_regular_hours && age_ms <= 60000', { level: 'critical' });
  const ok = validateRule(r);
  assert.ok(isRight(ok));
  if (isRight(ok)) assert.equal(ok.right, r);
  const minimal = validateRule({ rule_id: 'm', name: 'm', condition: 'true', adjust: -1, active: true, created_at_ms: 1, updated_at_ms: 1, version: 1 });
  assert.ok(isRight(minimal));
  if (isRight(minimal)) assert.equal([minimal.right.description, minimal.right.score, minimal.right.level, minimal.right.adjust], ['', null, null, -1]);
});

test('every documented variable type-checks in a condition', () => {
  for (const v of ACTIVATION_VARIABLES) {
    const cond = v.type === 'bool' ? v.name : v.type === 'string' ? `${v.name} != "x"` : v.type === 'int' ? `${v.name} >= 0` : v.type === 'double' ? `${v.name} >= 0.0` : `size(${v.name}) >= 0`;
    assert.ok(isRight(compileCondition(cond)), `${v.name}: ${cond}`);
  }
});

test('rules/README.md documents every variable of the activation', () => {
  const readme = readFileSync(repoFile('rules/README.md'), 'utf8');
  for (const v of ACTIVATION_VARIABLES) assert.ok(readme.includes(`| \`${v.name}\` | \`${v.type}\` |`), v.name);
});

test('parse errors are refused with the parser message and position', () => {
  assert.is(conditionError('data_type == '), 'parse error at 14: Unexpected token: EOF');
  assert.match(conditionError('ticker == "SPX" &&& true'), /^parse error at \d+: /);
  assert.match(conditionError('(ticker == "SPX"'), /^parse error/);
});

test('unknown variables and type errors are refused with the checker message', () => {
  assert.is(conditionError('tickr == "SPX"'), 'type error at 1: Unknown variable: tickr');
  assert.is(conditionError('min_dte == "0"'), 'type error at 1: no such overload: int == string');
  assert.is(conditionError('min_dte == 0.0'), 'type error at 1: no such overload: int == double');
  assert.match(conditionError('ticker.foo == "x"'), /^type error/);
});

test('a condition must be a bool', () => {
  assert.is(conditionError('min_dte + 1'), 'expected a condition of type bool, got int');
  assert.is(conditionError('ticker'), 'expected a condition of type bool, got string');
  assert.is(conditionError('headers["x"]'), 'expected a condition of type bool, got string');
  assert.is(conditionError(''), 'expected a CEL expression, got an empty string');
});

test('size limits: more than 1000 characters, or too large or deep an AST, is refused', () => {
  const long = `ticker == "${'A'.repeat(MAX_CONDITION_LENGTH)}"`;
  assert.is(conditionError(long), `expected at most ${MAX_CONDITION_LENGTH} characters, got ${long.length}`);
  const wide = Array.from({ length: 60 }, (_, i) => `min_dte == ${i % 10}`).join(' || ');
  assert.ok(wide.length <= MAX_CONDITION_LENGTH);
  assert.match(conditionError(wide), /Exceeded maxAstNodes/);
  const deep = `${'('.repeat(60)}is_0dte${')'.repeat(60)}`;
  assert.match(conditionError(deep), /Exceeded maxDepth/);
});

test('cost bound: nested iteration and regexes are refused; a single macro is allowed', () => {
  assert.match(conditionError('[1, 2, 3].all(x, [1, 2, 3].exists(y, x == y))'), /nested iteration/);
  assert.match(conditionError('headers.exists(k, headers.exists(j, k == j))'), /nested iteration/);
  assert.match(conditionError('ticker.matches("^SP")'), /function matches\(\) is not allowed/);
  assert.match(conditionError('headers.exists(k, headers[k].matches("(a+)+$"))'), /function matches\(\) is not allowed/);
  assert.ok(isLeft(compileCondition('matches(ticker, "(a+)+$")')), 'the global form does not exist');
  assert.ok(isRight(compileCondition('headers.exists(k, k.startsWith("x-"))')));
});

test('field rules: score in [0,1], a known level, an integer adjust, at least one action, times in order', () => {
  assert.equal(refused({ score: 1.5 }).map((e) => e.path), ['score']);
  assert.match(refused({ score: -0.1 })[0]?.message ?? '', /expected a number in \[0, 1\], got -0.1/);
  assert.equal(refused({ level: 'urgent' }), [{ path: 'level', message: 'expected one of critical, high, medium, low or null, got "urgent"' }]);
  assert.equal(refused({ adjust: 1.5 }).map((e) => e.path), ['adjust']);
  assert.equal(refused({ level: null, score: null, adjust: null }), [{ path: '$', message: 'expected an action: a score, a level or a non-zero adjust' }]);
  assert.equal(refused({ level: null, adjust: 0 }).map((e) => e.path), ['$']);
  assert.equal(refused({ created_at_ms: 10, updated_at_ms: 5 }).map((e) => e.path), ['updated_at_ms']);
  assert.equal(refused({ rule_id: '' }).map((e) => e.path), ['rule_id']);
  const both = refused({ score: 2, condition: 'nope' });
  assert.equal(both.map((e) => e.path).sort(), ['condition', 'score'], 'field and condition errors are reported together');
});

test('expressions that try to reach code are refused: there is no global, no property escape, no JS syntax', () => {
  const attempts = [
    'process.exit()',
    'process.exit(1) == null',
    'constructor',
    'this',
    'globalThis.process != null',
    'require("child_process")',
    'import("fs") == null',
    'ticker.constructor("return process")() == ""',
    'ticker.__proto__ == null',
    'eval("1") == 1',
    'Function("return 1")() == 1',
    '(() => true)()',
    'function() { return true }',
    'ticker = "x"',
    'ticker == "SPX"; process.exit()',
    '`${ticker}` == "SPX"',
    'new Date() == null',
  ];
  for (const a of attempts) assert.ok(isLeft(compileCondition(a)), `accepted: ${a}`);
});

test('map lookups cannot reach the prototype: a header named constructor or __proto__ is a missing key, and the rule does not match', () => {
  for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const c = compileCondition(`headers["${key}"] != ""`);
    assert.ok(isRight(c), key);
    if (!isRight(c)) continue;
    const act = buildActivation(readFacts(input(), T_RTH, 0.9));
    assert.throws(() => c.right(act), /No such key/);
    const d = decide(input(), ruleSetOf(rule('proto', `headers["${key}"] != ""`, { level: 'critical' })), defaultPriorityConfig, T_RTH);
    assert.equal(d.matched_rules, []);
    assert.match(d.errors[0] ?? '', new RegExp(`^rule proto: No such key: ${key.replace(/_/g, '_')}`));
  }
  assert.ok(!ruleEnvironment().hasVariable('process'));
});

test('a guarded header lookup matches without error', () => {
  const d = decide(input({}, { headers: { 'x-desk': 'vol' } }), ruleSetOf(rule('desk', '"x-desk" in headers && headers["x-desk"] == "vol"', { adjust: 1 })), defaultPriorityConfig, T_RTH);
  assert.equal(d.matched_rules, ['desk']);
  assert.equal(d.errors, []);
});

test.run();
