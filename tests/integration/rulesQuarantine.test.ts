// Rules that cannot be evaluated safely: refused when written, and when already stored (written before the check),
// quarantined by a RuleDisabled event on the rules topic instead of failing, or crashing the prioritizer, on every message.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { generatePayloads } from '../../src/domain/generator.js';
import { H } from '../../src/domain/headers.js';
import { buildActivation, defaultPriorityConfig, readFacts, type RuleEvent } from '../../src/domain/priority/index.js';
import { createLogger } from '../../src/log.js';
import { createPrioritizer } from '../../src/pipelines/prioritize.js';
import { createProducer } from '../../src/kafka/producer.js';
import { followRules, readRules, writeRuleCommand } from '../../src/pipelines/rules.js';
import { eventually, kafka, registry, unique } from '../support/env.js';
import { isolatedPipeline, isolatedProjection } from '../support/projection.js';

const test = suite('rules: cost bound and quarantine (real broker + registry)');

/** 417 characters that build a list of 6^12 = 2.2e9 elements: V8 aborts out of memory, no try/catch sees it. */
const exploding = (): string => {
  const names = Array.from({ length: 13 }, (_, i) => `v${i}`);
  let cond = `size(${names[12]}) > 0`;
  for (let i = 12; i >= 1; i--) cond = `cel.bind(${names[i]},${Array(6).fill(names[i - 1]).join('+')},${cond})`;
  return `cel.bind(v0,[0],${cond})`;
};

const storedRule = (id: string, condition: string): RuleEvent => ({
  type: 'RuleDefined', rule_id: id, at_ms: 1_700_000_000_000, actor: 'an older version',
  rule: { rule_id: id, name: id, description: '', condition, score: null, level: 'critical', adjust: null, active: true, created_at_ms: 1_700_000_000_000, updated_at_ms: 1_700_000_000_000, version: 1 },
});

test('an exploding condition is refused when written; stored, it is quarantined by an event and never evaluated', async () => {
  const iso = await isolatedProjection('quarantine');
  const topic = iso.topics.rules;
  try {
    const refused = await writeRuleCommand({ kafka: kafka(), registry, topic }, { type: 'DefineRule', name: 'boom', condition: exploding(), level: 'critical', actor: 'test' });
    assert.ok(isLeft(refused), 'refused when written');
    if (isLeft(refused)) assert.match(JSON.stringify(refused.left), 'too costly to evaluate');

    // as an older version would have stored it, next to a good rule
    const enc = await registry.encoder<RuleEvent>(`${topic}-value`);
    const producer = await createProducer({ kafka: kafka() });
    await producer.send([{ topic, messages: [storedRule('boom', exploding()), storedRule('fine', 'ticker == "SPX"')].map((e) => ({ key: e.rule_id, value: enc.encode(e) })) }]);
    await producer.close();

    const quarantined: RuleEvent[] = [];
    const view = await followRules({ kafka: kafka(), registry, topic, onQuarantine: (e) => quarantined.push(e) });
    try {
      await view.ready;
      // while the event is on its way the rule is already out of the active set: it never runs
      assert.equal(view.ruleSet().active.map((r) => r.rule_id), ['fine']);
      await eventually('the quarantine event', async () => (quarantined.length > 0 ? true : undefined), 30_000, 50);
      await view.caughtUp();
      const entry = view.ruleSet().rules.get('boom');
      assert.is(entry?.rule.active, false, 'the view folded the quarantine');
      assert.is(entry?.rule.version, 2);
      assert.is(view.ruleSet().rules.get('fine')?.rule.active, true, 'the good rule stays');
      const log = await readRules({ kafka: kafka(), registry, topic });
      const last = log.events.filter((e) => e.rule_id === 'boom').at(-1);
      assert.is(last?.type, 'RuleDisabled');
      assert.match(last?.actor ?? '', /^quarantine: stored condition refused: condition: too costly to evaluate/);
      // a second view (a restart) finds it disabled: no second event
      const again = await followRules({ kafka: kafka(), registry, topic });
      await again.ready;
      await again.stop();
      assert.is((await readRules({ kafka: kafka(), registry, topic })).events.length, 3, 'one quarantine only');
    } finally {
      await view.stop();
    }
  } finally {
    await iso.cleanup();
  }
});

test('a prioritizer starting on a topic that holds an exploding rule decides its messages, and the rule is quarantined', async () => {
  const iso = await isolatedPipeline('quarantine-prio', 1);
  const enc = await registry.encoder<RuleEvent>(`${iso.topology.rules}-value`);
  const producer = await createProducer({ kafka: kafka() });
  const prioritizer = await createPrioritizer({ kafka: kafka(), registry, logger: createLogger('silent'), priority: defaultPriorityConfig, topology: iso.topology, groupId: unique('q.prio'), instanceId: unique('qp') });
  try {
    // stored before the cost bound existed: replaying it at start would have run it on the first message
    await producer.send([{ topic: iso.topics.rules, messages: [storedRule('boom', exploding()), storedRule('spx', 'ticker == "SPX"')].map((e) => ({ key: e.rule_id, value: enc.encode(e) })) }]);
    await prioritizer.start();
    const [spx] = [...generatePayloads({ seed: 7, tickers: ['SPX'], count: 1, strikes: 10 })].map((p) => ({ ...p, timestamp: Math.floor(Date.now() / 1000) - 1 }));
    await producer.send([{ topic: iso.raw, messages: [{ key: 'SPX', value: Buffer.from(JSON.stringify(spx)), headers: { [H.dataType]: 'real_time' } }] }]);
    await eventually('the snapshot decided', async () => (prioritizer.stats().tally.total >= 1 ? true : undefined), 60_000, 50);
    assert.is(prioritizer.stats().tally.byLevel.critical, 1, 'decided by the good rule');
    await eventually('the exploding rule quarantined', async () => (prioritizer.ruleSet().rules.get('boom')?.rule.active === false ? true : undefined), 30_000, 50);
    const last = (await readRules({ kafka: kafka(), registry, topic: iso.topics.rules })).events.at(-1);
    assert.match(last?.actor ?? '', /^quarantine: /);
  } finally {
    await prioritizer.stop();
    await producer.close();
    await iso.cleanup();
  }
});

test('a rule over the evaluation budget twice in a row is quarantined; once is forgiven', async () => {
  const iso = await isolatedProjection('budget');
  const topic = iso.topics.rules;
  try {
    const defined = await writeRuleCommand({ kafka: kafka(), registry, topic }, { type: 'DefineRule', name: 'slow', condition: 'ticker == "SPX"', level: 'high', actor: 'test' });
    assert.ok(!isLeft(defined));
    let t = 0;
    let step = 0;
    const quarantined: RuleEvent[] = [];
    // the view's stopwatch: each evaluation "takes" `step` ms
    const view = await followRules({ kafka: kafka(), registry, topic, elapsedMs: () => (t += step), onQuarantine: (e) => quarantined.push(e) });
    try {
      await view.ready;
      const activation = buildActivation(readFacts({ snapshot: { ticker: 'SPX', kind: 'gexbot_classic', category: null, timestamp_ms: 0, spot: null, strikes: [], min_dte: null } as never, source: 'gexbot', headers: {}, sourceStats: null }, 0, 0.9));
      const rule = (): { matches: (a: typeof activation) => boolean } => view.ruleSet().active[0] as never;
      step = 400;
      assert.is(rule().matches(activation), true);
      step = 1;
      assert.is(rule().matches(activation), true);
      step = 400;
      rule().matches(activation);
      assert.is(quarantined.length, 0, 'over budget once, then in budget, then once again: forgiven');
      rule().matches(activation);
      await eventually('the quarantine event', async () => (quarantined.length > 0 ? true : undefined), 30_000, 50);
      assert.match(quarantined[0]?.actor ?? '', /^quarantine: evaluation took 400 ms, over the 250 ms budget/);
      await view.caughtUp();
      assert.equal(view.ruleSet().active, [], 'out of the active set');
    } finally {
      await view.stop();
    }
  } finally {
    await iso.cleanup();
  }
});

test.run();
