// The prioritizer's pure step: a raw message to its level record and QUEUED job, or to exactly one located dead letter.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { H } from '../../../src/domain/headers.js';
import { requestIdForPosition } from '../../../src/domain/ids.js';
import { jobIdOf } from '../../../src/domain/prioritized.js';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { foldRuleEvents } from '../../../src/domain/priority/ruleSet.js';
import { initialPrioritizerState, prioritizeStep, rejectRaw, type PrioritizeContext, type PrioritizeOutput, type PrioritizerState, type RawInput } from '../../../src/domain/priority/step.js';
import { loadDefaultGuidelines } from '../../../src/pipelines/prioritize.js';
import { loadCalendar } from '../../../src/resources.js';
import { repoFile } from './helpers.js';

const test = suite('prioritizeStep');

/** A real GEXBot classic SPX snapshot (fixtures/), taken 2026-04-29 16:00:00 ET: the close, so not regular hours. */
const fixtureText = readFileSync(repoFile('fixtures/gexbot-classic-spx.json'), 'utf8');
const SNAPSHOT_MS = (JSON.parse(fixtureText) as { timestamp: number }).timestamp * 1000;
const RECEIVED = SNAPSHOT_MS + 1_000;
const NOW = RECEIVED + 3;
const REQUEST_ID = 'req-0123456789abcdef';
const ORIGIN = { topic: 'gex.raw.v1', partition: 2, offset: 41 };

const ctx: PrioritizeContext = {
  ruleSet: foldRuleEvents(loadDefaultGuidelines(1_700_000_000_000)),
  priority: defaultPriorityConfig,
  calendar: loadCalendar(),
  sourceStats: (source) => (source === 'flaky' ? { reliability: 0.2, ema_latency_ms: 900 } : null),
  defaultDataType: 'real_time',
  maxSkewMs: 5_000,
  maxBytes: 1024 * 1024,
  receivedAtMs: RECEIVED,
  nowMs: NOW,
};

const raw = (over: Partial<RawInput> & { text?: string } = {}): RawInput => ({
  value: over.value !== undefined ? over.value : Buffer.from(over.text ?? fixtureText),
  key: over.key ?? Buffer.from('SPX'),
  headers: over.headers ?? { [H.source]: 'gexbot', [H.requestId]: REQUEST_ID, [H.kind]: 'gexbot_classic', [H.category]: 'zero' },
  timestamp: over.timestamp ?? RECEIVED - 10,
  origin: over.origin ?? ORIGIN,
});

/** The output of that kind (a level output's kind is any of the four, so narrowing is by intersection). */
type OutputOf<K extends PrioritizeOutput['kind']> = PrioritizeOutput & { readonly kind: K };

const only = <K extends PrioritizeOutput['kind']>(outputs: readonly PrioritizeOutput[], kind: K): OutputOf<K> => {
  const found = outputs.filter((o) => o.kind === kind);
  assert.is(found.length, 1, `one ${kind} output, got ${outputs.map((o) => o.kind).join(', ')}`);
  return found[0] as OutputOf<K>;
};

/** The one dead letter a refused message gives, after checking it is the only output and the state counted it. */
const refused = (input: RawInput, state: PrioritizerState = initialPrioritizerState()) => {
  const r = prioritizeStep(state, input, ctx);
  assert.equal(r.outputs.map((o) => o.kind), ['dlq']);
  assert.is(r.state.deadLetters, state.deadLetters + 1);
  assert.equal(r.state.tally, state.tally, 'a dead letter is not a decision');
  const d = only(r.outputs, 'dlq');
  assert.is(d.key, d.value.dead_letter_id);
  assert.equal([d.value.original_topic, d.value.original_partition, d.value.original_offset], [ORIGIN.topic, ORIGIN.partition, ORIGIN.offset]);
  assert.is(d.value.failed_at_ms, NOW, 'the time comes from the context');
  return d.value;
};

test('a real-time GEXBot snapshot at the close: one record on level.high keyed by ticker and its QUEUED job, with the publisher request id', () => {
  const r = prioritizeStep(initialPrioritizerState(), raw(), ctx);
  assert.equal(r.outputs.map((o) => o.kind), ['level.high', 'jobs']);
  const rec = only(r.outputs, 'level.high');
  assert.is(rec.key, 'SPX');
  assert.is(rec.value.level, 'high');
  assert.equal(rec.value.matched_rules, ['default.real-time']);
  assert.is(rec.value.request_id, REQUEST_ID);
  assert.is(rec.value.source, 'gexbot');
  assert.equal(rec.value.raw, ORIGIN);
  assert.is(rec.value.published_at_ms, RECEIVED - 10, 'no gex-published-at: the record timestamp');
  assert.is(rec.value.received_at_ms, RECEIVED);
  assert.is(rec.value.prioritized_at_ms, NOW);
  assert.is(rec.value.overridden, false);
  assert.equal(rec.value.headers, {}, 'headers the record carries in its own fields are not repeated');
  assert.is(rec.snapshot.ticker, 'SPX');
  assert.is(rec.snapshot.timestamp_ms, SNAPSHOT_MS);
  assert.ok(rec.snapshot.strikes.count > 0);
  const job = only(r.outputs, 'jobs');
  assert.is(job.key, 'SPX');
  assert.equal(
    { status: job.value.status, request_id: job.value.request_id, job_id: job.value.job_id, level: job.value.level, ticker: job.value.ticker, source: job.value.source, at_ms: job.value.at_ms, retry_count: job.value.retry_count },
    { status: 'QUEUED', request_id: REQUEST_ID, job_id: jobIdOf(REQUEST_ID), level: 'high', ticker: 'SPX', source: 'gexbot', at_ms: NOW, retry_count: 0 },
  );
  assert.equal(r.state.tally, { total: 1, automatic: 1, byLevel: { critical: 0, high: 1, medium: 0, low: 0 } });
  assert.is(r.state.deadLetters, 0);
});

test('the data type, a requested level and the source stats steer the level; lineage and other headers ride along', () => {
  const level = (headers: Record<string, string>): string => (prioritizeStep(initialPrioritizerState(), raw({ headers }), ctx).outputs[0] as PrioritizeOutput).kind;
  assert.is(level({ [H.dataType]: 'historical' }), 'level.low');
  assert.is(level({ [H.dataType]: 'snapshot' }), 'level.medium');
  assert.is(level({ [H.source]: 'flaky' }), 'level.medium', 'an unreliable source goes one level down');
  const r = prioritizeStep(initialPrioritizerState(), raw({ headers: { [H.requestedLevel]: 'critical', [H.lineageFile]: 'day.json', [H.lineageSha256]: 'ab'.repeat(32), [H.lineageIndex]: '7', 'x-desk': 'vol' } }), ctx);
  const rec = only(r.outputs, 'level.critical');
  assert.is(rec.value.overridden, true);
  assert.equal(rec.value.lineage, { file: 'day.json', sha256: 'ab'.repeat(32), index: 7, batch: null });
  assert.equal(rec.value.headers, { [H.requestedLevel]: 'critical', 'x-desk': 'vol' });
  assert.is(only(r.outputs, 'jobs').value.level, 'critical');
  assert.equal(r.state.tally, { total: 1, automatic: 0, byLevel: { critical: 1, high: 0, medium: 0, low: 0 } });
});

test('without a usable request id, the id is derived from the position: the same message always gets the same one', () => {
  const derived = requestIdForPosition(ORIGIN.topic, ORIGIN.partition, ORIGIN.offset);
  for (const headers of [{}, { [H.requestId]: 'no!' }] as Array<Record<string, string>>) {
    const r = prioritizeStep(initialPrioritizerState(), raw({ headers }), ctx);
    const rec = only(r.outputs, 'level.high');
    assert.is(rec.value.request_id, derived);
    assert.is(rec.value.source, 'unknown');
    assert.is(only(r.outputs, 'jobs').value.job_id, jobIdOf(derived));
  }
});

test('a fractional gex-published-at (Python time.time()*1000) is accepted and floored, not dead-lettered', () => {
  const r = prioritizeStep(initialPrioritizerState(), raw({ headers: { [H.publishedAt]: '1764758400123.5' } }), ctx);
  assert.is(only(r.outputs, 'level.high').value.published_at_ms, 1764758400123);
});

test('a tombstone: one dead letter at decode, with an empty value and the message key', () => {
  const d = refused(raw({ value: null }));
  assert.is(d.stage, 'decode');
  assert.equal(d.errors, [{ path: '$', message: 'a tombstone (null value) is not a snapshot' }]);
  assert.is(d.reason, '$: a tombstone (null value) is not a snapshot');
  assert.is(d.original_value.length, 0);
  assert.equal(d.original_key, Buffer.from('SPX'));
  assert.is(d.request_id, REQUEST_ID);
  assert.is(d.ticker, null);
});

test('a header that does not decode: one dead letter at decode, located at the header', () => {
  const headers = { [H.source]: 'gexbot', [H.requestId]: REQUEST_ID, [H.publishedAt]: '1764758400123000', [H.lineageFile]: 'day.json', [H.lineageSha256]: 'cd'.repeat(32), [H.lineageIndex]: '3' };
  const d = refused(raw({ headers }));
  assert.is(d.stage, 'decode');
  assert.equal(d.errors.map((e) => e.path), ['headers.gex-published-at']);
  assert.ok(d.reason.startsWith('headers.gex-published-at: ') && d.reason.includes('epoch microseconds'), d.reason);
  assert.equal(d.original_headers, headers);
  assert.equal(d.original_value, Buffer.from(fixtureText));
  assert.equal([d.source, d.ticker, d.request_id], ['gexbot', 'SPX', REQUEST_ID]);
  assert.equal(d.lineage, { file: 'day.json', sha256: 'cd'.repeat(32), index: 3, batch: null });
  const two = refused(raw({ headers: { [H.dataType]: 'realtime', [H.lineageIndex]: '-1' } }));
  assert.equal(two.errors.map((e) => e.path), ['headers.gex-data-type', 'headers.gex-lineage-index']);
  assert.is(two.source, 'unknown');
});

test('broken JSON: one dead letter at decode with the position of the break; the ticker is still peeked', () => {
  const d = refused(raw({ text: '{"ticker":"SPX","timestamp":' }));
  assert.is(d.stage, 'decode');
  assert.equal(d.errors, [{ path: '$', message: 'invalid JSON at line 1, column 29 (position 28): unexpected end of input (1 unclosed bracket)' }]);
  assert.is(d.ticker, 'SPX');
});

test('a value error is located at its field; a bad kind hint at the header that carried it', () => {
  const spot = refused(raw({ text: fixtureText.replace('"spot": 7138.55', '"spot": "abc"') }));
  assert.is(spot.stage, 'decode');
  assert.equal(spot.errors.map((e) => e.path), ['spot']);
  const kind = refused(raw({ headers: { [H.kind]: 'nope' } }));
  assert.equal(kind.errors.map((e) => e.path), ['headers.gex-kind']);
  const ahead = refused(raw({ text: fixtureText.replace(`"timestamp": ${SNAPSHOT_MS / 1000}`, `"timestamp": ${SNAPSHOT_MS / 1000 + 3600}`) }));
  assert.equal(ahead.errors.map((e) => e.path), ['timestamp'], 'a snapshot an hour ahead of receivedAtMs');
});

test('the state folds: the tally counts decisions by level and the dead letters are counted apart', () => {
  const inputs = [raw(), raw({ headers: { [H.dataType]: 'historical' } }), raw({ value: null }), raw({ headers: { [H.requestedLevel]: 'critical' } }), raw({ text: '[' }), raw()];
  const end = inputs.reduce<PrioritizerState>((s, i) => prioritizeStep(s, i, ctx).state, initialPrioritizerState());
  assert.equal(end, { tally: { total: 4, automatic: 3, byLevel: { critical: 1, high: 2, medium: 0, low: 1 } }, deadLetters: 2 });
});

test('pure: the same state, message and context give the same result, and the state given is not changed', () => {
  const s0 = initialPrioritizerState();
  const a = prioritizeStep(s0, raw(), ctx);
  const b = prioritizeStep(s0, raw(), ctx);
  assert.equal(a, b);
  assert.equal(s0, initialPrioritizerState());
  assert.equal(refused(raw({ value: null })), refused(raw({ value: null })), 'same failure of the same message: same dead letter (and id)');
});

test('rejectRaw: the edge refuses a message the same way (an oversized record, a bug), counted as a dead letter', () => {
  const s = prioritizeStep(initialPrioritizerState(), raw(), ctx).state;
  const r = rejectRaw(s, raw(), { stage: 'prioritize', errors: [{ path: '$', message: 'the prioritized record of 9 bytes exceeds the 8-byte limit of gex.level.high' }] }, NOW);
  assert.equal(r.outputs.map((o) => o.kind), ['dlq']);
  assert.equal(r.state, { tally: s.tally, deadLetters: 1 });
  const d = only(r.outputs, 'dlq').value;
  assert.is(d.stage, 'prioritize');
  assert.is(d.reason, '$: the prioritized record of 9 bytes exceeds the 8-byte limit of gex.level.high');
  assert.equal([d.source, d.ticker, d.request_id], ['gexbot', 'SPX', REQUEST_ID]);
});

test.run();
