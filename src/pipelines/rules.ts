// Owns rule writes and reads on gex.rules.v1: fold the topic into the current rule set, decide a command, append its event.
import { randomUUID } from 'node:crypto';
import { isLeft, type Either, left, right } from 'fp-ts/lib/Either.js';
import { decideRuleCommand, evolveRuleSet, initialRuleSet, type RuleCommand, type RuleCommandError, type RuleEvent, type RuleSet } from '../domain/priority/index.js';
import type { KafkaClient } from '../kafka/client.js';
import { createProducer } from '../kafka/producer.js';
import { readToEnd } from '../kafka/reader.js';
import type { Registry } from '../registry/registry.js';
import { RULES_TOPIC } from './prioritize.js';
import { valueSubject } from './schemas.js';

export interface RuleLog {
  readonly ruleSet: RuleSet;
  /** The events still on the topic, in order (compaction keeps at least the latest per rule). */
  readonly events: RuleEvent[];
}

export const readRules = async ({ kafka, registry, topic = RULES_TOPIC }: { kafka: KafkaClient; registry: Registry; topic?: string }): Promise<RuleLog> => {
  const events: RuleEvent[] = [];
  await readToEnd(kafka, topic, async (m) => {
    if (m.value) events.push(await registry.decode<RuleEvent>(m.value));
  }, { idleMs: 500 });
  return { ruleSet: events.reduce(evolveRuleSet, initialRuleSet()), events };
};

/** Decides `cmd` against the current rule set and appends the resulting event; refused commands write nothing. */
export const writeRuleCommand = async (
  { kafka, registry, topic = RULES_TOPIC, now = Date.now }: { kafka: KafkaClient; registry: Registry; topic?: string; now?: () => number },
  cmd: RuleCommand,
): Promise<Either<RuleCommandError, RuleEvent>> => {
  const { ruleSet } = await readRules({ kafka, registry, topic });
  const ev = decideRuleCommand(cmd, ruleSet, { nowMs: now(), newId: randomUUID() });
  if (isLeft(ev)) return left(ev.left);
  const enc = await registry.encoder<RuleEvent>(valueSubject(topic));
  const producer = await createProducer({ kafka });
  try {
    await producer.send([{ topic, messages: [{ key: ev.right.rule_id, value: enc.encode(ev.right) }] }]);
  } finally {
    await producer.close();
  }
  return right(ev.right);
};
