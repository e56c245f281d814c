// Owns the HTTP API (Fastify): ingest, request lookup, queue, sources, rules, latest snapshots, dead letters, the
// WebSocket status stream, and the operations endpoints; request/response schemas feed the OpenAPI document.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import type { Metrics } from '../metrics.js';
import type { PathError } from '../domain/errors.js';
import { registerStatusPage, type StatusPageDeps } from './statusPage.js';

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

export interface ApiDeps extends StatusPageDeps {
  readonly metrics: Metrics;
  /** Bearer token the write endpoints require. */
  readonly token: string;
  /** Bound off loopback: every read needs the token too, but for the probes /healthz and /readyz (status only). */
  readonly readsNeedToken?: boolean;
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
  /** Origins (scheme://host:port) allowed on the WebSocket stream besides the API's own; clients without Origin are not browsers. */
  readonly allowedOrigins?: readonly string[];
  /** Open status streams at most; one more is answered 503. */
  readonly maxStreamClients?: number;
  /** A stream client that lets this much pile up unsent is disconnected, instead of being buffered without bound. */
  readonly maxStreamBufferBytes?: number; // bytes
  /** JSON bodies nested deeper than this are refused before they are parsed (recursive code downstream would overflow). */
  readonly maxJsonDepth?: number;
  /** Hears every 500 with its id (the answer carries only the id: errors may name brokers, hosts, files). */
  readonly onError?: (err: Error, errorId: string) => void;
}

/** Longest accepted free-text fields, in characters. */
export const API_LIMITS = { source: 200, kind: 64, category: 64, ruleName: 200, ruleDescription: 2_000, ruleCondition: 1_000, query: 200, streamFilter: 1_000 } as const;

/**
 * The first depth at which `text` (JSON) nests deeper than `max` arrays/objects, as the path-like position of the
 * character, or null. A linear scan that skips strings: it runs before JSON.parse, so no recursion sees the body.
 */
export const jsonTooDeep = (text: string, max: number): number | null => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return null;
};

const Level = { type: 'string', enum: ['critical', 'high', 'medium', 'low'] } as const;
const ErrorBody = {
  type: 'object',
  properties: { error: { type: 'string' }, errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } },
} as const;
const AnyObject = { type: 'object', additionalProperties: true } as const;
const ListOf = (name: string) => ({ type: 'object', properties: { [name]: { type: 'array', items: AnyObject } } }) as const;

const RuleFields = {
  name: { type: 'string', minLength: 1, maxLength: API_LIMITS.ruleName },
  description: { type: 'string', maxLength: API_LIMITS.ruleDescription },
  condition: { type: 'string', minLength: 1, maxLength: API_LIMITS.ruleCondition, description: 'CEL expression over the snapshot fields (see rules/README.md)' },
  score: { type: ['number', 'null'] },
  level: { anyOf: [Level, { type: 'null' }] },
  adjust: { type: ['integer', 'null'] },
  active: { type: 'boolean' },
} as const;

export const createApi = async (deps: ApiDeps): Promise<FastifyInstance> => {
  // removeAdditional false: a misspelled field is an error naming it, not silently dropped (Fastify's default strips it)
  const app = Fastify({ logger: false, bodyLimit: deps.bodyLimit, ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } } });
  const maxDepth = deps.maxJsonDepth ?? 64;
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    const at = jsonTooDeep(text, maxDepth);
    if (at !== null) {
      done(Object.assign(new Error(`request body nests deeper than ${maxDepth} arrays/objects (at character ${at + 1})`), { statusCode: 400 }), undefined);
      return;
    }
    defaultJson(req, text, done);
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'gexstream API', version: '1', description: 'Ingest and follow GEX snapshots through priority levels, processing and state.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(websocket, { options: { maxPayload: 4 * 1024 } }); // clients only listen: nothing big to receive

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
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    // a role that does not run here, or a registry or broker being waited out, says so (503); any other failure answers with an id only (broker and host names stay in the log)
    if (err.statusCode === 503) return reply.code(503).send({ error: err.message });
    const errorId = randomUUID();
    deps.onError?.(err, errorId);
    return reply.code(500).send({ error: 'internal error', error_id: errorId });
  });

  const expected = Buffer.from(`Bearer ${deps.token}`);
  const authorize = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'write endpoints need Authorization: Bearer <token> (GEXSTREAM_API_TOKEN)' });
    }
  };
  // onRequest: before the body is read, parsed or validated, so a caller without the token learns nothing but 401
  const writes = { onRequest: authorize, schema: { security: [{ bearer: [] }] } };
  const same = (got: Buffer): boolean => got.length === expected.length && timingSafeEqual(got, expected);
  // a read may also carry the token as ?access_token= (RFC 6750 2.3): a browser cannot set a header on a page load or
  // a WebSocket upgrade; writes take the header only
  const queryToken = (req: FastifyRequest): string | null => (req.method === 'GET' ? new URL(req.url, 'http://x').searchParams.get('access_token') : null);
  const hasToken = (req: FastifyRequest): boolean => {
    if (same(Buffer.from(req.headers.authorization ?? ''))) return true;
    const q = queryToken(req);
    return q !== null && same(Buffer.from(`Bearer ${q}`));
  };
  // probes stay open so that an orchestrator can use them without the secret; /readyz then answers its status only
  const PROBES = new Set(['/healthz', '/readyz']);
  if (deps.readsNeedToken) {
    app.addHook('onRequest', async (req, reply) => {
      // the token is consumed here: routes with strict query schemas never see access_token
      const q = req.query as Record<string, unknown> | undefined;
      if (PROBES.has(req.url.split('?')[0] ?? '') || hasToken(req)) {
        if (q && 'access_token' in q) delete q['access_token'];
        return;
      }
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'this API is bound off loopback: every request needs Authorization: Bearer <token> (GEXSTREAM_API_TOKEN)' });
    });
  }

  app.get('/healthz', { schema: { tags: ['operations'], response: { 200: AnyObject } } }, async () => ({ status: 'up' }));
  app.get('/readyz', { schema: { tags: ['operations'] } }, async (req, reply) => {
    const r = await deps.ready();
    return reply.code(r.ok ? 200 : 503).send({ status: r.ok ? 'ready' : 'not ready', ...(deps.readsNeedToken && !hasToken(req) ? {} : r.detail) });
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
            source: { type: 'string', minLength: 1, maxLength: API_LIMITS.source },
            data_type: { type: 'string', enum: ['real_time', 'historical', 'snapshot'] },
            level: { ...Level, description: 'requested level: a manual override recorded with the decision' },
            kind: { type: 'string', minLength: 1, maxLength: API_LIMITS.kind, description: 'payload shape, when it cannot be detected (e.g. state)' },
            category: { type: 'string', maxLength: API_LIMITS.category },
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
    { ...writes, schema: { ...writes.schema, tags: ['rules'], summary: 'Define a rule (a RuleDefined event on the rules topic).', body: { type: 'object', required: ['name', 'condition'], additionalProperties: false, properties: RuleFields }, response: { 201: AnyObject, 400: ErrorBody, 401: ErrorBody } } },
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
    { schema: { tags: ['snapshots'], summary: 'The latest processed snapshot per ticker and kind (the projector\'s in-memory view, rebuilt from the processed topic at start).', querystring: { type: 'object', additionalProperties: false, properties: { ticker: { type: 'string', maxLength: API_LIMITS.query }, kind: { type: 'string', maxLength: API_LIMITS.query } } }, response: { 200: ListOf('snapshots') } } },
    async (req) => ({ snapshots: await deps.latest(req.query.ticker, req.query.kind) }),
  );

  app.get<{ Querystring: { limit?: number; stage?: string; ticker?: string } }>(
    '/api/v1/dlq',
    { schema: { tags: ['dlq'], summary: 'The most recent dead letters, with stage, reason and path-precise errors.', querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 }, stage: { type: 'string', maxLength: API_LIMITS.query }, ticker: { type: 'string', maxLength: API_LIMITS.query } } }, response: { 200: ListOf('dead_letters') } } },
    async (req) => ({ dead_letters: await deps.deadLetters({ limit: req.query.limit ?? 100, ...(req.query.stage ? { stage: req.query.stage } : {}), ...(req.query.ticker ? { ticker: req.query.ticker } : {}) }) }),
  );

  // The status stream: browsers only from the API's own origin or an allowed one (a page elsewhere must not read the
  // feed through a user's loopback), a bounded number of clients, and a client that cannot keep up is disconnected
  // rather than buffered without bound.
  const maxClients = deps.maxStreamClients ?? 64;
  const maxBuffered = deps.maxStreamBufferBytes ?? 1024 * 1024; // 1 MiB
  const allowed = new Set(deps.allowedOrigins ?? []);
  let clients = 0;
  const originAllowed = (req: FastifyRequest): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (allowed.has(origin)) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  };
  app.get<{ Querystring: { level?: string; ticker?: string } }>(
    '/api/v1/ingest/status',
    {
      websocket: true,
      onRequest: async (req, reply) => {
        if (!originAllowed(req)) return reply.code(403).send({ error: `origin ${JSON.stringify(req.headers.origin)} may not open the status stream` });
        if (clients >= maxClients) return reply.code(503).send({ error: `the status stream has its ${maxClients} clients: try again later` });
        return undefined;
      },
      schema: { tags: ['ingest'], summary: 'WebSocket: job state changes and the queue every second, as JSON messages; filter with ?level= and ?ticker= (comma-separated).', querystring: { type: 'object', additionalProperties: false, properties: { level: { type: 'string', maxLength: API_LIMITS.streamFilter }, ticker: { type: 'string', maxLength: API_LIMITS.streamFilter } } } },
    },
    (socket, req) => {
      clients++;
      const levels = req.query.level ? new Set(req.query.level.split(',')) : null;
      const tickers = req.query.ticker ? new Set(req.query.ticker.split(',')) : null;
      let gone = false;
      const off = deps.subscribe((e) => {
        if (gone || socket.readyState !== socket.OPEN) return;
        if (e.type === 'job' && ((levels && !levels.has(e.level)) || (tickers && !tickers.has(e.ticker)))) return;
        if (socket.bufferedAmount > maxBuffered) {
          // too slow: a close handshake would wait behind the same full buffer, so the connection is dropped
          gone = true;
          socket.terminate();
          return;
        }
        socket.send(JSON.stringify(e));
      });
      socket.on('close', () => {
        clients--;
        off();
      });
    },
  );

  registerStatusPage(app, deps);

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
