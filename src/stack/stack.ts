// Owns the local stack: a single-node KRaft Kafka and Apicurio Registry (kafkasql storage) as JVM processes on loopback.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { probeBrokers } from '../kafka/client.js';
import { APICURIO_VERSION, KAFKA_RELEASES, ensureKafka, ensureRegistry, kafkaCached, registryCached } from './installer.js';
import { ownedPid, startDetached, stopOwned, tail, waitUntil } from './processes.js';
import { authHeaders, type RegistryAuth } from '../registry/registry.js';

export type Component = 'kafka' | 'registry';
export const COMPONENTS: readonly Component[] = ['kafka', 'registry'];

export interface ComponentStatus {
  readonly component: Component;
  readonly state: 'running' | 'stopped' | 'external' | 'unreachable';
  readonly address: string;
  readonly pid?: number;
  readonly version?: string;
  readonly detail?: string;
}

const dirs = (cfg: Config) => ({
  root: cfg.stateDir,
  kafkaData: join(cfg.stateDir, 'kafka', 'data'),
  kafkaConf: join(cfg.stateDir, 'kafka'),
  registry: join(cfg.stateDir, 'registry'),
  logs: join(cfg.stateDir, 'logs'),
  run: join(cfg.stateDir, 'run'),
});

/** The marker on each JVM's command line that ties it to this state dir, so `down` stops exactly what `up` started. */
const marker = (cfg: Config, c: Component): string => `-Dgexstream.stack=${c}@${cfg.stateDir}`;
const pidFile = (cfg: Config, c: Component): string => join(dirs(cfg).run, `${c}.pid`);
export const logFile = (cfg: Config, c: Component): string => join(dirs(cfg).logs, `${c}.log`);


export const registryReady = async (url: string, auth?: RegistryAuth): Promise<boolean> => {
  const res = await fetch(`${url.replace(/\/+$/, '')}/subjects`, { headers: authHeaders(auth), signal: AbortSignal.timeout(2_000) });
  return res.ok;
};

/** The broker's server.properties; docker-compose.yml mirrors the settings that are not about local paths and ports. */
export const kafkaProperties = (cfg: Config): string => {
  const d = dirs(cfg);
  return [
    '# Written by `gexstream stack up`: single-node KRaft broker+controller on loopback.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${cfg.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${cfg.kafkaPort},CONTROLLER://127.0.0.1:${cfg.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${cfg.kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${d.kafkaData}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'group.initial.rebalance.delay.ms=0',
    'message.max.bytes=10485760',
    'replica.fetch.max.bytes=10485760',
    'log.cleaner.backoff.ms=2000',
    'transaction.abort.timed.out.transaction.cleanup.interval.ms=10000',
    'transaction.remove.expired.transaction.cleanup.interval.ms=60000',
    '',
  ].join('\n');
};

const log4jReload = (cfg: Config): string =>
  [
    'log4j.rootLogger=INFO, stdout',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka=INFO',
    'log4j.logger.org.apache.kafka=INFO',
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=WARN',
    `# state dir ${cfg.stateDir}`,
    '',
  ].join('\n');

const log4j2 = (): string =>
  [
    'status = warn',
    'appender.console.type = Console',
    'appender.console.name = STDOUT',
    'appender.console.layout.type = PatternLayout',
    'appender.console.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = info',
    'rootLogger.appenderRef.stdout.ref = STDOUT',
    'logger.statechange.name = state.change.logger',
    'logger.statechange.level = warn',
    '',
  ].join('\n');

const versionFile = (cfg: Config): string => join(dirs(cfg).kafkaConf, 'version');

/** The Kafka release a state dir was formatted with: data formatted by one major is not started with another. */
const formattedVersion = (cfg: Config): string | undefined => (existsSync(versionFile(cfg)) ? readFileSync(versionFile(cfg), 'utf8').trim() : undefined);

const startKafka = async (cfg: Config, say: (s: string) => void): Promise<void> => {
  const d = dirs(cfg);
  const rel = KAFKA_RELEASES[cfg.kafkaVersion];
  const prior = formattedVersion(cfg);
  if (prior !== undefined && prior !== rel.version) {
    throw new Error(`state dir ${cfg.stateDir} holds Kafka ${prior} data; start with GEXSTREAM_KAFKA_VERSION=${prior.startsWith('4') ? '4.1' : '3.9'} or wipe it with \`gexstream stack reset\``);
  }
  if (!kafkaCached(cfg.cacheDir, cfg.kafkaVersion)) say(`kafka: downloading Apache Kafka ${rel.version} from Maven Central into ${cfg.cacheDir} (once)`);
  const libs = ensureKafka(cfg.cacheDir, cfg.kafkaVersion);
  for (const dir of [d.kafkaData, d.logs, d.run]) mkdirSync(dir, { recursive: true });
  const props = join(d.kafkaConf, 'server.properties');
  writeFileSync(props, kafkaProperties(cfg));
  const logConf = join(d.kafkaConf, rel.logging === 'reload4j' ? 'log4j.properties' : 'log4j2.properties');
  writeFileSync(logConf, rel.logging === 'reload4j' ? log4jReload(cfg) : log4j2());
  const logProp = rel.logging === 'reload4j' ? `-Dlog4j.configuration=file:${logConf}` : `-Dlog4j2.configurationFile=${logConf}`;
  const cp = `${libs}/*`;
  if (!existsSync(join(d.kafkaData, 'meta.properties'))) {
    // like Kafka's Uuid.randomUuid: an id starting with '-' would be read as an option by the storage tool
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    say(`kafka: formatting storage in ${d.kafkaData} (cluster ${clusterId})`);
    execFileSync('java', ['-cp', cp, logProp, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, `--config=${props}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    writeFileSync(versionFile(cfg), `${rel.version}\n`);
  }
  const heap = process.env['GEXSTREAM_KAFKA_HEAP'] ?? '-Xms256m -Xmx1g';
  startDetached(
    'java',
    [marker(cfg, 'kafka'), ...heap.split(/\s+/), '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', logProp, `-Dkafka.logs.dir=${d.logs}`, '-cp', cp, 'kafka.Kafka', props],
    { logFile: logFile(cfg, 'kafka'), pidFile: pidFile(cfg, 'kafka'), cwd: d.kafkaConf },
  );
  const brokers = [`127.0.0.1:${cfg.kafkaPort}`];
  await waitUntil('kafka', async () => (await probeBrokers(brokers)).ok, {
    timeoutMs: 90_000,
    pidFile: pidFile(cfg, 'kafka'),
    marker: marker(cfg, 'kafka'),
    logFile: logFile(cfg, 'kafka'),
  });
};

const startRegistry = async (cfg: Config, say: (s: string) => void): Promise<void> => {
  const d = dirs(cfg);
  if (!registryCached(cfg.cacheDir)) say(`registry: downloading Apicurio Registry ${APICURIO_VERSION} from Maven Central into ${cfg.cacheDir} (once)`);
  const jar = ensureRegistry(cfg.cacheDir);
  mkdirSync(d.registry, { recursive: true });
  const heap = process.env['GEXSTREAM_REGISTRY_HEAP'] ?? '-Xms128m -Xmx512m';
  startDetached(
    'java',
    [
      marker(cfg, 'registry'),
      ...heap.split(/\s+/),
      '-XX:+UseG1GC',
      `-Dquarkus.http.host=127.0.0.1`,
      `-Dquarkus.http.port=${cfg.registryPort}`,
      // Schemas live in a Kafka topic (like Confluent's _schemas), so they and their ids survive restarts.
      '-Dapicurio.storage.kind=kafkasql',
      `-Dapicurio.kafkasql.bootstrap.servers=127.0.0.1:${cfg.kafkaPort}`,
      '-Dapicurio.kafkasql.topic=_apicurio-kafkasql-journal',
      '-Dapicurio.kafkasql.snapshots.topic=_apicurio-kafkasql-snapshots',
      '-Dapicurio.rest.deletion.artifact.enabled=true',
      '-Dapicurio.rest.deletion.artifact-version.enabled=true',
      '-Dquarkus.log.console.format=%d{HH:mm:ss.SSS} %-5p [%c{2.}] %s%e%n',
      '-jar',
      jar,
    ],
    { logFile: logFile(cfg, 'registry'), pidFile: pidFile(cfg, 'registry'), cwd: d.registry },
  );
  await waitUntil('schema registry', () => registryReady(cfg.registryUrl, cfg.registry.auth), {
    timeoutMs: 120_000,
    pidFile: pidFile(cfg, 'registry'),
    marker: marker(cfg, 'registry'),
    logFile: logFile(cfg, 'registry'),
  });
};

export class ExternalStackError extends Error {
  override readonly name = 'ExternalStackError';
}

const refuseExternal = (cfg: Config, verb: string): void => {
  if (cfg.external)
    throw new ExternalStackError(`KAFKA_BROKERS / SCHEMA_REGISTRY_URL point at an existing cluster (${cfg.brokers.join(',')}, ${cfg.registryUrl}); \`stack ${verb}\` starts and stops nothing`);
};

export interface UpResult {
  readonly started: Component[];
  readonly alreadyRunning: Component[];
}

/** Idempotent: starts whatever of Kafka and the registry is not running yet, and waits until each answers. */
export const stackUp = async (cfg: Config, say: (s: string) => void = () => undefined): Promise<UpResult> => {
  refuseExternal(cfg, 'up');
  const started: Component[] = [];
  const alreadyRunning: Component[] = [];
  if (ownedPid(pidFile(cfg, 'kafka'), marker(cfg, 'kafka')) !== undefined) alreadyRunning.push('kafka');
  else {
    const probe = await probeBrokers([`127.0.0.1:${cfg.kafkaPort}`]);
    if (probe.ok) throw new Error(`port ${cfg.kafkaPort} already answers as a Kafka broker not started from ${cfg.stateDir}; stop it, or set KAFKA_BROKERS to use it`);
    await startKafka(cfg, say);
    started.push('kafka');
  }
  if (ownedPid(pidFile(cfg, 'registry'), marker(cfg, 'registry')) !== undefined) alreadyRunning.push('registry');
  else {
    if (await registryReady(cfg.registryUrl, cfg.registry.auth).catch(() => false)) throw new Error(`port ${cfg.registryPort} already answers as a schema registry not started from ${cfg.stateDir}`);
    await startRegistry(cfg, say);
    started.push('registry');
  }
  // A process we own may still be starting (e.g. `up` run twice quickly): wait until it answers.
  await waitUntil('kafka', async () => (await probeBrokers(cfg.brokers)).ok, { timeoutMs: 90_000, logFile: logFile(cfg, 'kafka') });
  await waitUntil('schema registry', () => registryReady(cfg.registryUrl, cfg.registry.auth), { timeoutMs: 120_000, logFile: logFile(cfg, 'registry') });
  return { started, alreadyRunning };
};

/** Stops the registry, then Kafka: exactly the processes started from this state dir. */
export const stackDown = async (cfg: Config, which: readonly Component[] = COMPONENTS): Promise<Component[]> => {
  refuseExternal(cfg, 'down');
  const stopped: Component[] = [];
  for (const c of ['registry', 'kafka'] as const) {
    if (!which.includes(c)) continue;
    if (await stopOwned(pidFile(cfg, c), marker(cfg, c), c === 'kafka' ? 60_000 : 20_000)) stopped.push(c);
  }
  return stopped;
};

/** Stops everything and deletes the state dir (topics, messages, schemas, logs). The download cache is kept. */
export const stackReset = async (cfg: Config): Promise<void> => {
  refuseExternal(cfg, 'reset');
  await stackDown(cfg);
  rmSync(cfg.stateDir, { recursive: true, force: true });
};

export const stackStatus = async (cfg: Config): Promise<ComponentStatus[]> => {
  const probe = await probeBrokers(cfg.brokers);
  const reg = await registryReady(cfg.registryUrl, cfg.registry.auth).then(
    (ok) => (ok ? undefined : 'no answer'),
    (e: Error) => e.message,
  );
  if (cfg.external) {
    return [
      { component: 'kafka', state: probe.ok ? 'external' : 'unreachable', address: cfg.brokers.join(','), ...(probe.ok ? { detail: `${probe.brokers} broker(s)` } : { detail: probe.error }) },
      { component: 'registry', state: reg === undefined ? 'external' : 'unreachable', address: cfg.registryUrl, ...(reg ? { detail: reg } : {}) },
    ];
  }
  const kpid = ownedPid(pidFile(cfg, 'kafka'), marker(cfg, 'kafka'));
  const rpid = ownedPid(pidFile(cfg, 'registry'), marker(cfg, 'registry'));
  const kver = formattedVersion(cfg) ?? KAFKA_RELEASES[cfg.kafkaVersion].version;
  return [
    {
      component: 'kafka',
      state: kpid !== undefined ? 'running' : 'stopped',
      address: `127.0.0.1:${cfg.kafkaPort} (controller 127.0.0.1:${cfg.controllerPort})`,
      version: `Apache Kafka ${kver} (KRaft)`,
      ...(kpid !== undefined ? { pid: kpid } : {}),
      ...(kpid !== undefined ? { detail: probe.ok ? 'answering' : `not answering yet: ${probe.error}` } : {}),
    },
    {
      component: 'registry',
      state: rpid !== undefined ? 'running' : 'stopped',
      address: cfg.registryUrl,
      version: `Apicurio Registry ${APICURIO_VERSION} (kafkasql storage)`,
      ...(rpid !== undefined ? { pid: rpid } : {}),
      ...(rpid !== undefined ? { detail: reg === undefined ? 'answering' : `not answering yet: ${reg}` } : {}),
    },
  ];
};

export const stackLogs = (cfg: Config, c: Component, lines: number): string => tail(logFile(cfg, c), lines);
