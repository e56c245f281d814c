// Owns the stack that fault tests and the fault bench may break: its own state dir and ports (never the shared stack),
// the standard topics and schemas on it, prefixed topics per test, its broker and registry stopped, killed and restarted.
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import type { Level } from '../../src/domain/priority/level.js';
import { createTopicAdmin } from '../../src/kafka/admin.js';
import { createKafka, probeBrokers, type KafkaClient } from '../../src/kafka/client.js';
import type { ProjectedTopics } from '../../src/pipelines/project.js';
import { TOPIC_KINDS } from '../../src/domain/topicKind.js';
import type { Topology } from '../../src/domain/topology.js';
import { registerSchemas } from '../../src/pipelines/schemas.js';
import { applyTopics } from '../../src/pipelines/topics.js';
import { createRegistry, type Registry } from '../../src/registry/registry.js';
import { loadSchemas } from '../../src/registry/schemas.js';
import { loadTopicSpecs, loadTopology, schemasDir } from '../../src/resources.js';
import { registryReady, stackDown, stackStatus, stackUp, type Component } from '../../src/stack/stack.js';

export interface FaultStack {
  readonly cfg: Config;
  readonly kafka: () => KafkaClient;
  readonly registry: Registry;
  /** The environment that points a child process at this stack. */
  readonly env: NodeJS.ProcessEnv;
  readonly pid: (c: Component) => Promise<number | undefined>;
  /** SIGKILL, no goodbye. */
  readonly kill9: (c: Component) => Promise<void>;
  /** A clean stop (SIGTERM, waits for the process to end). */
  readonly stop: (c: Component) => Promise<void>;
  /** Starts what is down and waits until it answers. */
  readonly up: () => Promise<void>;
  readonly answering: (c: Component) => Promise<boolean>;
  /** Stops the stack if this call started it (a test run leaves nothing behind; a stack kept up for benches stays). */
  readonly release: () => Promise<void>;
}

/**
 * The fault stack: GEXSTREAM_FAULTS_STATE_DIR / _KAFKA_PORT / _REGISTRY_PORT (defaults: a state dir of this user under
 * the temp dir, ports 29092 and 28081), started if it is not running, with the standard topics and schemas applied.
 */
export const faultStack = async (): Promise<FaultStack> => {
  const e = process.env;
  const env: NodeJS.ProcessEnv = {
    GEXSTREAM_STATE_DIR: e['GEXSTREAM_FAULTS_STATE_DIR'] ?? join(tmpdir(), `gexstream-faults-${userInfo().username}`),
    GEXSTREAM_KAFKA_PORT: e['GEXSTREAM_FAULTS_KAFKA_PORT'] ?? '29092',
    GEXSTREAM_REGISTRY_PORT: e['GEXSTREAM_FAULTS_REGISTRY_PORT'] ?? '28081',
    ...(e['GEXSTREAM_CACHE_DIR'] ? { GEXSTREAM_CACHE_DIR: e['GEXSTREAM_CACHE_DIR'] } : {}),
    ...(e['GEXSTREAM_KAFKA_VERSION'] ? { GEXSTREAM_KAFKA_VERSION: e['GEXSTREAM_KAFKA_VERSION'] } : {}),
  };
  const cfg = loadConfig(env);
  const shared = loadConfig();
  if (cfg.brokers.join(',') === shared.brokers.join(',') || cfg.registryUrl === shared.registryUrl) throw new Error(`the fault stack (${cfg.brokers.join(',')}) must not be the stack under test (${shared.brokers.join(',')})`);
  const startedHere = (await stackUp(cfg)).started.length > 0;
  const kafka = (): KafkaClient => createKafka({ brokers: cfg.brokers, clientId: 'gexstream-faults' });
  const registry = createRegistry({ url: cfg.registryUrl });
  const specs = loadTopicSpecs();
  await applyTopics({ kafka: kafka(), specs });
  await registerSchemas({ registry, specs, schemas: loadSchemas(schemasDir) });
  const pid = async (c: Component): Promise<number | undefined> => (await stackStatus(cfg)).find((s) => s.component === c)?.pid;
  const answering = async (c: Component): Promise<boolean> => (c === 'kafka' ? (await probeBrokers(cfg.brokers)).ok : registryReady(cfg.registryUrl).catch(() => false));
  return {
    cfg,
    kafka,
    registry,
    env: { ...env, KAFKA_BROKERS: cfg.brokers.join(','), SCHEMA_REGISTRY_URL: cfg.registryUrl },
    pid,
    answering,
    kill9: async (c) => {
      const p = await pid(c);
      if (p === undefined) return;
      process.kill(p, 'SIGKILL');
      // gone once /proc no longer lists it
      for (let i = 0; i < 200 && (await pid(c)) !== undefined; i++) await new Promise((r) => setTimeout(r, 50));
    },
    stop: async (c) => {
      await stackDown(cfg, [c]);
    },
    up: async () => {
      await stackUp(cfg);
    },
    release: async () => {
      if (startedHere) await stackDown(cfg);
    },
  };
};

export interface FaultPipeline {
  readonly prefix: string;
  readonly raw: string;
  readonly levelTopic: (l: Level) => string;
  readonly topics: ProjectedTopics;
  /** Every kind under the prefix. */
  readonly topology: Topology;
  readonly cleanup: () => Promise<void>;
}

/** Every topic of a pipeline under a fresh prefix on the fault stack (`run --topic-prefix`), with its value schemas. */
export const faultPipeline = async (s: FaultStack, name: string, partitions = 3): Promise<FaultPipeline> => {
  const prefix = `faults.${name}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const topology = loadTopology(prefix);
  const pairs = TOPIC_KINDS.map((k): [string, string] => [topology.spec(k).name, topology.topic(k)]);
  await applyTopics({
    kafka: s.kafka(),
    specs: TOPIC_KINDS.map((k) => {
      const spec = topology.spec(k);
      return { ...spec, name: topology.topic(k), partitions: spec.partitions === 1 ? 1 : partitions };
    }),
  });
  for (const [base, name] of pairs) {
    const latest = await s.registry.latest(`${base}-value`);
    if (latest) await s.registry.register(`${name}-value`, latest.schema);
  }
  return {
    prefix,
    raw: topology.raw,
    levelTopic: topology.level,
    topics: { processed: topology.processed, jobs: topology.jobs, rules: topology.rules, sources: topology.sources, dlq: topology.dlq },
    topology,
    cleanup: async () => {
      const admin = await createTopicAdmin({ kafka: s.kafka() });
      await admin.deleteTopics(pairs.map(([, n]) => n)).catch(() => undefined);
      await admin.close();
    },
  };
};

/** `gexstream run` against the fault stack, as a child process; stderr is kept for the test to read, and the ops address (log level info). */
export const spawnRunOn = (s: FaultStack, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { stderrText: () => string; opsAddress: () => string | undefined } => {
  const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'gexstream.js'), 'run', '--ops-port', '0', '--http-port', '0', ...args], {
    env: { ...process.env, GEXSTREAM_LOG_LEVEL: 'warn', ...s.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  let ops: string | undefined;
  child.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
    ops ??= /"address":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*ops endpoints/.exec(text)?.[1];
    if (text.length > 1_000_000) text = text.slice(-500_000);
  });
  return Object.assign(child, { stderrText: () => text, opsAddress: () => ops });
};
