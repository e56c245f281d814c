// The projector's rows, batch upserts and checksums: deterministic, order-independent, the same live and in replay.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fnv1a64, formatChecksum, tableChecksum } from '../../../src/domain/projection/checksum.js';
import {
  applyRows,
  batchRows,
  contentsRows,
  emptyContents,
  foldEvents,
  project,
  tablesProjection,
  type ProjectedEvent,
  type TableContents,
} from '../../../src/domain/projection/projection.js';
import { jobEventKey, rowsOfDeadLetter, rowsOfProcessed, rowsOfRule, utcDate } from '../../../src/domain/projection/rows.js';
import { TABLES, TABLE_NAMES, type Row, type TableName } from '../../../src/domain/projection/tables.js';
import { TS, dead, job, processed, rule, source } from './fixtures.js';

const Rows = suite('rows');

Rows('a processed snapshot gives one request, one snapshot, a row per strike and its lineage', () => {
  const p = processed();
  const r = rowsOfProcessed(p);
  assert.is(r.priority_requests.length, 1);
  assert.is(r.gex_snapshots.length, 1);
  assert.is(r.gex_strikes.length, 3);
  assert.is(r.lineage.length, 1);
  assert.equal(r.priority_requests[0], {
    request_id: 'req-00000001',
    ticker: 'SPX',
    source: 'gexbot',
    data_type: 'real_time',
    level: 'high',
    score: 71.5,
    published_at_ms: TS + 1000,
    prioritized_at_ms: TS + 1500,
    processed_at_ms: TS + 2000,
    // the fixture's decision carries no components or rules: a record written before those fields existed
    market_impact: null,
    freshness: null,
    source_reliability: null,
    urgency: null,
    matched_rules: '[]',
    rule_set_version: 0,
  });
  const s = r.gex_snapshots[0] as Row;
  assert.is(s.job_id, p.job_id);
  assert.is(s.snapshot_date, '2024-03-15');
  assert.is(s.strike_count, 3);
  assert.is(s.spot, 5100.25);
  assert.is(s.major_pos_vol, null);
  assert.is(s.processed_at_ms, TS + 2000);
  assert.equal(r.gex_strikes.map((k) => [k.strike, k.gex_vol, k.gex_oi, k.priors, k.snapshot_date, k.ticker]), [
    [5000, -1.5, 2, [0.1, -0.2, 3], '2024-03-15', 'SPX'],
    [5100, 4, null, [], '2024-03-15', 'SPX'],
    [5200, 0.25, -7, [1], '2024-03-15', 'SPX'],
  ]);
  assert.equal(r.lineage[0], { request_id: 'req-00000001', file: 'data/spx.jsonl', sha256: 'ab'.repeat(32), idx: 42, batch: 'import-7', ticker: 'SPX' });
  assert.is(rowsOfProcessed(processed('req-00000001', { withLineage: false })).lineage.length, 0);
});

Rows('snapshot_date is the UTC day, not the local one', () => {
  assert.is(utcDate(Date.UTC(2024, 0, 1, 0, 0, 0)), '2024-01-01');
  assert.is(utcDate(Date.UTC(2023, 11, 31, 23, 59, 59, 999)), '2023-12-31');
  assert.is(utcDate(Number.NaN), null);
});

Rows('every row carries exactly its table columns', () => {
  const events: ProjectedEvent[] = [
    { kind: 'processed', value: processed() },
    { kind: 'jobs', value: job('FAILED', TS, 1) },
    { kind: 'rules', value: rule('RuleDefined', 1, TS) },
    { kind: 'sources', value: source('gexbot', 3, 2, TS) },
    { kind: 'dlq', value: dead(9) },
  ];
  let seen = 0;
  for (const e of events)
    for (const [table, rows] of Object.entries(project(e)) as [TableName, Row[]][])
      for (const row of rows) {
        assert.equal(Object.keys(row).sort(), [...TABLES[table].columns, ...TABLES[table].internal].map((c) => c.name).sort(), table);
        seen++;
      }
  assert.is(seen, 1 + 1 + 3 + 1 + 1 + 1 + 1 + 1);
  for (const t of TABLE_NAMES) for (const k of TABLES[t].primaryKey) assert.ok(TABLES[t].columns.some((c) => c.name === k), `${t}.${k}`);
});

Rows('a job event is keyed by job, status, retry and time', () => {
  const e = job('FAILED', TS + 5, 2);
  assert.is(jobEventKey(e), `${e.job_id}|FAILED|2|${TS + 5}`);
  const row = project({ kind: 'jobs', value: e }).processing_jobs?.[0];
  assert.is(row?.event_key, jobEventKey(e));
  assert.is(row?.error_message, 'boom');
  assert.is(row?.records_processed, null);
});

Rows('a disabled rule is recorded inactive; dead letters keep their bytes and errors as JSON', () => {
  assert.is(rowsOfRule(rule('RuleDisabled', 3, TS)).priority_rules[0]?.active, false);
  const d = rowsOfDeadLetter(dead(7)).dead_letters[0] as Row;
  assert.instance(d.original_value, Uint8Array);
  assert.is(Buffer.from(d.original_value as Uint8Array).toString(), '{"bad":7}');
  assert.equal(JSON.parse(d.errors as string), [{ path: 'strikes[3][1]', message: 'expected number, got "abc"' }]);
  assert.is(d.original_offset, 7);
});

Rows('the same event always gives the same rows', () => {
  assert.equal(rowsOfProcessed(processed()), rowsOfProcessed(processed()));
  assert.equal(project({ kind: 'dlq', value: dead(3) }), project({ kind: 'dlq', value: dead(3) }));
});

Rows.run();

const Batches = suite('batch fold');

Batches('data_sources: the later event for a source wins within a batch', () => {
  const b = foldEvents([
    { kind: 'sources', value: source('gexbot', 1, 1, TS) },
    { kind: 'sources', value: source('vendor-b', 1, 0, TS + 1) },
    { kind: 'sources', value: source('gexbot', 2, 1, TS + 2) },
  ]);
  assert.is(b.events, 3);
  const rows = batchRows(b).data_sources;
  assert.is(rows.length, 2);
  const g = rows.find((r) => r.source === 'gexbot');
  assert.is(g?.total_requests, 2);
  assert.is(g?.reliability, 0.5);
  assert.is(g?.updated_at_ms, TS + 2);
});

Batches('priority_rules keeps every version as history', () => {
  const b = foldEvents([
    { kind: 'rules', value: rule('RuleDefined', 1, TS) },
    { kind: 'rules', value: rule('RuleUpdated', 2, TS + 1) },
    { kind: 'rules', value: rule('RuleDisabled', 3, TS + 2) },
    { kind: 'rules', value: rule('RuleUpdated', 2, TS + 1) }, // a redelivery: same row, not a fourth
  ]);
  const rows = batchRows(b).priority_rules;
  assert.equal(rows.map((r) => [r.type, r.version, r.active]), [
    ['RuleDefined', 1, true],
    ['RuleUpdated', 2, true],
    ['RuleDisabled', 3, false],
  ]);
});

Batches('the fold is pure: evolving does not change the earlier state', () => {
  const a = tablesProjection.initialState();
  const b = tablesProjection.evolve(a, { kind: 'jobs', value: job('QUEUED', TS) });
  const c = tablesProjection.evolve(b, { kind: 'jobs', value: job('PROCESSING', TS + 1) });
  assert.is(batchRows(a).processing_jobs.length, 0);
  assert.is(batchRows(b).processing_jobs.length, 1);
  assert.is(batchRows(c).processing_jobs.length, 2);
  assert.equal([...tablesProjection.canHandle], ['processed', 'jobs', 'rules', 'sources', 'dlq']);
});

Batches.run();

const Checksums = suite('checksum');

Checksums('FNV-1a 64 matches the published vectors', () => {
  const enc = new TextEncoder();
  assert.is(fnv1a64(enc.encode('')), 'cbf29ce484222325');
  assert.is(fnv1a64(enc.encode('a')), 'af63dc4c8601ec8c');
  assert.is(fnv1a64(enc.encode('foobar')), '85944171f73967e8');
});

const strikes = rowsOfProcessed(processed()).gex_strikes;

Checksums('independent of row order', () => {
  const a = tableChecksum('gex_strikes', strikes);
  const b = tableChecksum('gex_strikes', [...strikes].reverse());
  const c = tableChecksum('gex_strikes', [strikes[1] as Row, strikes[2] as Row, strikes[0] as Row]);
  assert.is(a.rows, 3);
  assert.match(a.sum, /^[0-9a-f]{16}$/);
  assert.equal(a, b);
  assert.equal(a, c);
  assert.is(formatChecksum(a), `3:${a.sum}`);
});

Checksums('sensitive to any value change, to null vs value and to row count', () => {
  const base = tableChecksum('gex_strikes', strikes).sum;
  const sums = new Set<string>([base]);
  const first = strikes[0] as Row;
  for (const col of TABLES.gex_strikes.columns) {
    const v = first[col.name];
    const changed = typeof v === 'number' ? v + 1e-9 : typeof v === 'string' ? `${v}x` : 1;
    sums.add(tableChecksum('gex_strikes', [{ ...first, [col.name]: changed }, ...strikes.slice(1)]).sum);
  }
  assert.is(sums.size, TABLES.gex_strikes.columns.length + 1, 'each column change gives a new sum');
  assert.is.not(tableChecksum('gex_strikes', [{ ...first, gex_oi: null }, ...strikes.slice(1)]).sum, base);
  assert.is.not(tableChecksum('gex_strikes', strikes.slice(1)).sum, base);
  // A value moved to the neighbouring column is a different row.
  assert.is.not(tableChecksum('gex_strikes', [{ ...first, gex_vol: first.gex_oi ?? null, gex_oi: first.gex_vol ?? null }, ...strikes.slice(1)]).sum, base);
});

Checksums('equal values from another reader give the same sum: bigint BIGINT, -0, blobs', () => {
  const jobs = project({ kind: 'jobs', value: job('QUEUED', TS) }).processing_jobs as Row[];
  const asRead = jobs.map((r) => ({ ...r, at_ms: BigInt(r.at_ms as number) }));
  assert.equal(tableChecksum('processing_jobs', asRead), tableChecksum('processing_jobs', jobs));
  assert.equal(tableChecksum('gex_strikes', [{ ...strikes[1], gex_vol: -0 } as Row]), tableChecksum('gex_strikes', [{ ...strikes[1], gex_vol: 0 } as Row]));
  const d = rowsOfDeadLetter(dead(1)).dead_letters;
  const copy = d.map((r) => ({ ...r, original_value: Uint8Array.from(r.original_value as Uint8Array) }));
  assert.equal(tableChecksum('dead_letters', copy), tableChecksum('dead_letters', d));
  const text = d.map((r) => ({ ...r, original_value: Buffer.from(r.original_value as Uint8Array).toString() }));
  assert.is.not(tableChecksum('dead_letters', text).sum, tableChecksum('dead_letters', d).sum, 'a blob is not the text it holds');
});

Checksums.run();

const Replay = suite('replay determinism');

const EVENTS: ProjectedEvent[] = [
  { kind: 'rules', value: rule('RuleDefined', 1, TS) },
  { kind: 'processed', value: processed('req-00000001') },
  { kind: 'jobs', value: job('QUEUED', TS, 0, 'req-00000002') },
  { kind: 'sources', value: source('gexbot', 1, 1, TS) },
  { kind: 'jobs', value: job('PROCESSING', TS + 1, 0, 'req-00000002') },
  { kind: 'dlq', value: dead(11) },
  { kind: 'jobs', value: job('FAILED', TS + 2, 0, 'req-00000002') },
  { kind: 'sources', value: source('gexbot', 2, 1, TS + 2) },
  { kind: 'processed', value: processed('req-00000003', { ticker: 'NDX', withLineage: false }) },
  { kind: 'rules', value: rule('RuleUpdated', 2, TS + 3) },
  { kind: 'jobs', value: job('QUEUED', TS + 3, 1, 'req-00000002') },
  { kind: 'sources', value: source('gexbot', 3, 2, TS + 4) },
];

/** Splits the events into batches of the given sizes, folds each batch and upserts it, as the projector does per transaction. */
const run = (events: readonly ProjectedEvent[], sizes: readonly number[]): TableContents => {
  let contents = emptyContents();
  let i = 0;
  for (let k = 0; i < events.length; k++) {
    const n = sizes[k % sizes.length] as number;
    contents = applyRows(contents, batchRows(foldEvents(events.slice(i, i + n))));
    i += n;
  }
  return contents;
};

const checksums = (c: TableContents): Record<string, string> =>
  Object.fromEntries(TABLE_NAMES.map((t) => [t, formatChecksum(tableChecksum(t, contentsRows(c)[t]))]));

Replay('the same events in a different batch split give the same tables and checksums', () => {
  const live = run(EVENTS, [1]);
  const replay = run(EVENTS, [5, 2, 7]);
  const oneBatch = run(EVENTS, [EVENTS.length]);
  const sums = checksums(live);
  assert.equal(checksums(replay), sums);
  assert.equal(checksums(oneBatch), sums);
  for (const t of TABLE_NAMES) {
    const byKey = (c: TableContents) => [...c[t].entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    // append tables key rows by arrival, which the batch split does not change
    assert.equal(byKey(replay), byKey(live), t);
  }
  assert.is(live.processing_jobs.size, 4);
  assert.is(live.data_sources.size, 1);
  assert.is([...live.data_sources.values()][0]?.total_requests, 3);
  assert.is(live.priority_rules.size, 2);
  assert.is(live.gex_strikes.size, 6);
  assert.is(live.lineage.size, 1);
  assert.is(sums.gex_strikes, `6:${tableChecksum('gex_strikes', contentsRows(live).gex_strikes).sum}`);
});

Replay('a different event changes the checksum of its table only', () => {
  const a = checksums(run(EVENTS, [3]));
  const changed = EVENTS.map((e, i) => (i === 3 ? { kind: 'sources' as const, value: source('gexbot', 1, 0, TS) } : e));
  const b = checksums(run(changed, [3]));
  assert.is(a.data_sources, b.data_sources, 'the last event of the source still wins');
  const changedLast = EVENTS.map((e, i) => (i === 11 ? { kind: 'sources' as const, value: source('gexbot', 3, 1, TS + 4) } : e));
  const c = checksums(run(changedLast, [3]));
  assert.is.not(c.data_sources, a.data_sources);
  for (const t of TABLE_NAMES) if (t !== 'data_sources') assert.is(c[t], a[t], t);
});

Replay.run();
