// Rules as events: the fold (hot reload, versions, history) and the define/update/disable commands, given events / when command / then event.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { decide } from '../../../src/domain/priority/decide.js';
import { decideRuleCommand, disableRule, updateRule, type RuleCommand, type RuleCommandError } from '../../../src/domain/priority/ruleCommands.js';
import { evolveRuleSet, foldRuleEvents, initialRuleSet, ruleSetProjection, RuleEvent, type RuleSet } from '../../../src/domain/priority/ruleSet.js';
import { defined, input, rule, ruleSetOf, T_RTH } from './helpers.js';

const test = suite('rule set fold and commands');
const C = defaultPriorityConfig;
const NOW = T_RTH + 1000;
const spx = input({ ticker: 'SPX' });

const given = (events: RuleEvent[]) => ({
  when: (cmd: RuleCommand, meta = { nowMs: 2_000_000_000_000, newId: 'new-rule' }) => {
    const state = foldRuleEvents(events);
    const result = decideRuleCommand(cmd, state, meta);
    return {
      then: (check: (r: Either<RuleCommandError, RuleEvent>, state: RuleSet) => void) => check(result, state),
    };
  },
});

const spxRule = rule('spx', 'ticker == "SPX"', { level: 'critical' });

test('hot reload: disabling a rule stops it matching at the next decision; every event increments the version', () => {
  let state = ruleSetProjection.initialState();
  state = ruleSetProjection.evolve(state, defined(spxRule));
  const before = decide(spx, state, C, NOW);
  assert.equal(before.matched_rules, ['spx']);
  assert.is(before.level, 'critical');
  assert.is(before.rule_set_version, 1);

  const disabled = disableRule({ type: 'DisableRule', rule_id: 'spx', actor: 'ops' }, state, 1_800_000_000_000);
  assert.ok(isRight(disabled));
  if (!isRight(disabled)) return;
  state = evolveRuleSet(state, disabled.right);
  const after = decide(spx, state, C, NOW);
  assert.equal(after.matched_rules, []);
  assert.is(after.rule_set_version, 2);
  assert.is(state.rules.get('spx')?.rule.active, false, 'a disabled rule is kept for history');
  assert.is(state.active.length, 0);
});

test('hot reload: an updated condition is recompiled and applies at the next decision', () => {
  let state = ruleSetOf(spxRule);
  const upd = updateRule({ type: 'UpdateRule', rule_id: 'spx', changes: { condition: 'ticker == "NDX"' } }, state, 1_800_000_000_000);
  assert.ok(isRight(upd));
  if (!isRight(upd)) return;
  state = evolveRuleSet(state, upd.right);
  assert.equal(decide(spx, state, C, NOW).matched_rules, []);
  assert.equal(decide(input({ ticker: 'NDX' }), state, C, NOW).matched_rules, ['spx']);
  assert.is(state.version, 2);
});

test('the fold is total: an event whose condition does not compile keeps the rule with a problem, never matching', () => {
  const state = foldRuleEvents([defined(rule('broken', 'tickr == "SPX"', { level: 'critical' })), defined(spxRule)]);
  assert.is(state.version, 2);
  assert.match(state.rules.get('broken')?.problem ?? '', /Unknown variable: tickr/);
  assert.equal(decide(spx, state, C, NOW).matched_rules, ['spx']);
});

test('an unchanged condition is not recompiled; re-enabling a rule makes it match again', () => {
  const s1 = ruleSetOf(spxRule);
  const compiled = s1.rules.get('spx')?.compiled;
  const renamed = updateRule({ type: 'UpdateRule', rule_id: 'spx', changes: { name: 'renamed' } }, s1, 1_800_000_000_000);
  assert.ok(isRight(renamed));
  if (!isRight(renamed)) return;
  const s2 = evolveRuleSet(s1, renamed.right);
  assert.is(s2.rules.get('spx')?.compiled, compiled);
  const off = disableRule({ type: 'DisableRule', rule_id: 'spx' }, s2, 1_800_000_000_001);
  assert.ok(isRight(off));
  if (!isRight(off)) return;
  const s3 = evolveRuleSet(s2, off.right);
  const on = updateRule({ type: 'UpdateRule', rule_id: 'spx', changes: { active: true } }, s3, 1_800_000_000_002);
  assert.ok(isRight(on));
  if (!isRight(on)) return;
  const s4 = evolveRuleSet(s3, on.right);
  assert.equal(decide(spx, s4, C, NOW).matched_rules, ['spx']);
  assert.is(s4.rules.get('spx')?.rule.version, 4);
  assert.is(s4.version, 4);
});

test('the fold replays to the same decisions: folding the same events twice gives the same matches and version', () => {
  const events = [defined(spxRule), defined(rule('rt', 'data_type == "real_time"', { adjust: -1 }))];
  const a = decide(spx, foldRuleEvents(events), C, NOW);
  const b = decide(spx, foldRuleEvents(events), C, NOW);
  assert.equal(a, b);
});

test('RuleEvent codec accepts what the commands produce', () => {
  const ev = defined(spxRule);
  assert.ok(isRight(RuleEvent.decode(JSON.parse(JSON.stringify(ev)))));
  assert.ok(isLeft(RuleEvent.decode({ ...ev, type: 'RuleDeleted' })));
});

test('define: a new rule at version 1, created and updated now, under the given id', () => {
  given([]).when({ type: 'DefineRule', name: 'SPX', condition: 'ticker == "SPX"', level: 'critical', actor: 'alice' }).then((r) => {
    assert.ok(isRight(r));
    if (!isRight(r)) return;
    assert.equal(r.right, {
      type: 'RuleDefined',
      rule_id: 'new-rule',
      at_ms: 2_000_000_000_000,
      actor: 'alice',
      rule: { rule_id: 'new-rule', name: 'SPX', description: '', condition: 'ticker == "SPX"', score: null, level: 'critical', adjust: null, active: true, created_at_ms: 2_000_000_000_000, updated_at_ms: 2_000_000_000_000, version: 1 },
    });
  });
});

test('define: an invalid condition or no action is refused with located errors; an existing id is refused', () => {
  given([]).when({ type: 'DefineRule', name: 'x', condition: 'ticker ==', level: 'high' }).then((r) => {
    assert.ok(isLeft(r) && Array.isArray(r.left) && r.left[0]?.path === 'condition');
  });
  given([]).when({ type: 'DefineRule', name: 'x', condition: 'true' }).then((r) => {
    assert.ok(isLeft(r) && Array.isArray(r.left) && r.left[0]?.path === '$');
  });
  given([defined(rule('new-rule', 'true', { adjust: 1 }))]).when({ type: 'DefineRule', name: 'x', condition: 'true', adjust: 1 }).then((r) => {
    assert.equal(r, { _tag: 'Left', left: 'rule new-rule already exists' });
  });
});

test('update: version bumped, created_at_ms kept, updated_at_ms now, only the given fields change; null clears a field', () => {
  given([defined(rule('r', 'ticker == "SPX"', { level: 'high', adjust: -1 }, { description: 'keep me', version: 3 }))])
    .when({ type: 'UpdateRule', rule_id: 'r', changes: { score: 0.7, adjust: null }, actor: 'bob' })
    .then((r) => {
      assert.ok(isRight(r));
      if (!isRight(r)) return;
      const e = r.right;
      assert.is(e.type, 'RuleUpdated');
      assert.is(e.actor, 'bob');
      assert.equal([e.rule.version, e.rule.created_at_ms, e.rule.updated_at_ms], [4, 1_700_000_000_000, 2_000_000_000_000]);
      assert.equal([e.rule.condition, e.rule.description, e.rule.level, e.rule.score, e.rule.adjust], ['ticker == "SPX"', 'keep me', 'high', 0.7, null]);
    });
});

test('update: an unknown id, an invalid condition or a change that leaves no action is refused', () => {
  given([]).when({ type: 'UpdateRule', rule_id: 'ghost', changes: { score: 0.5 } }).then((r) => assert.equal(r, { _tag: 'Left', left: 'unknown rule ghost' }));
  given([defined(spxRule)]).when({ type: 'UpdateRule', rule_id: 'spx', changes: { condition: 'process.exit()' } }).then((r) => {
    assert.ok(isLeft(r) && Array.isArray(r.left));
    if (isLeft(r) && Array.isArray(r.left)) assert.equal(r.left, [{ path: 'condition', message: 'type error at 1: Unknown variable: process' }]);
  });
  given([defined(spxRule)]).when({ type: 'UpdateRule', rule_id: 'spx', changes: { level: null } }).then((r) => {
    assert.ok(isLeft(r) && Array.isArray(r.left) && r.left[0]?.path === '$');
  });
});

test('disable: version bumped and inactive; an unknown or already disabled rule is refused', () => {
  given([defined(spxRule)]).when({ type: 'DisableRule', rule_id: 'spx', actor: 'ops' }).then((r) => {
    assert.ok(isRight(r));
    if (!isRight(r)) return;
    assert.equal([r.right.type, r.right.rule.active, r.right.rule.version, r.right.rule.created_at_ms, r.right.rule.updated_at_ms], ['RuleDisabled', false, 2, 1_700_000_000_000, 2_000_000_000_000]);
  });
  given([]).when({ type: 'DisableRule', rule_id: 'spx' }).then((r) => assert.equal(r, { _tag: 'Left', left: 'unknown rule spx' }));
  given([defined({ ...spxRule, active: false })]).when({ type: 'DisableRule', rule_id: 'spx' }).then((r) => assert.equal(r, { _tag: 'Left', left: 'rule spx is already disabled' }));
});

test('an empty rule set is version 0 and matches nothing', () => {
  const d = decide(spx, initialRuleSet(), C, NOW);
  assert.equal([d.rule_set_version, d.matched_rules], [0, []]);
});

test.run();
