// Owns rule writes and reads on the rules topic: fold the topic into the current rule set, decide a command, append its event.
import { randomUUID } from 'node:crypto';
import { isLeft, type Either, left, right } from 'fp-ts/lib/Either.js';
import { decideRuleCommand, evaluationFailureQuarantines, evolveRuleSet, initialRuleSet, type RuleCommand, type RuleCommandError, type RuleEvent, type RuleSet } from '../domain/priority/index.js';
import type { KafkaClient } from '../kafka/client.js';
import { createProducer, type GexProducer } from '../kafka/producer.js';
import { readToEnd } from '../kafka/reader.js';
import { followTable } from '../kafka/tableReader.js';
import { whileUnavailable, type Registry } from '../registry/registry.js';
import { valueSubject } from './schemas.js';

export interface RuleLog {
  readonly ruleSet: RuleSet;
  /** The events still on the topic, in order (compaction keeps at least the latest per rule). */
  readonly events: RuleEvent[];
}

export const readRules = async ({ kafka, registry, topic }: { kafka: KafkaClient; registry: Registry; topic: string }): Promise<RuleLog> => {
  const events: RuleEvent[] = [];
  await readToEnd(kafka, topic, async (m) => {
    if (m.value) events.push(await registry.decode<RuleEvent>(m.value));
  }, { idleMs: 500 });
  return { ruleSet: events.reduce(evolveRuleSet, initialRuleSet()), events };
};

/** Decides `cmd` against the current rule set and appends the resulting event; refused commands write nothing. */
export const writeRuleCommand = async (
  { kafka, registry, topic, now = Date.now }: { kafka: KafkaClient; registry: Registry; topic: string; now?: () => number },
  cmd: RuleCommand,
): Promise<Either<RuleCommandError, RuleEvent>> => {
  const { ruleSet } = await readRules({ kafka, registry, topic });
  const producer = await createProducer({ kafka });
  try {
    return await decideAndAppend({ set: ruleSet, cmd, producer, registry, topic, now });
  } finally {
    await producer.close();
  }
};

/** Decides `cmd` against `set` and appends the event; a refused command writes nothing. */
const decideAndAppend = async ({ set, cmd, producer, registry, topic, now }: { set: RuleSet; cmd: RuleCommand; producer: GexProducer; registry: Registry; topic: string; now: () => number }): Promise<Either<RuleCommandError, RuleEvent>> => {
  const ev = decideRuleCommand(cmd, set, { nowMs: now(), newId: randomUUID() });
  if (isLeft(ev)) return left(ev.left);
  const enc = await registry.encoder<RuleEvent>(valueSubject(topic));
  await producer.send([{ topic, messages: [{ key: ev.right.rule_id, value: enc.encode(ev.right) }] }]);
  return right(ev.right);
};

/** The rule set folded live from the rules topic: what the prioritizer decides with and what the API reads and writes against. */
export interface RuleView {
  readonly ruleSet: () => RuleSet;
  /** Rule events seen so far (0 on an empty topic). */
  readonly records: () => number;
  /** Resolves when every event on the topic at start is folded. */
  readonly ready: Promise<void>;
  /** Resolves when every event written before the call is folded (read-your-writes). */
  readonly caughtUp: (timeoutMs?: number) => Promise<void>;
  readonly stop: () => Promise<void>;
}

/** An evaluation slower than this is over budget; twice in a row quarantines the rule (one GC pause is not the rule's fault). */
export const RULE_EVALUATION_BUDGET_MS = 250;

export const followRules = async ({ kafka, registry, topic, onChange, onError, onQuarantine, quarantine = true, now = Date.now, elapsedMs = performance.now.bind(performance) }: {
  kafka: KafkaClient;
  registry: Registry;
  topic: string;
  onChange?: (set: RuleSet, ev: RuleEvent) => void;
  onError?: (err: unknown) => void;
  /** A quarantine event was appended for this rule. */
  onQuarantine?: (ev: RuleEvent) => void;
  /**
   * Stored rules that cannot be evaluated safely are disabled by an event on the topic instead of failing on every
   * message: an active rule whose condition this version refuses (written before a check existed), and a rule whose
   * evaluation fails for lack of resources or runs over RULE_EVALUATION_BUDGET_MS twice in a row.
   */
  quarantine?: boolean;
  now?: () => number;
  elapsedMs?: () => number;
}): Promise<RuleView> => {
  let set = initialRuleSet();
  let guarded = set;
  let records = 0;
  let ready = false;
  let producer: GexProducer | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  const asked = new Set<string>();
  const overBudget = new Map<string, number>();
  let table: Awaited<ReturnType<typeof followTable>>;

  const quarantineRule = (ruleId: string, reason: string): void => {
    const entry = set.rules.get(ruleId);
    const key = `${ruleId}@${entry?.rule.version ?? 0}`;
    if (!quarantine || asked.has(key)) return;
    asked.add(key);
    chain = chain
      .then(async () => {
        await table.caughtUp();
        producer ??= await createProducer({ kafka });
        const res = await decideAndAppend({ set, cmd: { type: 'QuarantineRule', rule_id: ruleId, reason }, producer, registry, topic, now });
        // refused: the rule is already disabled (another instance quarantined it first): nothing left to do
        if (!isLeft(res)) onQuarantine?.(res.right);
      })
      .catch((err: unknown) => {
        asked.delete(key); // the next failure asks again
        onError?.(err);
      });
  };

  /** The set the prioritizer evaluates: each condition watched for failures that must not repeat. */
  const guard = (s: RuleSet): RuleSet => ({
    ...s,
    active: s.active.map((r) => ({
      ...r,
      matches: (a) => {
        const started = elapsedMs();
        let hit: boolean;
        try {
          hit = r.matches(a);
        } catch (err) {
          if (evaluationFailureQuarantines(err)) quarantineRule(r.rule_id, `evaluation failed: ${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`);
          throw err;
        }
        const took = elapsedMs() - started;
        if (took > RULE_EVALUATION_BUDGET_MS) {
          const n = (overBudget.get(r.rule_id) ?? 0) + 1;
          overBudget.set(r.rule_id, n);
          if (n >= 2) quarantineRule(r.rule_id, `evaluation took ${Math.round(took)} ms, over the ${RULE_EVALUATION_BUDGET_MS} ms budget, twice in a row`);
        } else overBudget.delete(r.rule_id);
        return hit;
      },
    })),
  });

  const quarantineRefused = (): void => {
    for (const [id, e] of set.rules) if (e.rule.active && e.problem !== null) quarantineRule(id, `stored condition refused: ${e.problem}`);
  };

  table = await followTable({
    kafka,
    topic,
    onRecord: async ({ value }) => {
      if (!value) return;
      records++;
      try {
        // an outage is waited out: a rule event skipped for it would leave the rule set wrong
        const ev = await whileUnavailable(() => registry.decode<RuleEvent>(value));
        set = evolveRuleSet(set, ev);
        guarded = guard(set);
        if (ready) quarantineRefused();
        onChange?.(set, ev);
      } catch (err) {
        onError?.(err);
      }
    },
  });
  // a replay folds the whole history first: only what is left refused at its end is quarantined
  void table.ready.then(() => {
    ready = true;
    quarantineRefused();
  }, () => undefined);
  return {
    ruleSet: () => guarded,
    records: () => records,
    ready: table.ready,
    caughtUp: table.caughtUp,
    stop: async () => {
      await chain;
      await table.stop();
      await producer?.close();
    },
  };
};

/**
 * Decides `cmd` against a live view once it has caught up with the topic, appends the event with a long-lived producer
 * and waits until the view holds it, so the next read shows the change. Writes through one writer are serialised.
 */
export const ruleWriter = ({ view, producer, registry, topic, now = Date.now }: { view: RuleView; producer: GexProducer; registry: Registry; topic: string; now?: () => number }) => {
  let chain: Promise<unknown> = Promise.resolve();
  const write = async (cmd: RuleCommand): Promise<Either<RuleCommandError, RuleEvent>> => {
    await view.caughtUp();
    const res = await decideAndAppend({ set: view.ruleSet(), cmd, producer, registry, topic, now });
    if (!isLeft(res)) await view.caughtUp();
    return res;
  };
  return (cmd: RuleCommand): Promise<Either<RuleCommandError, RuleEvent>> => {
    const next = chain.then(() => write(cmd));
    chain = next.catch(() => undefined);
    return next;
  };
};
