// The API against careless and hostile clients, over Fastify inject and a real WebSocket client: authentication before
// validation, misspelled fields refused, deep nesting and long strings refused, 500s that name no broker, and a status
// stream that checks Origin, caps its clients and drops a client that does not read.
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { createApi, type ApiDeps, type IngestRequest } from '../../../src/http/api.js';
import { createMetrics } from '../../../src/metrics.js';
import { createStatusHub, Unavailable } from '../../../src/pipelines/apiService.js';
import { eventually } from '../../support/env.js';

const TOKEN = 'test-token-hardening-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

const build = async (over: Partial<ApiDeps> = {}) => {
  const calls = { ingest: [] as IngestRequest[], writeRule: [] as Record<string, unknown>[], errors: [] as Array<{ err: Error; id: string }> };
  const hub = createStatusHub();
  const app = await createApi({
    metrics: createMetrics(),
    token: TOKEN,
    bodyLimit: 1024 * 1024,
    ready: async () => ({ ok: true, detail: {} }),
    // as the real service: the payloads are serialised (recursive) before anything else
    ingest: async (r) => {
      calls.ingest.push(r);
      for (const p of r.payloads) JSON.stringify(p);
      return { ok: true, requestIds: r.payloads.map((_, i) => `id-${i}`) };
    },
    request: async () => null,
    queue: async () => {
      throw Object.assign(new Error('Connection error: connect ECONNREFUSED 10.20.30.40:9092'), { name: 'KafkaJSConnectionError', broker: 'kafka-7.internal.example:9092' });
    },
    sources: async () => {
      throw new Unavailable('the projector does not run in this process (gexstream run --role projector)');
    },
    rules: async () => [],
    writeRule: async (cmd) => {
      calls.writeRule.push(cmd);
      return { ok: true, event: cmd };
    },
    latest: async () => [],
    deadLetters: async () => [],
    subscribe: hub.subscribe,
    ruleMatches: async () => ({ rule_set_version: 0, counted: false, rules: [] }),
    tickers: async () => [],
    onError: (err, id) => calls.errors.push({ err, id }),
    ...over,
  });
  return { app, calls, hub };
};

const http = suite('api: careless and hostile HTTP clients');

http('authentication comes before parsing and validation: 401 whatever the body', async () => {
  const { app, calls } = await build();
  for (const payload of ['{"source": ', JSON.stringify({ source: 'x', data_type: 'tomorrow' }), JSON.stringify({ nope: true })]) {
    const r = await app.inject({ method: 'POST', url: '/api/v1/ingest/priority', headers: { 'content-type': 'application/json' }, payload });
    assert.is(r.statusCode, 401, payload);
  }
  const patch = await app.inject({ method: 'PATCH', url: '/api/v1/rules/r1', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, payload: '{"actve": false}' });
  assert.is(patch.statusCode, 401);
  assert.is(calls.ingest.length + calls.writeRule.length, 0);
  // with the token, the same bad body is a 400
  const bad = await app.inject({ method: 'POST', url: '/api/v1/ingest/priority', headers: { 'content-type': 'application/json', ...auth }, payload: JSON.stringify({ source: 'x', data_type: 'tomorrow', payload: {} }) });
  assert.is(bad.statusCode, 400);
  await app.close();
});

http('a misspelled field is refused with its path, never dropped', async () => {
  const { app, calls } = await build();
  const r = await app.inject({ method: 'PATCH', url: '/api/v1/rules/r1', headers: auth, payload: { actve: false } });
  assert.is(r.statusCode, 400, r.body);
  assert.ok((r.json().errors as { path: string }[]).some((e) => e.path === '$.actve'), r.body);
  const ingest = await app.inject({ method: 'POST', url: '/api/v1/ingest/priority', headers: auth, payload: { source: 'x', data_type: 'real_time', levle: 'critical', payload: { a: 1 } } });
  assert.is(ingest.statusCode, 400);
  assert.ok((ingest.json().errors as { path: string }[]).some((e) => e.path === '$.levle'), ingest.body);
  const query = await app.inject({ method: 'GET', url: '/api/v1/dlq?stgae=validate' });
  assert.is(query.statusCode, 400, 'a misspelled query parameter too');
  assert.is(calls.writeRule.length + calls.ingest.length, 0, 'nothing reached the service');
  const ok = await app.inject({ method: 'PATCH', url: '/api/v1/rules/r1', headers: auth, payload: { active: false } });
  assert.is(ok.statusCode, 200);
  await app.close();
});

http('deeply nested payloads get 400 before any recursion; strings have length limits', async () => {
  const { app, calls } = await build();
  const depth = 100_000;
  const payload = `{"source":"x","data_type":"real_time","payload":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
  const r = await app.inject({ method: 'POST', url: '/api/v1/ingest/priority', headers: { ...auth, 'content-type': 'application/json' }, payload });
  assert.is(r.statusCode, 400, r.body);
  assert.match(r.json().error, 'nests deeper than 64');
  assert.is(calls.ingest.length, 0);
  // brackets inside strings are text, not nesting
  const inString = await app.inject({ method: 'POST', url: '/api/v1/ingest/priority', headers: auth, payload: { source: 'x', data_type: 'real_time', payload: { note: '['.repeat(500) } } });
  assert.is(inString.statusCode, 202, inString.body);
  const long = await app.inject({ method: 'POST', url: '/api/v1/ingest/priority', headers: auth, payload: { source: 'x', data_type: 'real_time', kind: 'k'.repeat(10_000), payload: {} } });
  assert.is(long.statusCode, 400);
  assert.ok((long.json().errors as { path: string }[]).some((e) => e.path === '$.kind'), long.body);
  const rule = await app.inject({ method: 'POST', url: '/api/v1/rules', headers: auth, payload: { name: 'n'.repeat(1000), condition: 'true', level: 'high' } });
  assert.is(rule.statusCode, 400);
  assert.is((await app.inject({ method: 'GET', url: `/api/v1/snapshots/latest?ticker=${'T'.repeat(5000)}` })).statusCode, 400);
  await app.close();
});

http('a 500 names no broker or host: an error id, the details to the log', async () => {
  const { app, calls } = await build();
  const r = await app.inject({ method: 'GET', url: '/api/v1/ingest/priority/queue' });
  assert.is(r.statusCode, 500);
  assert.not.match(r.body, '10.20.30.40');
  assert.not.match(r.body, 'kafka-7');
  assert.not.match(r.body, '9092');
  const id = r.json().error_id as string;
  assert.equal(calls.errors.map((e) => e.id), [id], 'the log hears the same id');
  assert.match(calls.errors[0]?.err.message ?? '', '10.20.30.40:9092');
  // a role that does not run here is a plain 503 with its explanation
  const u = await app.inject({ method: 'GET', url: '/api/v1/sources' });
  assert.equal([u.statusCode, u.json().error], [503, 'the projector does not run in this process (gexstream run --role projector)']);
  await app.close();
});
http.run();

const stream = suite('api: the WebSocket status stream (real ws client)');

const opened = async (url: string, headers: Record<string, string> = {}): Promise<WebSocket> => {
  const ws = new WebSocket(url, { headers });
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
    ws.once('unexpected-response', (_req, res) => rej(new Error(`HTTP ${res.statusCode}`)));
  });
  return ws;
};

stream('Origin is checked: other sites are refused, the API\'s own, allowed ones and non-browsers are served', async () => {
  const { app } = await build({ allowedOrigins: ['https://desk.example'] });
  const base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
  const url = `${base}/api/v1/ingest/status`;
  try {
    const err = await opened(url, { origin: 'https://evil.example' }).then(() => null, (e: Error) => e);
    assert.match(err?.message ?? '', 'HTTP 403');
    const host = new URL(base).host;
    for (const headers of [{}, { origin: `http://${host}` }, { origin: 'https://desk.example' }] as Record<string, string>[]) {
      const ws = await opened(url, headers);
      ws.close();
      await once(ws, 'close');
    }
  } finally {
    await app.close();
  }
});

stream('connections are capped: one more is answered 503, and a freed place is given again', async () => {
  const { app, hub } = await build({ maxStreamClients: 2 });
  const url = `${(await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws')}/api/v1/ingest/status`;
  try {
    const a = await opened(url);
    const b = await opened(url);
    const err = await opened(url).then(() => null, (e: Error) => e);
    assert.match(err?.message ?? '', 'HTTP 503');
    a.close();
    await once(a, 'close');
    await eventually('the place freed', async () => (hub.size() === 1 ? true : undefined), 5_000, 20);
    const c = await opened(url);
    c.close();
    b.close();
  } finally {
    await app.close();
  }
});

stream('a client that stops reading is disconnected instead of buffered without bound; the others keep their stream', async () => {
  const { app, hub } = await build({ maxStreamBufferBytes: 256 * 1024 });
  const url = `${(await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws')}/api/v1/ingest/status`;
  try {
    const slow = await opened(url);
    const fast = await opened(url);
    let fastGot = 0;
    fast.on('message', () => fastGot++);
    // the slow client's process stops reading its socket: TCP fills up, then the server's buffer
    (slow as unknown as { _socket: { pause: () => void } })._socket.pause();
    const pad = 'x'.repeat(16 * 1024);
    let sent = 0;
    await eventually('the slow client dropped', async () => {
      for (let i = 0; i < 64; i++, sent++) hub.emit({ type: 'queue', levels: { pad }, at_ms: sent });
      return hub.size() === 1 ? true : undefined;
    }, 30_000, 10);
    assert.ok(sent * pad.length < 200 * 1024 * 1024, `dropped after ${sent} events`);
    await eventually('the fast client read everything', async () => (fastGot === sent ? true : undefined), 30_000, 20);
    (slow as unknown as { _socket: { resume: () => void } })._socket.resume();
    fast.close();
  } finally {
    await app.close();
  }
});
stream.run();
