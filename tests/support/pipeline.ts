// Owns what pipeline integration tests share: a prioritizer's isolated topics, reading its outputs, waiting for counts.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { DeadLetter } from '../../src/domain/deadLetter.js';
import type { PrioritizedEnvelope, PrioritizedSnapshot } from '../../src/domain/prioritized.js';
import { decodeSnapshot, v2Wire } from '../../src/registry/columnarSnapshot.js';
import { LEVELS, type Level } from '../../src/domain/priority/level.js';
import { readToEnd } from '../../src/kafka/reader.js';
import type { Topology } from '../../src/domain/topology.js';
import type { KafkaClient } from '../../src/kafka/client.js';
import { kafka, registry, unique } from './env.js';
import { isolatedPipeline } from './projection.js';

export { registry };

export interface Isolated {
  readonly prefix: string;
  readonly rawTopic: string;
  readonly rulesTopic: string;
  readonly levelTopic: (l: Level) => string;
  readonly jobsTopic: string;
  readonly dlqTopic: string;
  /** Every kind under the prefix. */
  readonly topology: Topology;
  /** The options that point a prioritizer at these topics. */
  readonly topics: { topology: Topology };
  readonly group: string;
  readonly instance: string;
  readonly cleanup: () => Promise<void>;
}

/**
 * Every topic a prioritizer reads and writes under one prefix (`run --topic-prefix` lays out the same names), so a
 * test sees only its own input and output, and never waits on a transaction another suite's killed process left open.
 */
export const isolated = async (name: string, rawPartitions = 3): Promise<Isolated> => {
  const p = await isolatedPipeline(name, rawPartitions);
  const { topology } = p;
  return { prefix: p.prefix, rawTopic: topology.raw, rulesTopic: topology.rules, levelTopic: topology.level, jobsTopic: topology.jobs, dlqTopic: topology.dlq, topology, topics: { topology }, group: unique(`test.${name}.group`), instance: unique(name), cleanup: p.cleanup };
};

const wire = v2Wire(registry);

/** A prioritized v2 message decoded: the envelope, then the snapshot's columns. */
export const decodePrioritized = async (buf: Buffer): Promise<PrioritizedSnapshot> => {
  const head = await wire.decodeEnvelope<PrioritizedEnvelope>(buf);
  return { ...head.envelope, snapshot: decodeSnapshot(head.bytes, head.snapshotAt).snapshot };
};

/** Every prioritized snapshot on the test's level topics (read_committed). */
export const prioritizedFrom = async (iso: Isolated): Promise<PrioritizedSnapshot[]> => {
  const out: PrioritizedSnapshot[] = [];
  for (const l of LEVELS)
    await readToEnd(kafka(), iso.levelTopic(l), async (m) => {
      if (m.value) out.push(await decodePrioritized(m.value));
    }, { idleMs: 800 });
  return out;
};

/** Every dead letter on the test's DLQ topic (read_committed). */
export const deadLettersFrom = async (iso: Isolated): Promise<DeadLetter[]> => {
  const out: DeadLetter[] = [];
  await readToEnd(kafka(), iso.dlqTopic, async (m) => {
    if (m.value) out.push(await registry.decode<DeadLetter>(m.value));
  }, { idleMs: 800 });
  return out;
};

/** The sum of `group`'s committed offsets on `topic` (on the stack under test, or on the client given). */
export const groupConsumed = async (group: string, topic: string, client: KafkaClient = kafka()): Promise<number> => {
  const admin = client.admin();
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
