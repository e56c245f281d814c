// Configuration: decoded once from an optional file and the environment; a bad file stops start-up with its paths.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../../../src/config.js';

const withFile = (content: unknown, f: (path: string, dir: string) => void): void => {
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-cfg-'));
  try {
    const p = join(dir, 'gexstream.json');
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    f(p, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const fails = (env: NodeJS.ProcessEnv, pattern: RegExp): void => {
  try {
    loadConfig(env, '/');
    assert.unreachable('expected a ConfigError');
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, pattern);
  }
};

test('defaults without a file', () => {
  const c = loadConfig({}, '/srv');
  assert.equal(c.brokers, ['127.0.0.1:9092']);
  assert.equal([c.httpPort, c.apiToken, c.duckdbMemory, c.configFile, c.dbPath], [8080, null, '128MB', null, 'data/gexstream.duckdb']);
  assert.is(c.priority.weights.market_impact, 0.35);
});

test('the example file decodes: TLS files read relative to the file, SASL, priority laid over the defaults; env wins', () => {
  withFile(
    { kafka: { brokers: ['b1:9093'], ssl: { ca_file: 'ca.pem' }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } }, http: { port: 9999, token: 'x'.repeat(20) }, priority: { weights: { urgency: 0.5 } }, paths: { db: 'state/g.duckdb' } },
    (p, dir) => {
      writeFileSync(join(dir, 'ca.pem'), 'CERT');
      const c = loadConfig({ GEXSTREAM_CONFIG: p }, '/');
      assert.equal(c.kafka.ssl, { ca: ['CERT'] });
      assert.equal(c.kafka.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p' });
      assert.equal([c.brokers, c.httpPort, c.external, c.dbPath], [['b1:9093'], 9999, true, join(dir, 'state/g.duckdb')]);
      assert.equal([c.priority.weights.urgency, c.priority.weights.market_impact], [0.5, 0.35]);
      const e = loadConfig({ GEXSTREAM_CONFIG: p, KAFKA_BROKERS: 'env:1', GEXSTREAM_HTTP_PORT: '7000' }, '/');
      assert.equal([e.brokers, e.httpPort], [['env:1'], 7000]);
    },
  );
});

test('a bad file stops start-up, naming every problem by path', () => {
  withFile({ kafka: { brokerz: ['x'], sasl: { mechanism: 'kerberos', username: 'u', password: 'p' } }, http: { port: 70000 } }, (p) => {
    fails({ GEXSTREAM_CONFIG: p }, /kafka\.brokerz: unknown key/);
    fails({ GEXSTREAM_CONFIG: p }, /kafka\.sasl\.mechanism/);
    fails({ GEXSTREAM_CONFIG: p }, /http\.port/);
  });
  withFile({ priority: { thresholds: { critical: 0.1, high: 0.6 } } }, (p) => fails({ GEXSTREAM_CONFIG: p }, /priority\.thresholds: expected critical >= high >= medium/));
  withFile('{ not json', (p) => fails({ GEXSTREAM_CONFIG: p }, /not JSON/));
  fails({ GEXSTREAM_CONFIG: '/nonexistent/gexstream.json' }, /not found/);
  fails({ GEXSTREAM_API_TOKEN: 'short' }, /GEXSTREAM_API_TOKEN: expected at least 16 characters/);
  fails({ GEXSTREAM_DUCKDB_MEMORY: 'lots' }, /GEXSTREAM_DUCKDB_MEMORY/);
});

test.run();
