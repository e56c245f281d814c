// Owns the HTTP API (Fastify): ingest, request lookup, queue, sources, rules, latest snapshots, dead letters, the
// WebSocket status stream, and the operations endpoints; request/response schemas feed the OpenAPI document.
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import type { Metrics } from '../metrics.js';
import type { PathError } from '../domain/errors.js';

export interface IngestItem {
  readonly payload: unknown;
}

export interface IngestRequest {
  readonly source: string;
  readonly data_type: 'real_time' | 'historical' | 'snapshot';
  readonly level?: 'critical' | 'high' | 'medium' | 'low';
  readonly kind?: string;
  readonly category?: string;
  readonly payloads: readonly unknown[];
}

/** A status event on the WebSocket: a job's state change, or the queue every second. */
export type StatusEvent =
  | { readonly type: 'job'; readonly level: string; readonly ticker: string; readonly [k: string]: unknown }
  | { readonly type: 'queue'; readonly levels: Record<string, unknown>; readonly at_ms: number };

export interface ApiDeps {
  readonly metrics: Metrics;
  /** Bearer token the write endpoints require. */
  readonly token: string;
  readonly bodyLimit: number; // bytes
  readonly ready: () => Promise<{ ok: boolean; detail: Record<string, unknown> }>;
  /** Validates every payload (path-precise errors) and publishes them all, or none. */
  readonly ingest: (r: IngestRequest) => Promise<{ ok: true; requestIds: string[] } | { ok: false; errors: PathError[] }>;
  readonly request: (id: string) => Promise<Record<string, unknown> | null>;
  readonly queue: () => Promise<Record<string, unknown>>;
  readonly sources: () => Promise<unknown[]>;
  readonly rules: () => Promise<unknown[]>;
  readonly writeRule: (cmd: Record<string, unknown>) => Promise<{ ok: true; event: unknown } | { ok: false; status: number; errors: PathError[] | string }>;
  readonly latest: (ticker?: string, kind?: string) => Promise<unknown[]>;
  readonly deadLetters: (q: { limit: number; stage?: string; ticker?: string }) => Promise<unknown[]>;
  readonly subscribe: (f: (e: StatusEvent) => void) => () => void;
}

const Level = { type: 'string', enum: ['critical', 'high', 'medium', 'low'] } as const;
const ErrorBody = {
  type: 'object',
  properties: { error: { type: 'string' }, errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } },
} as const;
const AnyObject = { type: 'object', additionalProperties: true } as const;
const ListOf = (name: string) => ({ type: 'object', properties: { [name]: { type: 'array', items: AnyObject } } }) as const;

const RuleFields = {
  name: { type: 'string', minLength: 1 },
  description: { type: 'string' },
  condition: { type: 'string', minLength: 1, description: 'CEL expression over the snapshot fields (see rules/README.md)' },
  score: { type: ['number', 'null'] },
  level: { anyOf: [Level, { type: 'null' }] },
  adjust: { type: ['integer', 'null'] },
  active: { type: 'boolean' },
} as const;

export const createApi = async (deps: ApiDeps): Promise<FastifyInstance> => {
  const app = Fastify({ logger: false, bodyLimit: deps.bodyLimit, ajv: { customOptions: { allErrors: true, coerceTypes: 'array' } } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'gexstream API', version: '1', description: 'Ingest and follow GEX snapshots through priority levels, processing and state.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(websocket);

  // Schema errors answer 400 with one entry per field path, the same shape as the domain's validation errors.
  app.setErrorHandler((err: Error & { validation?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }>; statusCode?: number; code?: string }, _req, reply) => {
    if (err.validation) {
      const errors = err.validation.map((v) => {
        const missing = typeof v.params?.['missingProperty'] === 'string' ? `/${String(v.params['missingProperty'])}` : '';
        const extra = typeof v.params?.['additionalProperty'] === 'string' ? `/${String(v.params['additionalProperty'])}` : '';
        return { path: `$${`${v.instancePath}${missing}${extra}`.replace(/\//g, '.')}`, message: v.message ?? 'invalid' };
      });
      return reply.code(400).send({ error: 'invalid request', errors });
    }
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: `request body larger than the ${deps.bodyLimit}-byte limit` });
    if (err.statusCode && (err.statusCode < 500 || err.statusCode === 503)) return reply.code(err.statusCode).send({ error: err.message });
    return reply.code(500).send({ error: err.message });
  });

  const expected = Buffer.from(`Bearer ${deps.token}`);
  const authorize = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'write endpoints need Authorization: Bearer <token> (GEXSTREAM_API_TOKEN)' });
    }
  };
  const writes = { preHandler: authorize, schema: { security: [{ bearer: [] }] } };

  app.get('/healthz', { schema: { tags: ['operations'], response: { 200: AnyObject } } }, async () => ({ status: 'up' }));
  app.get('/readyz', { schema: { tags: ['operations'] } }, async (_req, reply) => {
    const r = await deps.ready();
    return reply.code(r.ok ? 200 : 503).send({ status: r.ok ? 'ready' : 'not ready', ...r.detail });
  });
  app.get('/metrics', { schema: { tags: ['operations'] } }, async (_req, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()));

  app.post<{ Body: Omit<IngestRequest, 'payloads'> & { payload?: unknown; payloads?: unknown[] } }>(
    '/api/v1/ingest/priority',
    {
      ...writes,
      schema: {
        ...writes.schema,
        tags: ['ingest'],
        summary: 'Submit a raw GEX payload (payload) or a batch (payloads); returns one request id per payload. All are validated first: one bad payload rejects the request with its field paths.',
        body: {
          type: 'object',
          required: ['source', 'data_type'],
          additionalProperties: false,
          properties: {
            source: { type: 'string', minLength: 1, maxLength: 200 },
            data_type: { type: 'string', enum: ['real_time', 'historical', 'snapshot'] },
            level: { ...Level, description: 'requested level: a manual override recorded with the decision' },
            kind: { type: 'string', description: 'payload shape, when it cannot be detected (e.g. state)' },
            category: { type: 'string' },
            payload: AnyObject,
            payloads: { type: 'array', items: AnyObject, minItems: 1, maxItems: 10_000 },
          },
          oneOf: [{ required: ['payload'] }, { required: ['payloads'] }],
        },
        response: { 202: { type: 'object', properties: { accepted: { type: 'integer' }, request_ids: { type: 'array', items: { type: 'string' } } } }, 400: ErrorBody, 401: ErrorBody, 413: ErrorBody },
      },
    },
    async (req, reply) => {
      const { payload, payloads, ...rest } = req.body;
      const r = await deps.ingest({ ...rest, payloads: payloads ?? [payload] });
      if (!r.ok) return reply.code(400).send({ error: 'invalid payload', errors: r.errors });
      return reply.code(202).send({ accepted: r.requestIds.length, request_ids: r.requestIds });
    },
  );

  app.get('/api/v1/ingest/priority/queue', { schema: { tags: ['ingest'], summary: 'Per level: lag, in-flight, processed totals and rate, SLA breaches.', response: { 200: AnyObject } } }, async () => deps.queue());

  app.get<{ Params: { request_id: string } }>(
    '/api/v1/ingest/priority/:request_id',
    { schema: { tags: ['ingest'], summary: "A request's level, score components, matched rules, job state and timings.", params: { type: 'object', properties: { request_id: { type: 'string', minLength: 1, maxLength: 200 } } }, response: { 200: AnyObject, 404: ErrorBody } } },
    async (req, reply) => {
      const r = await deps.request(req.params.request_id);
      return r === null ? reply.code(404).send({ error: `no request ${req.params.request_id} in the projected state (yet)` }) : r;
    },
  );

  app.get('/api/v1/sources', { schema: { tags: ['sources'], summary: 'Per source: reliability, EMA latency, breaker state.', response: { 200: ListOf('sources') } } }, async () => ({ sources: await deps.sources() }));

  app.get('/api/v1/rules', { schema: { tags: ['rules'], summary: 'The current firm-guideline rules.', response: { 200: ListOf('rules') } } }, async () => ({ rules: await deps.rules() }));
  const ruleWrite = async (reply: FastifyReply, cmd: Record<string, unknown>, ok: number) => {
    const r = await deps.writeRule(cmd);
    if (r.ok) return reply.code(ok).send({ event: r.event });
    return reply.code(r.status).send(typeof r.errors === 'string' ? { error: r.errors } : { error: 'invalid rule', errors: r.errors });
  };
  app.post<{ Body: Record<string, unknown> }>(
    '/api/v1/rules',
    { ...writes, schema: { ...writes.schema, tags: ['rules'], summary: 'Define a rule (a RuleDefined event on gex.rules.v1).', body: { type: 'object', required: ['name', 'condition'], additionalProperties: false, properties: RuleFields }, response: { 201: AnyObject, 400: ErrorBody, 401: ErrorBody } } },
    async (req, reply) => ruleWrite(reply, { type: 'DefineRule', ...req.body, actor: 'api' }, 201),
  );
  app.patch<{ Params: { rule_id: string }; Body: Record<string, unknown> }>(
    '/api/v1/rules/:rule_id',
    { ...writes, schema: { ...writes.schema, tags: ['rules'], summary: 'Change a rule: only the given fields; active=false disables it (a RuleUpdated or RuleDisabled event).', body: { type: 'object', minProperties: 1, additionalProperties: false, properties: RuleFields }, response: { 200: AnyObject, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } } },
    async (req, reply) =>
      ruleWrite(reply, req.body['active'] === false && Object.keys(req.body).length === 1 ? { type: 'DisableRule', rule_id: req.params.rule_id, actor: 'api' } : { type: 'UpdateRule', rule_id: req.params.rule_id, changes: req.body, actor: 'api' }, 200),
  );

  app.get<{ Querystring: { ticker?: string; kind?: string } }>(
    '/api/v1/snapshots/latest',
    { schema: { tags: ['snapshots'], summary: 'The latest processed snapshot per ticker and kind (in-memory view of the projector).', querystring: { type: 'object', properties: { ticker: { type: 'string' }, kind: { type: 'string' } } }, response: { 200: ListOf('snapshots') } } },
    async (req) => ({ snapshots: await deps.latest(req.query.ticker, req.query.kind) }),
  );

  app.get<{ Querystring: { limit?: number; stage?: string; ticker?: string } }>(
    '/api/v1/dlq',
    { schema: { tags: ['dlq'], summary: 'The most recent dead letters, with stage, reason and path-precise errors.', querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 }, stage: { type: 'string' }, ticker: { type: 'string' } } }, response: { 200: ListOf('dead_letters') } } },
    async (req) => ({ dead_letters: await deps.deadLetters({ limit: req.query.limit ?? 100, ...(req.query.stage ? { stage: req.query.stage } : {}), ...(req.query.ticker ? { ticker: req.query.ticker } : {}) }) }),
  );

  app.get<{ Querystring: { level?: string; ticker?: string } }>(
    '/api/v1/ingest/status',
    { websocket: true, schema: { tags: ['ingest'], summary: 'WebSocket: job state changes and the queue every second, as JSON messages; filter with ?level= and ?ticker= (comma-separated).', querystring: { type: 'object', properties: { level: { type: 'string' }, ticker: { type: 'string' } } } } },
    (socket, req) => {
      const levels = req.query.level ? new Set(req.query.level.split(',')) : null;
      const tickers = req.query.ticker ? new Set(req.query.ticker.split(',')) : null;
      const off = deps.subscribe((e) => {
        if (e.type === 'job' && ((levels && !levels.has(e.level)) || (tickers && !tickers.has(e.ticker)))) return;
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(e));
      });
      socket.on('close', off);
    },
  );

  // @fastify/websocket hides its routes from the document: the stream is described here
  const statusDoc = {
    get: {
      tags: ['ingest'],
      summary: 'WebSocket (upgrade with GET): job state changes ({"type":"job",...JobEvent}) and the queue every second ({"type":"queue","levels":{...}}), as JSON text messages.',
      parameters: [
        { name: 'level', in: 'query', required: false, schema: { type: 'string' }, description: 'comma-separated levels of the job events to receive' },
        { name: 'ticker', in: 'query', required: false, schema: { type: 'string' }, description: 'comma-separated tickers of the job events to receive' },
      ],
      responses: { '101': { description: 'Switching Protocols: the WebSocket stream' } },
    },
  };
  app.get('/docs/openapi.json', { schema: { hide: true } }, async () => {
    const doc = app.swagger() as { paths?: Record<string, unknown> };
    return { ...doc, paths: { ...doc.paths, '/api/v1/ingest/status': statusDoc } };
  });
  return app;
};
