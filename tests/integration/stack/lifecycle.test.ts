// The local stack itself, in its own state dir and ports: idempotent up, down leaves nothing, state survives a restart.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config.js';
import { createKafka } from '../../../src/kafka/client.js';
import { applyTopics } from '../../../src/pipelines/topics.js';
import { registerSchemas } from '../../../src/pipelines/schemas.js';
import { createRegistry } from '../../../src/registry/registry.js';
import { loadSchemas } from '../../../src/registry/schemas.js';
import { loadTopicSpecs, schemasDir } from '../../../src/resources.js';
import { stackDown, stackStatus, stackUp } from '../../../src/stack/stack.js';

const test = suite('stack lifecycle (own state dir, ports 19092/18081)');
const stateDir = mkdtempSync(join(tmpdir(), 'gexstream-stack-test-'));
const env: NodeJS.ProcessEnv = {
  GEXSTREAM_STATE_DIR: stateDir,
  GEXSTREAM_KAFKA_PORT: '19092',
  GEXSTREAM_REGISTRY_PORT: '18081',
  ...(process.env['GEXSTREAM_CACHE_DIR'] ? { GEXSTREAM_CACHE_DIR: process.env['GEXSTREAM_CACHE_DIR'] } : {}),
  ...(process.env['GEXSTREAM_KAFKA_VERSION'] ? { GEXSTREAM_KAFKA_VERSION: process.env['GEXSTREAM_KAFKA_VERSION'] } : {}),
};
const cfg = loadConfig(env);
const kafka = () => createKafka({ brokers: cfg.brokers, clientId: 'gexstream-stack-test' });

/** Every live process whose command line names this state dir. */
const processesOfStateDir = (): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`gexstream.stack=`) && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(stateDir);
      } catch {
        return false;
      }
    })
    .map(Number);

const readAll = async (topic: string, expected: number): Promise<string[]> => {
  const consumer = kafka().consumer({ groupId: `lifecycle-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: string[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 20_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value?.toString() ?? '');
        if (got.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return got;
};

test.after(async () => {
  await stackDown(cfg).catch(() => undefined);
  rmSync(stateDir, { recursive: true, force: true });
});

test('up starts both, a second up is a no-op, down leaves no process, and state survives down + up', async () => {
  const first = await stackUp(cfg);
  assert.equal(first.started, ['kafka', 'registry']);
  const pids = (await stackStatus(cfg)).map((s) => s.pid);
  assert.ok(pids.every((p) => typeof p === 'number'));

  const again = await stackUp(cfg);
  assert.equal(again.started, [], 'second up starts nothing');
  assert.equal(again.alreadyRunning, ['kafka', 'registry']);
  assert.equal((await stackStatus(cfg)).map((s) => s.pid), pids, 'same processes');

  const specs = loadTopicSpecs();
  await applyTopics({ kafka: kafka(), specs });
  const registry = createRegistry({ url: cfg.registryUrl });
  const ids = (await registerSchemas({ registry, specs, schemas: loadSchemas(schemasDir) })).map((r) => [r.subject, r.id] as const);
  const producer = kafka().producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: 'gex.raw.v1', acks: -1, messages: ['one', 'two', 'three'].map((v) => ({ key: 'SPX', value: v })) });
  await producer.disconnect();

  const stopped = await stackDown(cfg);
  assert.equal(stopped, ['registry', 'kafka']);
  assert.equal(processesOfStateDir(), [], 'no process of this stack is left');
  assert.ok((await stackStatus(cfg)).every((s) => s.state === 'stopped'));

  const restarted = await stackUp(cfg);
  assert.equal(restarted.started, ['kafka', 'registry']);
  const reapplied = await applyTopics({ kafka: kafka(), specs });
  assert.equal(reapplied.actions, [], 'topics are still there, unchanged');
  assert.equal((await readAll('gex.raw.v1', 3)).sort(), ['one', 'three', 'two'], 'messages survived the restart');
  for (const [subject, id] of ids) assert.is((await registry.latest(subject))?.id, id, `${subject} keeps schema id ${id}`);

  assert.equal(await stackDown(cfg), ['registry', 'kafka']);
  assert.equal(processesOfStateDir(), []);
});

test.run();
