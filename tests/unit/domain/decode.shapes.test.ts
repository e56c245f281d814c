// Every accepted input shape decodes to the canonical snapshot with the expected values, and avsc can encode it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeEach, decodeRaw, decodeValue, type DecodeMeta } from '../../../src/domain/decode.js';
import { formatPathError } from '../../../src/domain/errors.js';
import { toIsoJson } from '../../../src/domain/isoJson.js';
import type { CanonicalSnapshot } from '../../../src/domain/snapshot.js';
import { STRIKE_COLUMNS } from '../../../src/domain/strikeColumns.js';
import { OPTS, assertAvro, bytes, closeTo, expectLeft, expectRight, fixture, fixtureText, rowsOf } from './support.js';

const RT: DecodeMeta = { dataType: 'real_time' };
const decode = (json: unknown, meta: DecodeMeta = RT): CanonicalSnapshot => {
  const s = expectRight(decodeValue(json, meta, OPTS));
  assertAvro(s);
  return s;
};

// ---------------------------------------------------------------------------------------------------------------
const Classic = suite('GEXBot classic');

Classic('the fixture decodes from bytes to the vendor values, renamed', () => {
  const s = expectRight(decodeRaw(bytes(fixtureText()), RT, OPTS));
  assertAvro(s);
  assert.is(s.ticker, 'SPX');
  assert.is(s.kind, 'gexbot_classic');
  assert.is(s.category, null);
  assert.is(s.data_type, 'real_time');
  assert.is(s.timestamp_ms, 1777492800000);
  assert.is(s.spot, 7138.55);
  assert.is(s.min_dte, 0);
  assert.is(s.sec_min_dte, 1);
  assert.is(s.zero_gamma, 7112.95);
  assert.equal([s.major_pos_vol, s.major_pos_oi, s.major_neg_vol, s.major_neg_oi], [7135, 7200, 7100, 6900]);
  assert.equal([s.sum_gex_vol, s.sum_gex_oi, s.delta_risk_reversal], [1712585.519, 51521.105, 0.118]);
  assert.equal([s.major_positive, s.net_gex_vol, s.orderflow, s.extras_json], [null, null, null, null]);
  assert.is(s.strikes.count, 4);
  const first = rowsOf(s)[0];
  assert.equal(
    first && [first.strike, first.gex_vol, first.gex_oi, first.priors, first.net_gex, first.call_oi, first.gamma],
    [6890, -228.01, -86.9, [-240.55, -243.15, -245.22, -221.27, -220.12], -86.9, null, null],
  );
  assert.equal(rowsOf(s)[3]?.priors, [0, 0, 0, 0, 0]);
  assert.equal(s.max_priors, {
    current: { strike: 7140, change: 170979.742 },
    one: { strike: 7135, change: 1145886.722 },
    five: { strike: 7135, change: 997473.336 },
    ten: { strike: 7135, change: 1106210.715 },
    fifteen: { strike: 7135, change: 1128504.809 },
    thirty: { strike: 7135, change: 1131150.488 },
  });
  assert.ok(s.derived !== null, 'derived is filled on decode');
});

Classic('a leading UTF-8 byte-order mark is accepted', () => {
  const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(fixtureText())]);
  assert.is(expectRight(decodeRaw(withBom, RT, OPTS)).spot, 7138.55);
});

Classic('max_priors of 0 to 6 pairs fill the intervals in order; none gives null', () => {
  const pairs = fixture()['max_priors'] as number[][];
  const intervals = ['current', 'one', 'five', 'ten', 'fifteen', 'thirty'] as const;
  for (let k = 0; k <= 6; k++) {
    const s = decode({ ...fixture(), max_priors: pairs.slice(0, k) });
    if (k === 0) {
      assert.is(s.max_priors, null);
      continue;
    }
    intervals.forEach((name, i) => {
      const expected = i < k ? { strike: pairs[i]?.[0], change: pairs[i]?.[1] } : null;
      assert.equal(s.max_priors?.[name], expected, `${k} pairs, ${name}`);
    });
  }
  assert.is(decode({ ...fixture(), max_priors: null }).max_priors, null);
  const { max_priors: _dropped, ...withoutMaxPriors } = fixture();
  assert.is(decode(withoutMaxPriors).max_priors, null);
});

Classic('priors lists of any length, including empty, are kept as given', () => {
  const s = decode({ ...fixture(), strikes: [[7100, 1, 2, []], [7105, -1, 3, [1]], [7110, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]] });
  assert.equal(
    rowsOf(s).map((r) => r.priors),
    [[], [1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
  );
});

Classic('unknown top-level fields are kept in extras_json, never fatal', () => {
  const s = decode({ ...fixture(), vendor_note: 'beta', debug: { a: [1, 2], b: null }, __proto__x: 1 });
  assert.equal(JSON.parse(s.extras_json ?? 'null'), { vendor_note: 'beta', debug: { a: [1, 2], b: null }, __proto__x: 1 });
  const proto = decodeRaw(bytes(fixtureText().replace('{', '{"__proto__": {"polluted": true},')), RT, OPTS);
  const p = expectRight(proto);
  assert.equal(JSON.parse(p.extras_json ?? 'null'), { ['__proto__']: { polluted: true } });
  assert.is(({} as Record<string, unknown>)['polluted'], undefined);
});

Classic('ints and floats alike; epoch milliseconds are told from seconds', () => {
  const s = decode({ ...fixture(), spot: 7138, timestamp: 1777492800000, zero_gamma: 7112 });
  assert.equal([s.spot, s.zero_gamma, s.timestamp_ms], [7138, 7112, 1777492800000]);
  assert.is(decode({ ...fixture(), timestamp: 1777492800.25 }).timestamp_ms, 1777492800250);
});

Classic('optional vendor fields may be absent or null: they become null', () => {
  const f = fixture();
  for (const k of ['zero_gamma', 'sum_gex_oi', 'delta_risk_reversal', 'min_dte']) delete f[k];
  const s = decode({ ...f, major_pos_oi: null });
  assert.equal([s.zero_gamma, s.sum_gex_oi, s.delta_risk_reversal, s.min_dte, s.major_pos_oi], [null, null, null, null, null]);
});

Classic('kind and category hints: aliases, categories and the vendor file-name form', () => {
  const cases: Array<[DecodeMeta, string, string | null]> = [
    [{ dataType: 'historical', kind: 'classic' }, 'gexbot_classic', null],
    [{ dataType: 'historical', kind: 'zero' }, 'gexbot_classic', 'zero'],
    [{ dataType: 'historical', kind: 'gexbot_classic', category: 'Full' }, 'gexbot_classic', 'full'],
    [{ dataType: 'historical', kind: 'classic_gex_zero' }, 'gexbot_classic', 'gex_zero'],
    [{ dataType: 'historical', kind: 'classic/one' }, 'gexbot_classic', 'one'],
  ];
  for (const [meta, kind, category] of cases) {
    const s = decode(fixture(), meta);
    assert.equal([s.kind, s.category, s.data_type], [kind, category, 'historical'], JSON.stringify(meta));
  }
});

Classic('toIsoJson renders the time as ISO-8601 and keeps every field', () => {
  const s = decode(fixture());
  const j = toIsoJson(s);
  assert.is(j.timestamp, '2026-04-29T20:00:00.000Z');
  assert.is(Object.keys(j)[0], 'timestamp');
  assert.is(j.timestamp_ms, s.timestamp_ms);
  assert.equal(j.strikes, rowsOf(s));
});

Classic.run();

// ---------------------------------------------------------------------------------------------------------------
const State = suite('GEXBot state profiles');

const stateProfile = (): Record<string, unknown> => ({
  ...fixture(),
  zero_gamma: 0,
  major_pos_oi: 0,
  major_neg_oi: 0,
  sum_gex_oi: 0,
  strikes: [[7100, -12.5, 0, [-11, -10]], [7135, 40.25, 0, []], [7140, 8, 0, [7]]],
});

State('selected by the hint; the vendor 0 for OI fields and zero_gamma becomes null', () => {
  const s = decode(stateProfile(), { dataType: 'real_time', kind: 'state' });
  assert.is(s.kind, 'gexbot_state');
  assert.equal([s.zero_gamma, s.major_pos_oi, s.major_neg_oi, s.sum_gex_oi], [null, null, null, null]);
  assert.equal(rowsOf(s).map((r) => r.gex_oi), [null, null, null]);
  assert.equal(rowsOf(s).map((r) => r.gex_vol), [-12.5, 40.25, 8]);
  assert.equal([s.major_pos_vol, s.major_neg_vol, s.sum_gex_vol], [7135, 7100, 1712585.519]);
  // Volume-only: net GEX per strike falls back to gex_vol, and the OI view stays empty.
  assert.equal(rowsOf(s).map((r) => r.net_gex), [-12.5, 40.25, 8]);
  assert.is(s.derived?.net_gex_oi, null);
  closeTo(s.derived?.net_gex_vol, 35.75, 1e-12, 'net_gex_vol');
  // Cumulative: -12.5, 27.75 -> crosses between 7100 and 7135 at 7100 + 35 * 12.5 / 40.25.
  closeTo(s.derived?.zero_gamma, 7100 + (35 * 12.5) / 40.25, 1e-12, 'zero_gamma');
});

State('recognised by content without a hint: every OI field, zero gamma and every strike OI column is 0', () => {
  const s = decode(stateProfile());
  assert.is(s.kind, 'gexbot_state');
  assert.equal([s.zero_gamma, s.major_pos_oi, s.major_neg_oi, s.sum_gex_oi], [null, null, null, null], 'the vendor zeros are not data');
  assert.equal(rowsOf(s).map((r) => r.gex_oi), [null, null, null]);
  assert.equal(decode(stateProfile(), { dataType: 'real_time', category: 'zero' }).kind, 'gexbot_state', 'a category hint alone still detects');
});

State('not a state profile: one strike with OI, one OI field set, or an explicit classic hint keeps the zeros', () => {
  const oneRow = stateProfile();
  (oneRow['strikes'] as unknown[][])[1] = [7135, 40.25, 3, []];
  assert.is(decode(oneRow).kind, 'gexbot_classic');
  assert.is(decode({ ...stateProfile(), sum_gex_oi: 12 }).kind, 'gexbot_classic');
  const hinted = decode(stateProfile(), { dataType: 'real_time', kind: 'classic' });
  assert.is(hinted.kind, 'gexbot_classic');
  assert.equal([hinted.zero_gamma, hinted.sum_gex_oi], [0, 0]);
});

State('non-zero OI values in a state profile are data and are kept', () => {
  const s = decode({ ...stateProfile(), major_pos_oi: 7140, strikes: [[7140, 1, 2.5, []]] }, { dataType: 'real_time', kind: 'gexbot_state' });
  assert.equal([s.major_pos_oi, rowsOf(s)[0]?.gex_oi], [7140, 2.5]);
});

State.run();

// ---------------------------------------------------------------------------------------------------------------
const Greek = suite('GEXBot state greek profiles');

const greekProfile = (): Record<string, unknown> => ({
  timestamp: 1777492800,
  ticker: 'NQ_NDX',
  spot: 25012.25,
  min_dte: 0,
  sec_min_dte: 1,
  major_positive: 25000,
  major_negative: 24900,
  major_long_gamma: 25100,
  major_short_gamma: 24950,
  mini_contracts: [
    [24900, 0.21, 0.24, -152.5, [-150, -149.5], null, null],
    [25000, 0.18, 0.2, 310.75, [], 1.5, -2],
  ],
});

Greek('detected by mini_contracts; rows map to strike, call_ivol, put_ivol, value, priors, extra_x, extra_y', () => {
  const s = decode(greekProfile());
  assert.is(s.kind, 'gexbot_state_greek');
  assert.equal([s.major_positive, s.major_negative, s.major_long_gamma, s.major_short_gamma], [25000, 24900, 25100, 24950]);
  const [a, b] = rowsOf(s);
  assert.equal(a && [a.strike, a.call_ivol, a.put_ivol, a.value, a.priors, a.extra_x, a.extra_y], [24900, 0.21, 0.24, -152.5, [-150, -149.5], null, null]);
  assert.equal(b && [b.strike, b.call_ivol, b.put_ivol, b.value, b.priors, b.extra_x, b.extra_y], [25000, 0.18, 0.2, 310.75, [], 1.5, -2]);
  assert.equal([a?.gex_vol, a?.net_gex, s.derived?.net_gex], [null, null, null]);
});

Greek('"state" plus a greek category selects the greek shape', () => {
  const s = decode(greekProfile(), { dataType: 'real_time', kind: 'state/gamma_zero' });
  assert.equal([s.kind, s.category], ['gexbot_state_greek', 'gamma_zero']);
  assert.equal(decode(greekProfile(), { dataType: 'real_time', kind: 'greek', category: 'delta_one' }).category, 'delta_one');
});

Greek.run();

// ---------------------------------------------------------------------------------------------------------------
const Small = suite('GEXBot majors, maxchange, orderflow');

Small('majors map mpos/mneg/net fields onto the canonical names', () => {
  const s = decode({
    timestamp: 1777492800,
    ticker: 'ES_SPX',
    spot: 7160.5,
    mpos_vol: 7175,
    mpos_oi: 7200,
    mneg_vol: 7100,
    mneg_oi: 7000,
    zero_gamma: 7120.4,
    net_gex_vol: -1523.2,
    net_gex_oi: 8877,
  });
  assert.is(s.kind, 'gexbot_majors');
  assert.equal(
    [s.major_pos_vol, s.major_pos_oi, s.major_neg_vol, s.major_neg_oi, s.zero_gamma, s.net_gex_vol, s.net_gex_oi, s.spot],
    [7175, 7200, 7100, 7000, 7120.4, -1523.2, 8877, 7160.5],
  );
  assert.equal(s.strikes.count, 0);
  assert.ok(STRIKE_COLUMNS.every((c) => s.strikes.columns[c] === null) && s.strikes.priorsEnds === null, "no strike rows: every column absent");
  assert.is(s.derived?.zero_gamma, null);
  assert.is(s.derived?.quality_score, 1);
});

Small('maxchange maps current..thirty onto max_priors; missing intervals are null', () => {
  const s = decode({ timestamp: 1777492800, ticker: 'SPX', current: [7140, 170979.742], one: [7135, -11.5], thirty: [7100, 3] });
  assert.is(s.kind, 'gexbot_maxchange');
  assert.equal(s.max_priors, {
    current: { strike: 7140, change: 170979.742 },
    one: { strike: 7135, change: -11.5 },
    five: null,
    ten: null,
    fifteen: null,
    thirty: { strike: 7100, change: 3 },
  });
  assert.is(s.spot, null);
  const hinted = decode({ timestamp: 1777492800, ticker: 'SPX', current: [7140, 1] }, { dataType: 'snapshot', kind: 'maxchange' });
  assert.equal(hinted.max_priors?.current, { strike: 7140, change: 1 });
});

Small('orderflow keeps its numeric fields as the map, the others in extras_json', () => {
  const s = decode({ timestamp: 1777492800, ticker: 'SPX', spot: 7138.5, zero_agg: 12.5, one_net: -3, state: 'open', flags: [1] });
  assert.is(s.kind, 'gexbot_orderflow');
  assert.equal(s.orderflow, { spot: 7138.5, zero_agg: 12.5, one_net: -3 });
  assert.is(s.spot, 7138.5);
  assert.equal(JSON.parse(s.extras_json ?? 'null'), { state: 'open', flags: [1] });
});

Small.run();

// ---------------------------------------------------------------------------------------------------------------
const Chain = suite('option-chain snapshots (seed model)');

const chainRow = (strike: number, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  strike,
  call_open_interest: 1200,
  put_open_interest: 800,
  call_volume: 300,
  put_volume: 150,
  call_bid: 12.1,
  call_ask: 12.4,
  put_bid: 9.8,
  put_ask: 10.1,
  gamma: 0.0021,
  delta: 0.52,
  theta: -3.2,
  vega: 4.4,
  ...over,
});

Chain('seed-model names map to the canonical strike columns; per-strike dealer GEX is computed', () => {
  const spot = 5012.5;
  const s = decode({ market_symbol: 'SPX', timestamp: '2026-04-29T16:00:00-04:00', spot, strikes: [chainRow(5000), chainRow(5025, { gamma: 0.0019 })] });
  assert.equal([s.kind, s.ticker, s.timestamp_ms], ['option_chain', 'SPX', 1777492800000]);
  const r = rowsOf(s)[0];
  assert.equal(
    r && [r.strike, r.call_oi, r.put_oi, r.call_volume, r.put_volume, r.call_bid, r.call_ask, r.put_bid, r.put_ask, r.gamma, r.delta, r.theta, r.vega],
    [5000, 1200, 800, 300, 150, 12.1, 12.4, 9.8, 10.1, 0.0021, 0.52, -3.2, 4.4],
  );
  // Independent arithmetic: $ gamma per 1% = gamma * OI * 100 * S^2 / 100.
  const perContract = (0.0021 * spot * spot * 100) / 100;
  closeTo(r?.call_gex, 1200 * perContract, 1e-12, 'call_gex');
  closeTo(r?.put_gex, -800 * perContract, 1e-12, 'put_gex');
  closeTo(r?.net_gex, 400 * perContract, 1e-12, 'net_gex');
  assert.equal([r?.gex_vol, r?.gex_oi, r?.priors], [null, null, []]);
});

Chain('timestamps as epoch seconds, epoch ms and ISO-8601 agree; ticker or market_symbol', () => {
  const base = { spot: 100, strikes: [chainRow(100)] };
  const times = [1777492800, 1777492800000, '2026-04-29T20:00:00Z', '2026-04-29T20:00:00.000+00:00', '2026-04-29 16:00:00-0400'];
  for (const timestamp of times) assert.is(decode({ ticker: 'SPY', timestamp, ...base }).timestamp_ms, 1777492800000, String(timestamp));
  assert.is(decode({ market_symbol: 'QQQ', timestamp: 1777492800, ...base }).ticker, 'QQQ');
});

Chain('strike_price and call_oi/put_oi aliases; optional columns may be absent', () => {
  const s = decode({
    ticker: 'SPX',
    timestamp: 1777492800,
    spot: 5000,
    strikes: [{ strike_price: 5000, call_oi: 10, put_oi: 0, gamma: 0.001 }],
  });
  const r = rowsOf(s)[0];
  assert.equal(r && [r.strike, r.call_oi, r.put_oi, r.call_volume, r.call_bid, r.delta], [5000, 10, 0, null, null, null]);
  assert.ok((s.derived?.quality_notes ?? []).some((n) => n.startsWith('strike rows missing: call_volume (1)')));
});

Chain('unknown row and top-level fields are kept in extras_json under their path', () => {
  const s = decode({
    ticker: 'SPX',
    timestamp: 1777492800,
    spot: 5000,
    snapshot_id: 'abc',
    strikes: [chainRow(5000, { iv: 0.2 }), chainRow(5005, { strike_price: 5005 })],
  });
  assert.equal(JSON.parse(s.extras_json ?? 'null'), { snapshot_id: 'abc', 'strikes[0].iv': 0.2, 'strikes[1].strike_price': 5005 });
});

Chain.run();

// ---------------------------------------------------------------------------------------------------------------
const History = suite('history files (arrays of snapshots)');

History('decodeEach decodes element by element and locates errors under [i]', () => {
  const bad = { ...fixture(), strikes: [[6890, 'abc', 1, []]] };
  const results = decodeEach([fixture(), bad, fixture()], { dataType: 'historical', kind: 'classic_gex_zero' }, OPTS);
  assert.equal(results.map((r) => r._tag), ['Right', 'Left', 'Right']);
  assert.equal(expectLeft(results[1] as never).map(formatPathError), ['[1].strikes[0][1]: expected number, got "abc"']);
  assert.equal(decodeEach(fixture(), RT, OPTS).length, 1);
});

History.run();
