// Owns the operations endpoints of a running process: /healthz, /readyz and /metrics (Prometheus), on Fastify.
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Metrics } from '../metrics.js';

export interface OpsServer {
  readonly address: string;
  readonly close: () => Promise<void>;
}

/**
 * With a `token` (bound off loopback) /metrics needs `Authorization: Bearer <token>` (Prometheus: `authorization:
 * credentials_file`) and /readyz answers its status only without it; /healthz is always open.
 */
export const startOpsServer = async ({ metrics, host = '127.0.0.1', port = 9464, ready, token }: { metrics: Metrics; host?: string; port?: number; ready: () => Promise<{ ok: boolean; detail: Record<string, unknown> }>; token?: string }): Promise<OpsServer> => {
  const app: FastifyInstance = Fastify({ logger: false });
  const expected = token === undefined ? null : Buffer.from(`Bearer ${token}`);
  const allowed = (req: FastifyRequest): boolean => {
    if (expected === null) return true;
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };
  app.get('/healthz', async () => ({ status: 'up' }));
  app.get('/readyz', async (req, reply) => {
    const r = await ready();
    return reply.code(r.ok ? 200 : 503).send({ status: r.ok ? 'ready' : 'not ready', ...(allowed(req) ? r.detail : {}) });
  });
  app.get('/metrics', async (req, reply) => {
    if (!allowed(req)) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'bound off loopback: /metrics needs Authorization: Bearer <token>' });
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  const address = await app.listen({ host, port });
  return { address, close: () => app.close() };
};
