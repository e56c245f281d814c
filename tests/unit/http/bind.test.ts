// Off loopback (`--bind 0.0.0.0` in a container) the API and the ops port need the bearer token for reads too; the
// probes /healthz and /readyz stay open with their status only. Checked with Fastify inject and with real requests.
import { once } from 'node:events';
import { test } from 'uvu';
import WebSocket from 'ws';
import * as assert from 'uvu/assert';
import { createApi, type ApiDeps } from '../../../src/http/api.js';
import { startOpsServer } from '../../../src/http/opsServer.js';
import { isLoopback } from '../../../src/config.js';
import { createMetrics } from '../../../src/metrics.js';

const TOKEN = 'a-test-token-of-32-characters-xx';
const auth = { authorization: `Bearer ${TOKEN}` };
const ready = async () => ({ ok: true, detail: { broker: 'ok', registry: 'ok' } });

/** The API's own inputs, answering fixed data: this suite is about who may read, not about Kafka. */
const deps = (readsNeedToken: boolean): ApiDeps => ({
  metrics: createMetrics(),
  token: TOKEN,
  readsNeedToken,
  bodyLimit: 1 << 20,
  ready,
  ingest: async () => ({ ok: true, requestIds: ['r1'] }),
  request: async () => null,
  queue: async () => ({ levels: {} }),
  sources: async () => [{ source: 'gexbot' }],
  rules: async () => [],
  writeRule: async () => ({ ok: true, event: {} }),
  latest: async () => [],
  deadLetters: async () => [],
  subscribe: () => () => undefined,
  ruleMatches: async () => ({ rule_set_version: 0, counted: false, rules: [] }),
  tickers: async () => [],
});

test('isLoopback: 127/8, ::1 and localhost only', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.5', 'gexstream', '192.168.1.2']) assert.not.ok(isLoopback(h), h);
});

test('on loopback: reads are open, writes need the token (as before)', async () => {
  const app = await createApi(deps(false));
  assert.is((await app.inject({ url: '/api/v1/sources' })).statusCode, 200);
  assert.is((await app.inject({ url: '/metrics' })).statusCode, 200);
  assert.is((await app.inject({ method: 'POST', url: '/api/v1/rules', payload: { name: 'x', condition: 'true' } })).statusCode, 401);
  assert.equal((await app.inject({ url: '/readyz' })).json(), { status: 'ready', broker: 'ok', registry: 'ok' });
  await app.close();
});

test('off loopback: every read needs the token; the probes answer without it, /readyz with its status only', async () => {
  const app = await createApi(deps(true));
  for (const url of ['/api/v1/sources', '/api/v1/rules', '/api/v1/ingest/priority/queue', '/metrics', '/docs/openapi.json', '/api/v1/dlq', '/no-such-route']) {
    const r = await app.inject({ url });
    assert.is(r.statusCode, 401, url);
    assert.is(r.headers['www-authenticate'], 'Bearer');
  }
  assert.is((await app.inject({ url: '/api/v1/sources', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
  assert.equal((await app.inject({ url: '/api/v1/sources', headers: auth })).json(), { sources: [{ source: 'gexbot' }] });
  assert.is((await app.inject({ url: '/metrics', headers: auth })).statusCode, 200);
  // a browser's page load or WebSocket upgrade carries it in the query; writes never take it from there
  assert.is((await app.inject({ url: `/api/v1/sources?access_token=${TOKEN}` })).statusCode, 200);
  assert.is((await app.inject({ url: '/api/v1/sources?access_token=wrong' })).statusCode, 401);
  assert.is((await app.inject({ url: `/api/v1/dlq?limit=5&access_token=${TOKEN}` })).statusCode, 200, 'a strict query schema does not see the token');
  assert.is((await app.inject({ method: 'POST', url: `/api/v1/rules?access_token=${TOKEN}`, payload: { name: 'x', condition: 'true' } })).statusCode, 401);
  assert.equal((await app.inject({ url: '/healthz' })).json(), { status: 'up' });
  assert.equal((await app.inject({ url: '/readyz' })).json(), { status: 'ready' });
  assert.equal((await app.inject({ url: '/readyz', headers: auth })).json(), { status: 'ready', broker: 'ok', registry: 'ok' });
  await app.close();
});

test('off loopback, real requests: the API bound to 0.0.0.0', async () => {
  const app = await createApi(deps(true));
  await app.listen({ host: '0.0.0.0', port: 0 });
  const { port } = app.server.address() as { port: number };
  try {
    const base = `http://127.0.0.1:${port}`;
    assert.is((await fetch(`${base}/api/v1/sources`)).status, 401);
    assert.is((await fetch(`${base}/api/v1/sources`, { headers: auth })).status, 200);
    assert.is((await fetch(`${base}/healthz`)).status, 200);
    // the status stream: refused without the token, open with it in the query (what a browser can send)
    const ws = `ws://127.0.0.1:${port}/api/v1/ingest/status`;
    const refusedWith = await new Promise<number>((resolve) => new WebSocket(ws).on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)));
    assert.is(refusedWith, 401);
    const open = new WebSocket(`${ws}?access_token=${TOKEN}`);
    await once(open, 'open');
    open.close();
  } finally {
    await app.close();
  }
});

test('the ops port: with a token /metrics needs it and /readyz hides its detail; without one all is open', async () => {
  const guarded = await startOpsServer({ metrics: createMetrics(), host: '0.0.0.0', port: 0, ready, token: TOKEN });
  const open = await startOpsServer({ metrics: createMetrics(), port: 0, ready });
  try {
    const g = guarded.address.replace('0.0.0.0', '127.0.0.1');
    assert.is((await fetch(`${g}/metrics`)).status, 401);
    const m = await fetch(`${g}/metrics`, { headers: auth });
    assert.is(m.status, 200);
    assert.match(await m.text(), /# HELP/);
    assert.equal(await (await fetch(`${g}/readyz`)).json(), { status: 'ready' });
    assert.equal(await (await fetch(`${g}/readyz`, { headers: auth })).json(), { status: 'ready', broker: 'ok', registry: 'ok' });
    assert.is((await fetch(`${g}/healthz`)).status, 200);
    assert.is((await fetch(`${open.address}/metrics`)).status, 200);
  } finally {
    await guarded.close();
    await open.close();
  }
});

test.run();
