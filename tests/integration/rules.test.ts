// Rule writes on a rules topic of the test's own: the CLI's one-shot path (fold the topic, decide, append) and the live
// rule view the API and the prioritizer use, which must agree event for event.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { createProducer } from '../../src/kafka/producer.js';
import { followRules, readRules, ruleWriter, writeRuleCommand } from '../../src/pipelines/rules.js';
import { kafka, registry } from '../support/env.js';
import { isolatedProjection } from '../support/projection.js';

const test = suite('rules (real broker + registry)');

test('one-shot writes are folded back; a refused command writes nothing; the live view and its writer agree', async () => {
  const iso = await isolatedProjection('rules');
  const topic = iso.topics.rules;
  const view = await followRules({ kafka: kafka(), registry, topic });
  const producer = await createProducer({ kafka: kafka() });
  try {
    const defined = await writeRuleCommand({ kafka: kafka(), registry, topic }, { type: 'DefineRule', name: 'qqq high', condition: 'ticker == "QQQ"', level: 'high', actor: 'test' });
    assert.ok(isRight(defined), JSON.stringify(defined));
    if (!isRight(defined)) return;
    const id = defined.right.rule_id;
    const refused = await writeRuleCommand({ kafka: kafka(), registry, topic }, { type: 'DefineRule', name: 'bad', condition: 'ticker ==', level: 'high', actor: 'test' });
    assert.ok(isLeft(refused), 'a condition that does not parse is refused');
    const unknown = await writeRuleCommand({ kafka: kafka(), registry, topic }, { type: 'DisableRule', rule_id: 'nope', actor: 'test' });
    assert.ok(isLeft(unknown), 'an unknown rule id is refused');
    const afterOneShot = await readRules({ kafka: kafka(), registry, topic });
    assert.is(afterOneShot.events.length, 1, 'refused commands wrote nothing');
    assert.is(afterOneShot.ruleSet.rules.get(id)?.rule.name, 'qqq high');

    // the live view folds the one-shot write; its writer's change shows on the next read, and the one-shot fold agrees
    await view.caughtUp();
    assert.is(view.ruleSet().rules.get(id)?.rule.name, 'qqq high');
    const write = ruleWriter({ view, producer, registry, topic });
    const disabled = await write({ type: 'DisableRule', rule_id: id, actor: 'test' });
    assert.ok(isRight(disabled), JSON.stringify(disabled));
    assert.is(view.ruleSet().rules.get(id)?.rule.active, false, 'the view holds the write when the writer returns');
    const folded = await readRules({ kafka: kafka(), registry, topic });
    assert.is(folded.events.length, 2);
    assert.equal(folded.ruleSet, view.ruleSet(), 'the one-shot fold and the live view hold the same rule set');
  } finally {
    await producer.close();
    await view.stop();
    await iso.cleanup();
  }
});

test.run();
