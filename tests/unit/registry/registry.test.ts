// The registry client against a registry that lags after a restart (Apicurio with kafkasql storage reloading), served
// by a small HTTP server speaking the Confluent API: the real registry's lag cannot be produced on demand.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRegistry, SchemaIncompatibleError } from '../../../src/registry/registry.js';

const schema = { type: 'record', name: 'T', namespace: 't', fields: [{ name: 'a', type: 'long' }] };

/** A registry that holds `subject` at id 7 but lists it only after `listedAfter` GETs of its latest version. */
const laggingRegistry = async (listedAfter: number, conflictMessage: string): Promise<{ url: string; server: Server; posts: () => number }> => {
  let gets = 0;
  let posts = 0;
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.endsWith('/versions/latest')) {
        gets++;
        return gets > listedAfter ? send(200, { subject: 's', id: 7, version: 1, schema: JSON.stringify(schema) }) : send(404, { error_code: 40401, message: 'Subject not found' });
      }
      if (req.method === 'GET' && req.url?.startsWith('/config/')) return send(404, { error_code: 40401, message: 'Subject not found' });
      if (req.method === 'POST' && req.url?.endsWith('/versions')) {
        posts++;
        return send(409, { error_code: 409, message: conflictMessage });
      }
      return send(404, { error_code: 404, message: 'not here' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, posts: () => posts };
};

test('a subject the reloading registry holds but does not list yet ("already exists") is waited for, then found registered: not called incompatible', async () => {
  const r = await laggingRegistry(3, "An artifact with ID 's' in group 'null' already exists.");
  try {
    const got = await createRegistry({ url: r.url }).register('s', schema);
    assert.equal(got, { subject: 's', id: 7, version: 1, created: false });
    assert.is(r.posts(), 1, 'one create, refused; then the listed version is the same schema');
  } finally {
    r.server.close();
  }
});

test('a real conflict (409 without "already exists") is still an incompatible schema', async () => {
  const r = await laggingRegistry(Infinity, 'Schema being registered is incompatible with an earlier schema');
  try {
    await createRegistry({ url: r.url }).register('s', schema).then(
      () => assert.unreachable('registered'),
      (err) => assert.instance(err, SchemaIncompatibleError),
    );
  } finally {
    r.server.close();
  }
});

test.run();
