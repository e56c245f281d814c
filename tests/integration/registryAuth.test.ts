// Schema-registry basic auth (Confluent Cloud style API key and secret), through a real HTTP proxy that demands it in
// front of the real registry: register, read and encode with the credentials; 401 without them, never retried.
import { createServer, request, type Server } from 'node:http';
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRegistry, RegistryError } from '../../src/registry/registry.js';
import { registryReady } from '../../src/stack/stack.js';
import { config, unique } from '../support/env.js';

const auth = { username: 'API_KEY_1', password: 'secret:with:colons' };
const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
const upstream = new URL(config.registryUrl);
let server: Server;
let base = '';
let refused = 0;

test.before(async () => {
  server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      refused++;
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="registry"' }).end('{"error_code":401,"message":"Unauthorized"}');
      return;
    }
    const { authorization: _drop, host: _host, ...headers } = req.headers;
    const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: `${upstream.pathname}${req.url}`, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
test.after(() => void server.close());

test('with the credentials: register, read back, encode and decode', async () => {
  const reg = createRegistry({ url: base, auth });
  const subject = `${unique('test.regauth')}-value`;
  const schema = { type: 'record', name: 'AuthProbe', namespace: 'io.gexstream.test', fields: [{ name: 'n', type: 'int' }] } as const;
  const r = await reg.register(subject, schema as never);
  assert.is(r.created, true);
  const again = await reg.register(subject, schema as never);
  assert.is(again.created, false);
  assert.is(again.id, r.id);
  assert.is((await reg.latest(subject))?.id, r.id);
  const enc = await reg.encoder<{ n: number }>(subject);
  assert.is((await reg.decode<{ n: number }>(enc.encode({ n: 7 }))).n, 7);
  assert.is(await registryReady(base, auth), true);
});

test('without them: HTTP 401, a non-retriable RegistryError; not ready', async () => {
  const before = refused;
  const reg = createRegistry({ url: base });
  try {
    await reg.latest('anything-value');
    assert.unreachable('expected a RegistryError');
  } catch (err) {
    assert.instance(err, RegistryError);
    assert.match((err as Error).message, /HTTP 401/);
    assert.is((err as RegistryError).retriable, false);
  }
  assert.is(await registryReady(base), false);
  assert.is(await registryReady(base, { ...auth, password: 'wrong' }), false);
  assert.ok(refused >= before + 3);
});

test.run();
