// The processor's pure step: strikes ascending, one row per strike, derived metrics recomputed only when rows changed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeValue } from '../../../src/domain/decode.js';
import { generatePayloads } from '../../../src/domain/generator.js';
import { normalise, processedSnapshot } from '../../../src/domain/processed.js';
import { jobIdOf } from '../../../src/domain/prioritized.js';
import { columnsOfRows, strikeRows } from '../../../src/domain/strikeColumns.js';

const test = suite('processed snapshot');
const snapshot = () => {
  const [p] = [...generatePayloads({ seed: 2, tickers: ['SPX'], count: 1, strikes: 12 })];
  const d = decodeValue(p, { dataType: 'real_time' }, { nowMs: Date.UTC(2030, 0, 1), maxSkewMs: 0, maxBytes: 1e6 });
  if (isLeft(d)) throw new Error('invalid');
  return d.right;
};

test('an already normal snapshot is returned as is (no work on the hot path)', () => {
  const s = snapshot();
  assert.ok(normalise(s) === s);
});

test('unsorted and duplicated strikes are sorted, de-duplicated (last row wins) and derived metrics recomputed', () => {
  const s = snapshot();
  const rows = strikeRows(s.strikes);
  const [a, b, c] = rows;
  assert.ok(a && b && c);
  const dup = { ...b, gex_oi: 12345 };
  const messy = { ...s, strikes: columnsOfRows([c, a, b, dup, ...rows.slice(3)]), derived: null };
  const n = normalise(messy);
  assert.equal(Array.from(n.strikes.strike), Array.from(s.strikes.strike));
  assert.is(strikeRows(n.strikes)[1]?.gex_oi, 12345, 'the last row of a duplicated strike wins');
  assert.equal(strikeRows(n.strikes)[2]?.priors, c.priors, 'the priors move with their row');
  assert.ok(n.derived !== null, 'derived metrics recomputed');
  assert.ok(n.derived.quality_score >= 0 && n.derived.quality_score <= 1);
});

test('a processed snapshot carries the request, a deterministic job id, times and the quality score', () => {
  const s = snapshot();
  const p = {
    request_id: 'r-1', level: 'high' as const, score: 0.7, components: { market_impact: 0.5, freshness: 1, source_reliability: 0.9, urgency: 0 },
    matched_rules: ['x'], rule_set_version: 3, overridden: false, source: 'gexbot', raw: { topic: 't', partition: 0, offset: 5 },
    lineage: null, headers: {}, published_at_ms: 1, received_at_ms: 2, prioritized_at_ms: 3, snapshot: s,
  };
  const out = processedSnapshot(p, s, 10);
  assert.is(out.job_id, jobIdOf('r-1'));
  assert.is(out.processed_at_ms, 10);
  assert.is(out.prioritized_at_ms, 3);
  assert.is(out.quality_score, s.derived?.quality_score);
});

test.run();
