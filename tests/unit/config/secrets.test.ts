// Container settings from the environment: SASL credentials for Kafka, basic auth for the schema registry, the bind
// address of the API and ops ports; each wins over the config file and a half-given secret stops start-up.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../../../src/config.js';

const fails = (env: NodeJS.ProcessEnv, pattern: RegExp): void => {
  try {
    loadConfig(env, '/');
    assert.unreachable('expected a ConfigError');
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, pattern);
  }
};

test('SASL from the environment (PLAIN by default), with TLS from KAFKA_SSL', () => {
  const c = loadConfig({ KAFKA_BROKERS: 'b:9092', KAFKA_SASL_USERNAME: 'key', KAFKA_SASL_PASSWORD: 'se:cret', KAFKA_SSL: 'true' }, '/');
  assert.equal(c.kafka.sasl, { mechanism: 'plain', username: 'key', password: 'se:cret' });
  assert.is(c.kafka.ssl, true);
  const s = loadConfig({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, '/');
  assert.is(s.kafka.sasl?.mechanism, 'scram-sha-512');
  assert.is(s.kafka.ssl, undefined);
  assert.is(loadConfig({}, '/').kafka.sasl, undefined);
});

test('SASL: a user without a password, a mechanism alone or an unknown mechanism stop start-up', () => {
  fails({ KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD: expected both/);
  fails({ KAFKA_SASL_PASSWORD: 'p' }, /expected both/);
  fails({ KAFKA_SASL_MECHANISM: 'plain' }, /KAFKA_SASL_MECHANISM: set KAFKA_SASL_USERNAME/);
  fails({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, /KAFKA_SASL_MECHANISM/);
  fails({ KAFKA_SSL: 'yes' }, /KAFKA_SSL/);
});

test('the environment wins over the file for SASL and registry auth; the file alone works too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-secrets-'));
  try {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ kafka: { sasl: { mechanism: 'scram-sha-256', username: 'f', password: 'fp' } }, registry: { url: 'https://r.example/', basic_auth: { username: 'rk', password: 'rs' } }, http: { bind: '0.0.0.0' } }));
    const fromFile = loadConfig({ GEXSTREAM_CONFIG: file }, '/');
    assert.equal(fromFile.kafka.sasl, { mechanism: 'scram-sha-256', username: 'f', password: 'fp' });
    assert.equal(fromFile.registry, { url: 'https://r.example', auth: { username: 'rk', password: 'rs' } });
    assert.is(fromFile.bind, '0.0.0.0');
    const env = loadConfig({ GEXSTREAM_CONFIG: file, KAFKA_SASL_USERNAME: 'e', KAFKA_SASL_PASSWORD: 'ep', SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'KEY:sec:ret', GEXSTREAM_BIND: '10.1.2.3' }, '/');
    assert.equal(env.kafka.sasl, { mechanism: 'plain', username: 'e', password: 'ep' });
    assert.equal(env.registry.auth, { username: 'KEY', password: 'sec:ret' });
    assert.is(env.bind, '10.1.2.3');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('registry user info and the bind address are checked', () => {
  fails({ SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'no-colon' }, /SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: expected user:password/);
  fails({ GEXSTREAM_BIND: 'a b' }, /GEXSTREAM_BIND: expected a host name or IP address/);
  const d = loadConfig({}, '/');
  assert.is(d.bind, '127.0.0.1');
  assert.equal(d.registry, { url: 'http://127.0.0.1:8081/apis/ccompat/v7' });
});

test.run();
