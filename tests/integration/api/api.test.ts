// The HTTP API over the real pipeline (prioritizer, processors, projector on isolated topics of the real broker):
// every endpoint, bad input (400 with paths, 413, 401 without the token), the WebSocket stream and the OpenAPI document.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { generatePayloads } from '../../../src/domain/generator.js';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { createApi } from '../../../src/http/api.js';
import { createProducer } from '../../../src/kafka/producer.js';
import { createLogger } from '../../../src/log.js';
import { createMetrics } from '../../../src/metrics.js';
import { apiService, createStatusHub } from '../../../src/pipelines/apiService.js';
import { createPrioritizer } from '../../../src/pipelines/prioritize.js';
import { createProcessor } from '../../../src/pipelines/process.js';
import { createProjector } from '../../../src/pipelines/project.js';
import { eventually, kafka, unique } from '../../support/env.js';
import { registry } from '../../support/pipeline.js';
import { isolatedPipeline } from '../../support/projection.js';

const logger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
const TOKEN = 'test-token-0123456789abcdef';

test('every endpoint against the running pipeline, with bad input and the status stream', async () => {
  const iso = await isolatedPipeline('api');
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-api-'));
  const stops: Array<() => Promise<void>> = [];
  try {
    const metrics = createMetrics();
    const hub = createStatusHub();
    const groupPrefix = unique('api.proc');
    const prioritizer = await createPrioritizer({ kafka: kafka(), registry, logger, metrics, priority: defaultPriorityConfig, topology: iso.topology, groupId: unique('api.prio'), instanceId: unique('ap') });
    await prioritizer.start();
    stops.push(prioritizer.stop);
    const processor = await createProcessor({ kafka: kafka(), registry, logger, metrics, topology: iso.topology, groupPrefix, instanceId: unique('aq') });
    await processor.start();
    stops.push(processor.stop);
    const projector = await createProjector({ kafka: kafka(), registry, db: join(dir, 'state.duckdb'), parquet: null, topology: iso.topology, lagGroupId: null, onEvents: hub.publish });
    await projector.start();
    stops.push(projector.stop);
    metrics.observe({ processed: () => processor.stats().processed, lag: () => processor.stats().lag, inFlight: () => processor.stats().inFlight, breakers: () => processor.stats().breakers, projectedRows: () => projector.stats().rows });
    const producer = await createProducer({ kafka: kafka() });
    stops.push(producer.close);
    const api = await createApi({
      metrics,
      token: TOKEN,
      bodyLimit: 256 * 1024,
      subscribe: hub.subscribe,
      ready: async () => ({ ok: true, detail: { roles: ['prioritizer', 'processor', 'projector'] } }),
      ...apiService({ kafka: kafka(), registry, producer, prioritizer, processor, projector, topology: iso.topology, processorGroupPrefix: groupPrefix }),
    });
    const base = await api.listen({ host: '127.0.0.1', port: 0 });
    stops.push(() => api.close());
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) => {
      const r = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
      const text = await r.text();
      return { status: r.status, body: text.startsWith('{') || text.startsWith('[') ? (JSON.parse(text) as Record<string, unknown>) : (text as unknown as Record<string, unknown>) };
    };

    // operations and the OpenAPI document
    assert.is((await call('GET', '/healthz')).status, 200);
    assert.is((await call('GET', '/readyz')).status, 200);
    const doc = (await call('GET', '/docs/openapi.json')).body as { openapi: string; paths: Record<string, unknown> };
    assert.is(doc.openapi, '3.0.3');
    for (const p of ['/api/v1/ingest/priority', '/api/v1/ingest/priority/{request_id}', '/api/v1/ingest/priority/queue', '/api/v1/sources', '/api/v1/rules', '/api/v1/rules/{rule_id}', '/api/v1/snapshots/latest', '/api/v1/dlq', '/api/v1/ingest/status'])
      assert.ok(doc.paths[p], `OpenAPI documents ${p}`);

    // the WebSocket stream, filtered to one ticker, before anything is sent
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/ingest/status?ticker=SPX`);
    const events: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => events.push(JSON.parse(d.toString()) as Record<string, unknown>));
    await new Promise((res, rej) => ws.once('open', res).once('error', rej));

    // ingest: a critical one and a batch
    const [spx, ndx, qqq] = [...generatePayloads({ seed: 41, tickers: ['SPX', 'NDX', 'QQQ'], count: 3, strikes: 20 })].map((p) => ({ ...p, timestamp: Math.floor(Date.now() / 1000) - 1 }));
    const one = await call('POST', '/api/v1/ingest/priority', { source: 'gexbot', data_type: 'real_time', level: 'critical', payload: spx });
    assert.is(one.status, 202, JSON.stringify(one.body));
    const [critId] = one.body['request_ids'] as string[];
    const batch = await call('POST', '/api/v1/ingest/priority', { source: 'gexbot', data_type: 'real_time', payloads: [ndx, qqq] });
    assert.equal([batch.status, (batch.body['request_ids'] as string[]).length], [202, 2]);

    // bad input: 401 without the token, 400 with field paths (schema and domain), 413 over the limit; nothing published
    assert.is((await call('POST', '/api/v1/ingest/priority', { source: 'x', data_type: 'real_time', payload: spx }, { 'content-type': 'application/json' })).status, 401);
    assert.is((await call('POST', '/api/v1/ingest/priority', { source: 'x', data_type: 'real_time', payload: spx }, { ...auth, authorization: `Bearer ${TOKEN}x` })).status, 401);
    const schemaBad = await call('POST', '/api/v1/ingest/priority', { source: 'x', data_type: 'tomorrow', payload: spx });
    assert.is(schemaBad.status, 400);
    assert.ok((schemaBad.body['errors'] as { path: string }[]).some((e) => e.path === '$.data_type'), JSON.stringify(schemaBad.body));
    const domainBad = await call('POST', '/api/v1/ingest/priority', { source: 'x', data_type: 'real_time', payloads: [ndx, { ...qqq, spot: 'abc' }] });
    assert.is(domainBad.status, 400);
    assert.equal(domainBad.body['errors'], [{ path: '$.payloads[1].spot', message: 'expected number, got "abc"' }]);
    const big = await call('POST', '/api/v1/ingest/priority', { source: 'x', data_type: 'real_time', payload: { ...spx, pad: 'x'.repeat(300 * 1024) } });
    assert.is(big.status, 413);
    assert.is((await call('POST', '/api/v1/ingest/priority', '{"source": ', auth)).status, 400);

    // the critical request through the pipeline: level, components, rules, job state, timings
    const view = await eventually('the request in the projected state', async () => {
      const r = await call('GET', `/api/v1/ingest/priority/${critId}`);
      if (process.env['DEBUG_API']) console.error(JSON.stringify(r).slice(0, 600));
      return r.status === 200 && (r.body['job'] as { status: string } | null)?.status === 'COMPLETED' && r.body['components'] !== null ? r.body : undefined;
    }, 60_000, 200);
    assert.is(view['level'], 'critical');
    assert.is(view['ticker'], 'SPX');
    assert.ok(Array.isArray(view['matched_rules']));
    assert.equal(Object.keys(view['components'] as object).sort(), ['freshness', 'market_impact', 'source_reliability', 'urgency']);
    assert.ok(((view['timings'] as { publish_to_processed_ms: number }).publish_to_processed_ms ?? -1) >= 0);
    assert.equal((view['job'] as { history: { status: string }[] }).history.map((h) => h.status), ['QUEUED', 'PROCESSING', 'COMPLETED']);
    assert.is((await call('GET', '/api/v1/ingest/priority/no-such-request')).status, 404);

    // queue, sources, latest, dlq
    const q = await call('GET', '/api/v1/ingest/priority/queue');
    assert.equal(Object.keys(q.body['levels'] as object), ['critical', 'high', 'medium', 'low']);
    assert.ok(((q.body['levels'] as Record<string, { processed: number }>)['critical']?.processed ?? 0) >= 1);
    await eventually('the source stats', async () => ((await call('GET', '/api/v1/sources')).body['sources'] as { source: string }[]).some((s) => s.source === 'gexbot') || undefined, 30_000);
    const latest = await eventually('the latest SPX snapshot', async () => {
      const r = await call('GET', '/api/v1/snapshots/latest?ticker=SPX');
      return (r.body['snapshots'] as unknown[]).length === 1 ? r.body : undefined;
    }, 30_000);
    assert.is(((latest['snapshots'] as { request_id: string }[])[0] as { request_id: string }).request_id, critId);
    // the payload refused with a 400 is on the DLQ with its bytes and the same path (nothing lost)
    const dl = await eventually('the refused payload on the DLQ', async () => {
      const r = await call('GET', '/api/v1/dlq?limit=5&stage=validate');
      return (r.body['dead_letters'] as unknown[]).length > 0 ? (r.body['dead_letters'] as Array<{ errors: { path: string }[]; original_bytes: number; source: string }>) : undefined;
    }, 30_000);
    assert.equal(dl[0]?.errors.map((e) => e.path), ['$.payloads[1].spot']);
    assert.equal(dl[0]?.source, 'x');
    assert.ok((dl[0]?.original_bytes ?? 0) > 100);
    assert.is((await call('GET', '/api/v1/dlq?limit=zero')).status, 400);

    // rules: define (201), change (200), disable, refuse a bad condition (400 with path), unknown rule (404), no token (401)
    const def = await call('POST', '/api/v1/rules', { name: 'api test rule', condition: 'ticker == "QQQ"', level: 'high' });
    assert.is(def.status, 201, JSON.stringify(def.body));
    const ruleId = (def.body['event'] as { rule_id: string }).rule_id;
    const upd = await call('PATCH', `/api/v1/rules/${ruleId}`, { description: 'changed' });
    assert.equal([upd.status, (upd.body['event'] as { type: string }).type], [200, 'RuleUpdated']);
    const dis = await call('PATCH', `/api/v1/rules/${ruleId}`, { active: false });
    assert.equal([dis.status, (dis.body['event'] as { type: string }).type], [200, 'RuleDisabled']);
    const badRule = await call('POST', '/api/v1/rules', { name: 'bad', condition: 'ticker ==', level: 'high' });
    assert.is(badRule.status, 400);
    assert.ok((badRule.body['errors'] as { path: string }[]).some((e) => e.path.includes('condition')), JSON.stringify(badRule.body));
    assert.is((await call('PATCH', '/api/v1/rules/nope', { description: 'x' })).status, 404);
    assert.is((await call('POST', '/api/v1/rules', { name: 'x', condition: 'true' }, { 'content-type': 'application/json' })).status, 401);
    // read-your-writes: a write returns once the rule view holds it, so the next read shows it without waiting
    const listed = await call('GET', '/api/v1/rules');
    const mine = (listed.body['rules'] as { rule: { rule_id: string; active: boolean; description: string } }[]).find((x) => x.rule.rule_id === ruleId);
    assert.equal([mine?.rule.active, mine?.rule.description], [false, 'changed'], 'the next read shows the writes');
    // a process without the prioritizer follows the rules topic with a view of its own: the same set, its own writes
    // show on its next read, and the prioritizer's view follows them
    const bare = apiService({ kafka: kafka(), registry, producer, topology: iso.topology });
    try {
      const seen = (await bare.rules()) as { rule: { rule_id: string; description: string } }[];
      assert.is(seen.find((x) => x.rule.rule_id === ruleId)?.rule.description, 'changed', 'the own view folded the earlier events');
      const w = await bare.writeRule({ type: 'UpdateRule', rule_id: ruleId, changes: { description: 'from a bare API' }, actor: 'test' });
      assert.ok(w.ok, JSON.stringify(w));
      const again = (await bare.rules()) as { rule: { rule_id: string; description: string } }[];
      assert.is(again.find((x) => x.rule.rule_id === ruleId)?.rule.description, 'from a bare API');
      await eventually('the prioritizer follows the rule events', async () => (prioritizer.ruleSet().rules.get(ruleId)?.rule.description === 'from a bare API' ? true : undefined), 30_000, 20);
    } finally {
      await bare.close();
    }

    // the stream carried the SPX job events only (the filter), and queue snapshots
    await eventually('job events on the WebSocket', async () => (events.some((e) => e['type'] === 'job' && e['status'] === 'COMPLETED') ? true : undefined), 30_000);
    assert.ok(events.filter((e) => e['type'] === 'job').every((e) => e['ticker'] === 'SPX'), 'the ticker filter holds');
    ws.close();

    // metrics
    const m = await fetch(`${base}/metrics`).then((r) => r.text());
    for (const name of ['gexstream_priority_decisions_total', 'gexstream_rule_set_version', 'gexstream_dead_letters_total', 'gexstream_level_lag{level="low"}', 'gexstream_level_in_flight', 'gexstream_sla_breaches_total', 'gexstream_publish_to_processed_seconds_bucket', 'gexstream_projected_rows_total{table="gex_strikes"}'])
      assert.ok(m.includes(name), `metric ${name}`);
    assert.match(m, /gexstream_processed_total\{level="critical"\} [1-9]/);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await iso.cleanup();
  }
});

test.run();
