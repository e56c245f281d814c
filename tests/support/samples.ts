// Owns hand-built sample values that conform to the Avro schemas, for tests that do not need the decoder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STRIKE_COLUMNS, type ColumnarSnapshot, type StrikeColumnName, type StrikeColumns } from '../../src/domain/strikeColumns.js';
import type { SnapshotKind } from '../../src/domain/snapshot.js';

const fixture = JSON.parse(readFileSync(join(process.cwd(), 'fixtures', 'gexbot-classic-spx.json'), 'utf8')) as {
  ticker: string; timestamp: number; spot: number; zero_gamma: number; strikes: [number, number, number, number[]][];
};

/** The shared SPX fixture as a (partial) canonical snapshot; omitted nullable fields take their Avro default (null). */
export const sampleSnapshot = () => ({
  ticker: fixture.ticker,
  kind: 'gexbot_classic',
  category: 'full',
  data_type: 'real_time' as const,
  timestamp_ms: fixture.timestamp * 1000,
  spot: fixture.spot,
  zero_gamma: fixture.zero_gamma,
  max_priors: { current: { strike: 7140, change: 170979.742 }, one: { strike: 7135, change: 1145886.722 }, five: null, ten: null, fifteen: null, thirty: null },
  strikes: fixture.strikes.map(([strike, gex_vol, gex_oi, priors]) => ({ strike, gex_vol, gex_oi, priors })),
  orderflow: null,
  extras_json: null,
  derived: null,
});

export const sampleProcessed = (i = 0) => ({
  request_id: `req-${i}`,
  job_id: `job-${i}`,
  level: 'critical' as const,
  score: 0.91,
  source: 'gexbot',
  lineage: { file: 'fixtures/gexbot-classic-spx.json', sha256: 'ab'.repeat(32), index: i, batch: null },
  published_at_ms: 1777492800000 + i,
  prioritized_at_ms: 1777492800010 + i,
  processed_at_ms: 1777492800020 + i,
  quality_score: 0.97,
  snapshot: sampleSnapshot(),
});

// ---------------------------------------------------------------------------------------------------------------
// Columnar (v2) samples, one per snapshot kind, built by hand so they do not depend on the decoder.

/** Columns of `count` strikes from `from` in steps of 5; the named columns present, NaN where `holes` says. */
export const sampleColumns = (count: number, present: readonly StrikeColumnName[], opts: { priors?: boolean; holes?: boolean; from?: number } = {}): StrikeColumns => {
  const strike = Float64Array.from({ length: count }, (_, i) => (opts.from ?? 6800) + 5 * i);
  const columns = Object.fromEntries(STRIKE_COLUMNS.map((c, k) => {
    if (!present.includes(c)) return [c, null];
    return [c, Float64Array.from({ length: count }, (_, i) => (opts.holes && (i + k) % 7 === 3 ? NaN : Math.round((Math.sin(i * 0.37 + k) * 1e6 + k) * 1000) / 1000))];
  })) as { [K in StrikeColumnName]: Float64Array | null };
  if (!opts.priors) return { count, strike, columns, priorsValues: new Float64Array(0), priorsEnds: null };
  // row i has i % 6 priors (some rows none)
  const ends = new Int32Array(count);
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < i % 6; k++) values.push(-240.55 + i - k * 0.25);
    ends[i] = values.length;
  }
  return { count, strike, columns, priorsValues: Float64Array.from(values), priorsEnds: values.length > 0 ? ends : null };
};

const derived = { convention: 'dealer: call = gamma*OI*100*spot^2*0.01, puts negative', unit: 'USD per 1% move', net_gex: -1.5e9, net_gex_vol: 2.25, net_gex_oi: null, major_pos_vol: 7135, major_neg_vol: 7100, major_pos_oi: null, major_neg_oi: null, zero_gamma: 7112.95, total_call_oi: null, total_put_oi: null, total_volume: null, quality_score: 0.97, quality_notes: ['no open interest', 'ünïcode note ✓'] };

/** A columnar snapshot of `kind` with `count` strikes, shaped as that kind's input carries data. */
export const sampleColumnar = (kind: SnapshotKind, count = 5): ColumnarSnapshot => {
  const base: ColumnarSnapshot = {
    ticker: 'SPX', kind, category: 'zero', data_type: 'real_time', timestamp_ms: 1777492800000, spot: 7138.55, min_dte: 0, sec_min_dte: 1, zero_gamma: 7112.95,
    major_pos_vol: 7135, major_pos_oi: 7200, major_neg_vol: 7100, major_neg_oi: 6900, major_positive: null, major_negative: null, major_long_gamma: null, major_short_gamma: null,
    sum_gex_vol: 1712585.519, sum_gex_oi: 51521.105, net_gex_vol: null, net_gex_oi: null, delta_risk_reversal: 0.118, max_priors: null,
    strikes: sampleColumns(0, []), orderflow: null, extras_json: null, derived,
  };
  switch (kind) {
    case 'gexbot_classic':
      return { ...base, max_priors: { current: { strike: 7140, change: 170979.742 }, one: { strike: 7135, change: 1145886.722 }, five: null, ten: null, fifteen: null, thirty: null }, strikes: sampleColumns(count, ['gex_vol', 'gex_oi', 'net_gex'], { priors: true }) };
    case 'gexbot_state':
      return { ...base, category: 'gamma_zero', strikes: sampleColumns(count, ['gex_vol', 'gex_oi', 'call_oi', 'put_oi', 'net_gex'], { holes: true }), extras_json: '{"vendor_note":"x"}' };
    case 'gexbot_state_greek':
      return { ...base, category: 'delta_one', strikes: sampleColumns(count, ['value', 'extra_x', 'extra_y']) };
    case 'gexbot_majors':
      return { ...base, category: null, major_positive: 7150, major_negative: 7050, major_long_gamma: 7200, major_short_gamma: 7000, derived: null };
    case 'gexbot_maxchange':
      return { ...base, max_priors: { current: { strike: 7140, change: 1.5 }, one: { strike: 7135, change: -2.5 }, five: { strike: 7130, change: 3 }, ten: null, fifteen: { strike: 7120, change: NaN }, thirty: { strike: 7110, change: 0 } } };
    case 'gexbot_orderflow':
      return { ...base, data_type: 'historical', orderflow: { z_mlgamma: 1.25, z_msgamma: -3.5, 'ünïcode': 7 }, derived: null };
    case 'option_chain':
      return { ...base, ticker: 'QQQ', category: null, data_type: 'snapshot', min_dte: null, sec_min_dte: null, timestamp_ms: 4102444800000 - 1, strikes: sampleColumns(count, ['call_oi', 'put_oi', 'call_volume', 'put_volume', 'call_bid', 'call_ask', 'put_bid', 'put_ask', 'gamma', 'delta', 'theta', 'vega', 'call_ivol', 'put_ivol', 'call_gex', 'put_gex', 'net_gex'], { holes: true, from: 400 }) };
  }
};

/** A columnar snapshot as avsc takes and gives it: every column a plain array, priors_ends empty when there are none. */
export const avscColumnar = (s: ColumnarSnapshot): Record<string, unknown> => {
  const st = s.strikes;
  const strikes: Record<string, unknown> = { strike: Array.from(st.strike) };
  for (const c of STRIKE_COLUMNS) strikes[c] = st.columns[c] === null ? null : Array.from(st.columns[c] as Float64Array);
  strikes['priors_values'] = Array.from(st.priorsValues);
  strikes['priors_ends'] = st.priorsEnds === null ? [] : Array.from(st.priorsEnds);
  return { ...s, strikes };
};
