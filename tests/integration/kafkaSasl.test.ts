// SASL credentials from the environment reach a real broker: a KRaft Kafka of this test's own (the stack's jars, random
// loopback ports, a SASL_PLAINTEXT listener with PLAIN and SCRAM-SHA-256 users) is reached with KAFKA_SASL_* set, and
// refused with a wrong password or none.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.js';
import { createKafka, probeBrokers } from '../../src/kafka/client.js';
import { ensureKafka } from '../../src/stack/installer.js';
import { packageRoot } from '../../src/stack/paths.js';
import { config, eventually } from '../support/env.js';

const freePort = async (): Promise<number> => {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  s.close();
  return port;
};

const dir = mkdtempSync(join(tmpdir(), 'gexstream-sasl-'));
let broker: ChildProcess | null = null;
let brokers = '';

test.before(async () => {
  const [port, controller] = [await freePort(), await freePort()];
  brokers = `127.0.0.1:${port}`;
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=SASL_PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=SASL_PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256',
      'sasl.mechanism.inter.broker.protocol=PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_gex="gex:secret";',
      'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      `log.dirs=${join(dir, 'data')}`,
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const cp = `${ensureKafka(config.cacheDir, '3.9')}/*`;
  const quiet = join(dir, 'log4j.properties');
  writeFileSync(quiet, 'log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n');
  const log = `-Dlog4j.configuration=file:${quiet}`;
  // the SCRAM user is written into the metadata log when the storage is formatted (KRaft has no ZooKeeper to hold it)
  const fmt = spawnSync('java', ['-cp', cp, log, 'kafka.tools.StorageTool', 'format', '--cluster-id=sGx0sRzMTbqVbqHn2c9V7A', `--config=${props}`, '--add-scram', 'SCRAM-SHA-256=[name=scram-gex,password=scram-secret]'], { encoding: 'utf8' });
  assert.is(fmt.status, 0, fmt.stderr);
  broker = spawn('java', ['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', log, `-Dkafka.logs.dir=${join(dir, 'logs')}`, '-cp', cp, 'kafka.Kafka', props], { stdio: 'ignore' });
  const admin = { brokers: [brokers], sasl: { mechanism: 'plain' as const, username: 'admin', password: 'admin-secret' } };
  await eventually('the SASL broker', async () => ((await probeBrokers(admin)).ok ? true : undefined), 120_000, 500);
});

test.after(async () => {
  if (broker && broker.exitCode === null) {
    broker.kill('SIGTERM');
    await Promise.race([once(broker, 'exit'), new Promise((r) => setTimeout(r, 20_000))]);
    if (broker.exitCode === null) broker.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

test('KAFKA_SASL_USERNAME/PASSWORD (PLAIN by default): admin, produce and consume', async () => {
  const cfg = loadConfig({ KAFKA_BROKERS: brokers, KAFKA_SASL_USERNAME: 'gex', KAFKA_SASL_PASSWORD: 'gex:secret' }, '/');
  const kafka = createKafka({ ...cfg.kafka });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'sasl.probe', numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'sasl.probe', messages: [{ key: 'k', value: 'through SASL' }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'sasl.probe.g' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'sasl.probe', fromBeginning: true });
  const got = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }));
  await consumer.disconnect();
  assert.is(got, 'through SASL');
});

test('KAFKA_SASL_MECHANISM=scram-sha-256 with a SCRAM user', async () => {
  const cfg = loadConfig({ KAFKA_BROKERS: brokers, KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'scram-gex', KAFKA_SASL_PASSWORD: 'scram-secret' }, '/');
  const r = await probeBrokers(cfg.kafka);
  assert.ok(r.ok, JSON.stringify(r));
});

test('a wrong password or no credentials: refused', async () => {
  const wrong = await probeBrokers(loadConfig({ KAFKA_BROKERS: brokers, KAFKA_SASL_USERNAME: 'gex', KAFKA_SASL_PASSWORD: 'nope' }, '/').kafka);
  assert.is(wrong.ok, false);
  assert.match(wrong.ok ? '' : wrong.error, /SASL|[Aa]uthentication/);
  assert.is((await probeBrokers([brokers])).ok, false);
});

test('the CLI reads them from its environment: `stack status --json` reaches the secured cluster', () => {
  const r = spawnSync(process.execPath, [join(packageRoot, 'bin', 'gexstream.js'), 'stack', 'status', '--json'], {
    cwd: packageRoot,
    encoding: 'utf8',
    env: { ...process.env, KAFKA_BROKERS: brokers, KAFKA_SASL_USERNAME: 'gex', KAFKA_SASL_PASSWORD: 'gex:secret' },
  });
  const kafka = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { component: string; state: string }).find((c) => c.component === 'kafka');
  assert.is(kafka?.state, 'external', r.stdout + r.stderr);
});

test.run();
