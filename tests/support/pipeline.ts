// Owns what pipeline integration tests share: isolated raw/rules topics, reading outputs by origin, waiting for counts.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { DeadLetter } from '../../src/domain/deadLetter.js';
import type { PrioritizedSnapshot } from '../../src/domain/prioritized.js';
import { LEVELS } from '../../src/domain/priority/level.js';
import { createTopicAdmin } from '../../src/kafka/admin.js';
import { endOffsets, readToEnd } from '../../src/kafka/reader.js';
import { applyTopics } from '../../src/pipelines/topics.js';
import { createRegistry } from '../../src/registry/registry.js';
import { loadTopicSpecs } from '../../src/resources.js';
import { config, kafka, unique } from './env.js';

export const registry = createRegistry({ url: config.registryUrl });

export interface Isolated {
  readonly rawTopic: string;
  readonly rulesTopic: string;
  readonly group: string;
  readonly instance: string;
  readonly cleanup: () => Promise<void>;
}

/** A private raw topic and rules topic (with the shipped configs), so a test's prioritizer sees only its own input. */
export const isolated = async (name: string, rawPartitions = 3): Promise<Isolated> => {
  const specs = loadTopicSpecs();
  const raw = specs.find((s) => s.name === 'gex.raw.v1');
  const rules = specs.find((s) => s.name === 'gex.rules.v1');
  if (!raw || !rules) throw new Error('topic specs missing');
  const rawTopic = unique(`test.${name}.raw`);
  const rulesTopic = unique(`test.${name}.rules`);
  await applyTopics({ kafka: kafka(), specs: [{ ...raw, name: rawTopic, partitions: rawPartitions }, { ...rules, name: rulesTopic }] });
  // the rules topic must have a value schema for RuleEvent under its own subject
  const subj = await registry.latest('gex.rules.v1-value');
  if (subj) await registry.register(`${rulesTopic}-value`, subj.schema);
  return {
    rawTopic,
    rulesTopic,
    group: unique(`test.${name}.group`),
    instance: unique(name),
    cleanup: async () => {
      const admin = await createTopicAdmin({ kafka: kafka() });
      await admin.deleteTopics([rawTopic, rulesTopic]).catch(() => undefined);
      await admin.close();
    },
  };
};

export type Marks = Map<string, Map<number, number>>;

/** End offsets of the shared output topics now, so a test reads only what was written after. */
export const markOutputs = async (): Promise<Marks> => {
  const marks: Marks = new Map();
  for (const t of [...LEVELS.map((l) => `gex.priority.${l}.v1`), 'gex.dlq.v1', 'gex.jobs.v1']) marks.set(t, await endOffsets(kafka(), t));
  return marks;
};

/** Every prioritized snapshot written since `marks` whose raw message came from `rawTopic` (read_committed). */
export const prioritizedFrom = async (marks: Marks, rawTopic: string): Promise<PrioritizedSnapshot[]> => {
  const out: PrioritizedSnapshot[] = [];
  for (const l of LEVELS) {
    const topic = `gex.priority.${l}.v1`;
    await readToEnd(kafka(), topic, async (m) => {
      if (!m.value) return;
      const v = await registry.decode<PrioritizedSnapshot>(m.value);
      if (v.raw.topic === rawTopic) out.push(v);
    }, { from: marks.get(topic) ?? new Map(), idleMs: 800 });
  }
  return out;
};

export const deadLettersFrom = async (marks: Marks, rawTopic: string): Promise<DeadLetter[]> => {
  const out: DeadLetter[] = [];
  await readToEnd(kafka(), 'gex.dlq.v1', async (m) => {
    if (!m.value) return;
    const v = await registry.decode<DeadLetter>(m.value);
    if (v.original_topic === rawTopic) out.push(v);
  }, { from: marks.get('gex.dlq.v1') ?? new Map(), idleMs: 800 });
  return out;
};

/** Committed offsets of `group` on `topic` add up to `expected` (the group consumed everything). */
export const groupConsumed = async (group: string, topic: string): Promise<number> => {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return (t?.partitions ?? []).reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
};

/** The group has committed every partition of the topic up to its end (the last offset may be a commit marker). */
export const groupCaughtUp = async (group: string, topic: string): Promise<boolean> => {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [c] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const committed = new Map((c?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends.every((e) => Number(e.high) <= Number(e.low) || (committed.get(e.partition) ?? -1) >= Number(e.high) - 1);
  } finally {
    await admin.disconnect();
  }
};

/** `gexstream run` as a child process (so a test can kill -9 it). */
export const spawnRun = (args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess =>
  spawn(process.execPath, [join(process.cwd(), 'bin', 'gexstream.js'), 'run', '--ops-port', '0', '--http-port', '0', ...args], { env: { ...process.env, GEXSTREAM_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
