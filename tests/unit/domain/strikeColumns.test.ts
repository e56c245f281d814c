// The column path: GEXBot rows straight into columns (nulls as NaN inside a present column, absent columns null, priors
// as values plus ends), errors with their exact paths, the hot path agreeing with the io-ts codec on every input, and the
// column helpers (row views, sorting, slab-carved storage).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeRaw, decodeValue } from '../../../src/domain/decode.js';
import { formatPathError } from '../../../src/domain/errors.js';
import { generatePayloads } from '../../../src/domain/generator.js';
import { gexbotClassic, gexbotState } from '../../../src/domain/gexbotCodecs.js';
import { readGexProfile } from '../../../src/domain/gexbotFast.js';
import { DEFAULT_LIMITS } from '../../../src/domain/limits.js';
import { blankStrike } from '../../../src/domain/snapshot.js';
import { STRIKE_COLUMNS, columnsOfRows, isStrictlyAscending, newDoubles, newInts, priorsAt, selectRows, sortedUnique, strikeRows } from '../../../src/domain/strikeColumns.js';
import { CASES } from './malformedCases.js';
import { OPTS, bytes, expectLeft, expectRight, fixture } from './support.js';

const RT = { dataType: 'real_time' as const };
const decode = (json: unknown, kind?: string) => expectRight(decodeValue(json, { ...RT, kind }, OPTS));
const errorsOf = (json: unknown, kind?: string) => expectLeft(decodeValue(json, { ...RT, kind }, OPTS)).map(formatPathError);

const Columns = suite('GEXBot rows to columns');

Columns('classic: strike, gex_vol, gex_oi and net_gex present, every other column absent (null)', () => {
  const s = decode({ ...fixture(), strikes: [[7100, 1.5, -2, [1, 2]], [7105, -3, 4, []]] });
  const k = s.strikes;
  assert.is(k.count, 2);
  assert.ok(k.strike instanceof Float64Array);
  assert.equal(Array.from(k.strike), [7100, 7105]);
  assert.equal(Array.from(k.columns.gex_vol ?? []), [1.5, -3]);
  assert.equal(Array.from(k.columns.gex_oi ?? []), [-2, 4]);
  assert.equal(Array.from(k.columns.net_gex ?? []), [-2, 4], 'net GEX per strike is the OI view');
  const absent = STRIKE_COLUMNS.filter((c) => k.columns[c] === null);
  assert.equal(absent, STRIKE_COLUMNS.filter((c) => !['gex_vol', 'gex_oi', 'net_gex'].includes(c)));
});

Columns('priors: one flat array and the end of each row (exclusive); no row with priors gives ends null', () => {
  const s = decode({ ...fixture(), strikes: [[7100, 1, 2, []], [7105, -1, 3, [1]], [7110, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], [7115, 1, 1, []]] });
  assert.equal(Array.from(s.strikes.priorsValues), [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(Array.from(s.strikes.priorsEnds ?? []), [0, 1, 11, 11]);
  assert.equal([0, 1, 2, 3].map((i) => priorsAt(s.strikes, i)), [[], [1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], []]);
  const none = decode({ ...fixture(), strikes: [[7100, 1, 2, []], [7105, -1, 3, []]] });
  assert.is(none.strikes.priorsEnds, null);
  assert.is(none.strikes.priorsValues.length, 0);
});

Columns('state profile: a vendor 0 in gex_oi is a null cell (NaN) inside the present column; all zeros leave the column absent', () => {
  const state = { ...fixture(), zero_gamma: 0, major_pos_oi: 0, major_neg_oi: 0, sum_gex_oi: 0 };
  const mixed = decode({ ...state, strikes: [[7100, -12.5, 0, []], [7135, 40.25, 3, []]] }, 'state');
  const oi = mixed.strikes.columns.gex_oi;
  assert.ok(oi !== null, 'a column with one value is present');
  assert.ok(Number.isNaN(oi[0]!), 'the vendor 0 is null (NaN)');
  assert.is(oi[1], 3);
  assert.equal(strikeRows(mixed.strikes).map((r) => r.gex_oi), [null, 3], 'the row view shows null');
  assert.equal(Array.from(mixed.strikes.columns.net_gex ?? []), [-12.5, 3], 'net GEX falls back to gex_vol where OI is null');
  const zeros = decode({ ...state, strikes: [[7100, -12.5, 0, []], [7135, 40.25, 0, []]] });
  assert.is(zeros.kind, 'gexbot_state');
  assert.is(zeros.strikes.columns.gex_oi, null);
});

Columns('greek and option-chain rows land in their own columns; a column no row fills is absent', () => {
  const greek = decode({ timestamp: 1777492800, ticker: 'NQ_NDX', spot: 25012.25, mini_contracts: [[24900, 0.21, 0.24, -152.5, [-150], null, null], [25000, 0.18, 0.2, 310.75, [], 1.5, null]] });
  assert.equal(Array.from(greek.strikes.columns.call_ivol ?? []), [0.21, 0.18]);
  assert.ok(Number.isNaN(greek.strikes.columns.extra_x?.[0] ?? 0), 'null in a present column is NaN');
  assert.is(greek.strikes.columns.extra_y, null, 'no row has extra_y');
  assert.is(greek.strikes.columns.gex_vol, null);
  const chain = decode({ ticker: 'SPX', timestamp: 1777492800, spot: 5000, strikes: [{ strike: 5000, call_oi: 10, put_oi: 20, gamma: 0.001 }, { strike: 5005, call_oi: 1, put_oi: 2, gamma: 0.002, call_bid: 1 }] });
  assert.equal(Array.from(chain.strikes.columns.call_oi ?? []), [10, 1]);
  assert.ok(Number.isNaN(chain.strikes.columns.call_bid?.[0] ?? 0) && chain.strikes.columns.call_bid?.[1] === 1);
  assert.is(chain.strikes.columns.vega, null);
  assert.ok(chain.strikes.columns.call_gex !== null && chain.strikes.columns.net_gex !== null, 'dealer GEX columns computed');
});

Columns.run();

const Errors = suite('column path errors');

Errors('bad cells are located by row and cell, every row checked, in row order', () => {
  const f = fixture();
  const rows = f['strikes'] as unknown[][];
  (rows[3] as unknown[])[1] = 'abc';
  (rows[1] as unknown[])[3] = [1, 'x', 3];
  (rows[2] as unknown[])[0] = -5;
  assert.equal(errorsOf(f), ['strikes[1][3][1]: expected number, got "x"', 'strikes[2][0]: expected a strike > 0, got -5', 'strikes[3][1]: expected number, got "abc"']);
});

Errors('bad rows and priors lists keep their messages', () => {
  const f = fixture();
  const rows = f['strikes'] as unknown[];
  rows[0] = [7000, 1, 2];
  rows[2] = [7010, 1, 2, 'none'];
  assert.equal(errorsOf(f), ['strikes[0]: expected [strike, gex_vol, gex_oi, [priors...]], got an array of 3', 'strikes[2][3]: expected an array of numbers (priors), got "none"']);
  const long = fixture();
  ((long['strikes'] as unknown[][])[1] as unknown[])[3] = Array.from({ length: DEFAULT_LIMITS.maxPriors + 1 }, () => 1);
  assert.equal(errorsOf(long), [`strikes[1][3]: expected at most ${DEFAULT_LIMITS.maxPriors} priors, got ${DEFAULT_LIMITS.maxPriors + 1}`]);
});

Errors('a lone option-chain row whose GEX overflows on both sides is refused, not kept as null cells', () => {
  const row = { strike: 5000, call_open_interest: 1e10, put_open_interest: 20, gamma: 1e300 };
  assert.equal(errorsOf({ ticker: 'SPX', timestamp: 1777492800, spot: 5000, strikes: [row] }), [
    'strikes[0].call_gex: the computed GEX overflows to Infinity (gamma x contracts x 100 x spot^2 x 0.01 must be a finite number)',
    'strikes[0].put_gex: the computed GEX overflows to -Infinity (gamma x contracts x 100 x spot^2 x 0.01 must be a finite number)',
    'strikes[0].net_gex: the computed GEX overflows to NaN (gamma x contracts x 100 x spot^2 x 0.01 must be a finite number)',
    'derived.net_gex: the computed value overflows to NaN (the inputs are too large to sum or interpolate as finite numbers)',
    'derived.net_gex_oi: the computed value overflows to NaN (the inputs are too large to sum or interpolate as finite numbers)',
  ]);
});

Errors('an envelope error and a cell error are both reported (the codec runs when the hot path refuses)', () => {
  const f: Record<string, unknown> = { ...fixture(), spot: -1 };
  ((f['strikes'] as unknown[][])[0] as unknown[])[2] = null;
  assert.equal(errorsOf(f), ['spot: expected a price > 0, got -1', 'strikes[0][2]: expected number, got null']);
});

Errors.run();

const Agree = suite('hot path and codec agree');

const codecs = { classic: gexbotClassic(DEFAULT_LIMITS), state: gexbotState(DEFAULT_LIMITS) };

/** The hot path gives exactly what the codec gives, or refuses exactly what it refuses. */
const agree = (o: Record<string, unknown>, what: string): void => {
  for (const codec of [codecs.classic, codecs.state]) {
    const slow = codec.decode(o);
    const fast = readGexProfile(o, codec.props.strikes);
    if (isLeft(slow)) assert.is(fast, null, `${what}: the codec refuses it, the hot path must too`);
    else {
      assert.ok(fast !== null, `${what}: the codec accepts it, the hot path must too`);
      // the codec passes unknown fields through (they go to extras_json); compare the fields it decodes
      const decoded = Object.fromEntries(Object.keys(codec.props).map((k) => [k, (slow.right as Record<string, unknown>)[k]]));
      assert.equal({ ...fast, strikes: strikeRows(fast.strikes) }, { ...decoded, strikes: strikeRows(slow.right.strikes) }, what);
    }
  }
};

Agree('on generated snapshots of a trading day', () => {
  for (const p of generatePayloads({ seed: 12, tickers: ['SPX', 'QQQ'], count: 60, strikes: 40 })) agree(p as Record<string, unknown>, 'generated');
});

Agree('on every malformed case that is a JSON object', () => {
  let n = 0;
  for (const c of CASES) {
    let o: unknown;
    try {
      o = 'value' in c.input ? c.input.value : JSON.parse('text' in c.input ? c.input.text : new TextDecoder().decode(c.input.raw));
    } catch {
      continue;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) continue;
    agree(o as Record<string, unknown>, c.name);
    n++;
  }
  assert.ok(n >= 30, `${n} cases compared`);
});

Agree('on fields at the edges of their rules', () => {
  const edges: Array<readonly [string, unknown]> = [
    ['min_dte', 2147483648], ['min_dte', -2147483647], ['min_dte', 1.5], ['min_dte', '1'], ['sec_min_dte', null],
    ['spot', Infinity], ['spot', Number.MIN_VALUE], ['spot', '7000'], ['zero_gamma', NaN], ['zero_gamma', undefined],
    ['max_priors', []], ['max_priors', [[1, 2], [3]]], ['max_priors', Array.from({ length: 7 }, () => [1, 2])], ['max_priors', [[1, Infinity]]],
    ['timestamp', '2026-04-29T20:00:00Z'], ['timestamp', 1777492800.5], ['timestamp', 1], ['ticker', 'spx'], ['ticker', 'A'.repeat(17)],
    ['strikes', [[1e-300, 0, -0, []]]], ['strikes', [[7000, 1, 2, [1e308, -1e308]]]], ['strikes', []], ['strikes', {}],
  ];
  for (const [k, v] of edges) agree({ ...fixture(), [k]: v }, `${k} = ${String(v)}`);
});

Agree('the bytes path gives the same snapshot as the parsed-value path', () => {
  const text = JSON.stringify(fixture());
  const a = expectRight(decodeRaw(bytes(text), RT, OPTS));
  const b = decode(JSON.parse(text));
  assert.equal({ ...a, strikes: strikeRows(a.strikes) }, { ...b, strikes: strikeRows(b.strikes) });
});

Agree.run();

const Helpers = suite('column helpers');

Helpers('columnsOfRows and strikeRows round-trip rows; a column is present when any row has a value', () => {
  const rows = [
    { ...blankStrike(10), gex_vol: 1, priors: [1, 2] },
    { ...blankStrike(20), gex_vol: null, call_bid: 0.5, priors: [] },
  ];
  const k = columnsOfRows(rows);
  assert.equal(strikeRows(k), rows);
  assert.is(k.columns.gex_oi, null);
  assert.ok(Number.isNaN(k.columns.gex_vol?.[1] ?? 0));
});

Helpers('sortedUnique sorts by strike, keeps the last row of a strike, and moves the priors with their rows', () => {
  const k = columnsOfRows([
    { ...blankStrike(30), gex_vol: 3, priors: [3] },
    { ...blankStrike(10), gex_vol: 1, priors: [1, 1] },
    { ...blankStrike(30), gex_vol: 33, priors: [] },
    { ...blankStrike(20), gex_vol: 2, priors: [2] },
  ]);
  assert.not.ok(isStrictlyAscending(k));
  const s = sortedUnique(k);
  assert.ok(isStrictlyAscending(s));
  assert.equal(strikeRows(s).map((r) => [r.strike, r.gex_vol, r.priors]), [[10, 1, [1, 1]], [20, 2, [2]], [30, 33, []]]);
  assert.equal(strikeRows(selectRows(k, [])), []);
});

Helpers('slab-carved arrays start zeroed, never overlap, and span slab boundaries', () => {
  const arrays: Array<Float64Array | Int32Array> = [];
  for (let i = 0; i < 400; i++) arrays.push(i % 3 === 0 ? newInts(37 + (i % 50)) : newDoubles(100 + (i % 7)));
  arrays.forEach((a, i) => assert.ok(a.every((x) => x === 0), `array ${i} zeroed`));
  arrays.forEach((a, i) => a.fill(i + 1));
  arrays.forEach((a, i) => assert.ok(a.every((x) => x === i + 1), `array ${i} kept its values`));
  const big = newDoubles(100_000);
  assert.is(big.length, 100_000);
  assert.is(big.byteOffset, 0, 'a large array has a buffer of its own');
});

Helpers.run();
