// Owns the operations endpoints of a running process: /healthz, /readyz and /metrics (Prometheus), on Fastify.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

export interface OpsServer {
  readonly address: string;
  readonly close: () => Promise<void>;
}

export const startOpsServer = async ({ metrics, host = '127.0.0.1', port = 9464, ready }: { metrics: Metrics; host?: string; port?: number; ready: () => Promise<{ ok: boolean; detail: Record<string, unknown> }> }): Promise<OpsServer> => {
  const app: FastifyInstance = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'up' }));
  app.get('/readyz', async (_req, reply) => {
    const r = await ready();
    return reply.code(r.ok ? 200 : 503).send({ status: r.ok ? 'ready' : 'not ready', ...r.detail });
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  const address = await app.listen({ host, port });
  return { address, close: () => app.close() };
};
