// docker-compose.yml stays in step with `gexstream stack up`: the broker settings, the registry's storage and a
// registry healthcheck the services can wait for.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../../src/config.js';
import { kafkaProperties } from '../../../src/stack/stack.js';
import { packageRoot } from '../../../src/stack/paths.js';

interface Service {
  image: string;
  environment: Record<string, string>;
  block: string;
}

/** One service of the compose file, read by indentation (no YAML package among the dependencies). */
const service = (name: string): Service => {
  const lines = readFileSync(join(packageRoot, 'docker-compose.yml'), 'utf8').split('\n');
  const start = lines.findIndex((l) => l === `  ${name}:`);
  assert.ok(start >= 0, `service ${name} in docker-compose.yml`);
  const end = lines.findIndex((l, i) => i > start && /^ {0,2}\S/.test(l));
  const body = lines.slice(start + 1, end < 0 ? undefined : end);
  const environment: Record<string, string> = {};
  let inEnv = false;
  for (const l of body) {
    if (/^ {4}\S/.test(l)) inEnv = l.trim() === 'environment:';
    const m = /^ {6}([A-Z0-9_]+): "?(.*?)"?$/.exec(l);
    if (inEnv && m) environment[m[1] as string] = m[2] as string;
  }
  return { image: /^ {4}image: (\S+)/m.exec(body.join('\n'))?.[1] ?? '', environment, block: body.join('\n') };
};
const kafka = service('kafka');
const registry = service('registry');

/** server.properties keys that are about this machine (paths, loopback ports, listener names), not the cluster's behaviour. */
const LOCAL = new Set(['process.roles', 'node.id', 'controller.quorum.voters', 'listeners', 'advertised.listeners', 'controller.listener.names', 'inter.broker.listener.name', 'listener.security.protocol.map', 'log.dirs']);

test('every broker setting of `stack up` is in compose, with the same value', () => {
  const props = kafkaProperties(loadConfig({}, '/'))
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('=') as [string, string]);
  const missing: string[] = [];
  for (const [k, v] of props) {
    if (LOCAL.has(k)) continue;
    const env = `KAFKA_${k.toUpperCase().replace(/\./g, '_')}`;
    if (String(kafka.environment[env]) !== v) missing.push(`${env}: expected ${v}, got ${kafka.environment[env]}`);
  }
  assert.equal(missing, []);
});

test('an explicit CLUSTER_ID (a base64url UUID), and the KRaft roles of a single node', () => {
  assert.match(kafka.environment['CLUSTER_ID'] ?? '', /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  assert.is(Buffer.from(kafka.environment['CLUSTER_ID'] ?? '', 'base64url').length, 16);
  assert.is(kafka.environment['KAFKA_PROCESS_ROLES'], 'broker,controller');
});

test('the same releases as the stack, kafkasql storage on the same topics, and a registry healthcheck', () => {
  const stack = readFileSync(join(packageRoot, 'src', 'stack', 'stack.ts'), 'utf8');
  const installer = readFileSync(join(packageRoot, 'src', 'stack', 'installer.ts'), 'utf8');
  assert.ok(installer.includes(kafka.image.split(':')[1] ?? '?'), `kafka ${kafka.image} not in installer.ts`);
  assert.ok(installer.includes(registry.image.split(':')[1] ?? '?'), `registry ${registry.image} not in installer.ts`);
  for (const [env, prop] of [['APICURIO_STORAGE_KIND', 'apicurio.storage.kind'], ['APICURIO_KAFKASQL_TOPIC', 'apicurio.kafkasql.topic'], ['APICURIO_KAFKASQL_SNAPSHOTS_TOPIC', 'apicurio.kafkasql.snapshots.topic']] as const)
    assert.ok(stack.includes(`-D${prop}=${registry.environment[env]}`), `${env}=${registry.environment[env]} vs src/stack`);
  assert.match(registry.block, /healthcheck:\n\s+test: \[.*apis\/ccompat\/v7\/subjects/);
  assert.match(registry.block, /depends_on:\n\s+kafka:\n\s+condition: service_healthy/);
});

test.run();
