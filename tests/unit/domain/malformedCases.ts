// Owns the table of malformed payloads and the exact errors decoding must report; shared by the unit test and the
// through-Kafka dead-letter test.
import type { DecodeMeta } from '../../../src/domain/decode.js';
import { NOW_MS, fixture } from './support.js';

export type Input = { readonly text: string } | { readonly raw: Uint8Array } | { readonly value: unknown };

export interface Case {
  readonly name: string;
  readonly input: Input;
  readonly meta?: DecodeMeta;
  /** Every error, formatted, in order. */
  readonly expected: readonly string[];
}

export const RT: DecodeMeta = { dataType: 'real_time' };

/** The fixture with one change, as JSON text. */
const classic = (change: (f: Record<string, unknown>) => void): Input => {
  const f = fixture();
  change(f);
  return { text: JSON.stringify(f) };
};

const row = (f: Record<string, unknown>, i: number): unknown[] => (f['strikes'] as unknown[][])[i] as unknown[];

const chainRow = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  strike: 5000,
  call_open_interest: 10,
  put_open_interest: 20,
  call_volume: 1,
  put_volume: 2,
  call_bid: 1.1,
  call_ask: 1.2,
  put_bid: 2.1,
  put_ask: 2.2,
  gamma: 0.001,
  delta: 0.5,
  theta: -1,
  vega: 2,
  ...over,
});

const chain = (rows: unknown[], over: Record<string, unknown> = {}): Input => ({
  value: { ticker: 'SPX', timestamp: 1777492800, spot: 5000, strikes: rows, ...over },
});

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

const CLASSIC_ROW = '[strike, gex_vol, gex_oi, [priors...]]';
const TICKER_RULE = 'expected a ticker of 1-16 characters A-Z, 0-9, "_" or "."';
const TIME_RULE = 'expected epoch seconds, epoch milliseconds or an ISO-8601 time with a zone';

export const CASES: readonly Case[] = [
  // --- bytes and JSON text
  { name: 'truncated JSON', input: { text: '{"spot": 1' }, expected: ['$: invalid JSON at line 1, column 11 (position 10): unexpected end of input (1 unclosed bracket)'] },
  { name: 'truncated inside a string', input: { text: '{"ticker": "SP' }, expected: ['$: invalid JSON at line 1, column 15 (position 14): unterminated string'] },
  {
    name: 'truncated fixture',
    input: { text: '{\n  "timestamp": 1777492800,\n  "strikes": [\n    [6890,-228.01,' },
    expected: ['$: invalid JSON at line 4, column 19 (position 62): unexpected end of input (3 unclosed brackets)'],
  },
  { name: 'missing value, multi-line', input: { text: '{\n  "spot": 1,\n  "x": }' }, expected: ['$: invalid JSON at line 3, column 8 (position 22): expected a JSON value, got "}"'] },
  { name: 'NaN token', input: { text: '{"spot": NaN}' }, expected: ['$: invalid JSON at line 1, column 10 (position 9): NaN is not valid JSON (numbers must be finite)'] },
  { name: 'Infinity token', input: { text: '{"spot": Infinity}' }, expected: ['$: invalid JSON at line 1, column 10 (position 9): Infinity is not valid JSON (numbers must be finite)'] },
  { name: '-Infinity token', input: { text: '{"spot": -Infinity}' }, expected: ['$: invalid JSON at line 1, column 10 (position 9): Infinity is not valid JSON (numbers must be finite)'] },
  { name: 'trailing comma', input: { text: '{"spot": 1,}' }, expected: ["$: invalid JSON at line 1, column 12 (position 11): trailing comma before '}'"] },
  { name: 'single quotes', input: { text: "{'spot': 1}" }, expected: ['$: invalid JSON at line 1, column 2 (position 1): expected a double-quoted property name, got "\'"'] },
  { name: 'empty payload', input: { text: '' }, expected: ['$: invalid JSON at line 1, column 1 (position 0): empty input, expected a JSON value'] },
  { name: 'junk after the value', input: { text: '{} x' }, expected: ['$: invalid JSON at line 1, column 4 (position 3): unexpected "x" after the end of the JSON value'] },
  { name: 'non-UTF-8 byte', input: { raw: Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) }, expected: ['$: expected UTF-8 text, got an invalid byte 0xff at byte 2'] },
  { name: 'overlong UTF-8 encoding', input: { raw: Uint8Array.from([0x7b, 0x7d, 0x20, 0xc0, 0xaf]) }, expected: ['$: expected UTF-8 text, got an invalid byte 0xc0 at byte 3'] },
  { name: 'UTF-8-encoded surrogate', input: { raw: Uint8Array.from([0x22, 0xed, 0xa0, 0x80, 0x22]) }, expected: ['$: expected UTF-8 text, got an invalid byte 0xed at byte 1'] },
  { name: 'oversize (20 MB) payload', input: { raw: new Uint8Array(20 * 1024 * 1024).fill(0x20) }, expected: ['$: expected at most 1048576 bytes, got 20971520 (payload too large)'] },
  // --- the document
  { name: 'an array where one snapshot is expected', input: { value: [fixture(), fixture()] }, expected: ['$: expected a JSON object (one snapshot), got an array of 2'] },
  { name: 'a bare string', input: { text: '"hello"' }, expected: ['$: expected a JSON object (one snapshot), got "hello"'] },
  {
    name: 'no known shape',
    input: { value: { ticker: 'SPX', timestamp: 1777492800, note: 'hi' } },
    expected: ['$: expected a snapshot of a known shape (strikes, mini_contracts, mpos_*/mneg_*, current..thirty, or numeric orderflow fields), got none of them; pass a kind hint'],
  },
  // --- numbers
  { name: 'string for a number in a strike row', input: classic((f) => (row(f, 1)[1] = 'abc')), expected: ['strikes[1][1]: expected number, got "abc"'] },
  { name: 'string for the spot', input: classic((f) => (f['spot'] = '7138.55')), expected: ['spot: expected number, got "7138.55"'] },
  { name: 'null where a number is required', input: classic((f) => (row(f, 2)[2] = null)), expected: ['strikes[2][2]: expected number, got null'] },
  { name: 'null spot', input: classic((f) => (f['spot'] = null)), expected: ['spot: expected number, got null'] },
  { name: 'missing spot', input: classic((f) => delete f['spot']), expected: ['spot: expected number, got nothing'] },
  { name: 'zero spot', input: classic((f) => (f['spot'] = 0)), expected: ['spot: expected a price > 0, got 0'] },
  { name: 'NaN value (already parsed)', input: { value: { ...fixture(), spot: Number.NaN } }, expected: ['spot: expected a finite number, got NaN'] },
  { name: 'Infinity value (already parsed)', input: { value: { ...fixture(), sum_gex_vol: Infinity } }, expected: ['sum_gex_vol: expected a finite number, got Infinity'] },
  { name: 'number literal overflowing to Infinity', input: { text: JSON.stringify(fixture()).replace('"spot":7138.55', '"spot":1e400') }, expected: ['spot: expected a finite number, got Infinity'] },
  { name: 'string where number-or-null is allowed', input: classic((f) => (f['zero_gamma'] = 'n/a')), expected: ['zero_gamma: expected number or null, got "n/a"'] },
  { name: 'fractional days to expiry', input: classic((f) => (f['min_dte'] = 0.5)), expected: ['min_dte: expected an integer, got 0.5'] },
  // --- strikes
  { name: 'negative strike', input: classic((f) => (row(f, 0)[0] = -6890)), expected: ['strikes[0][0]: expected a strike > 0, got -6890'] },
  { name: 'zero strike', input: classic((f) => (row(f, 3)[0] = 0)), expected: ['strikes[3][0]: expected a strike > 0, got 0'] },
  { name: 'empty strikes', input: classic((f) => (f['strikes'] = [])), expected: ['strikes: expected at least one strike, got an empty array'] },
  { name: 'strikes not an array', input: classic((f) => (f['strikes'] = 'none')), expected: [`strikes: expected an array of ${CLASSIC_ROW} rows, got "none"`] },
  { name: 'row of 3 elements', input: classic((f) => (row(f, 2).length = 3)), expected: [`strikes[2]: expected ${CLASSIC_ROW}, got an array of 3`] },
  { name: 'row of 5 elements', input: classic((f) => row(f, 0).push(1)), expected: [`strikes[0]: expected ${CLASSIC_ROW}, got an array of 5`] },
  { name: 'row that is an object', input: classic((f) => ((f['strikes'] as unknown[])[1] = { strike: 1 })), expected: [`strikes[1]: expected ${CLASSIC_ROW}, got an object`] },
  {
    name: 'deeply nested junk as a row',
    input: { text: `{"timestamp":1777492800,"ticker":"SPX","spot":1,"strikes":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}` },
    expected: [`strikes[0]: expected ${CLASSIC_ROW}, got an array of 1`] },
  { name: 'priors not a list', input: classic((f) => (row(f, 0)[3] = 5)), expected: ['strikes[0][3]: expected an array of numbers (priors), got 5'] },
  { name: 'string inside priors', input: classic((f) => ((row(f, 1)[3] as unknown[])[2] = 'x')), expected: ['strikes[1][3][2]: expected number, got "x"'] },
  { name: 'too many priors', input: classic((f) => (row(f, 0)[3] = new Array(65).fill(1))), expected: ['strikes[0][3]: expected at most 64 priors, got 65'] },
  {
    name: 'too many strikes',
    input: classic((f) => (f['strikes'] = Array.from({ length: 5001 }, (_, i) => [1000 + i, 1, 1, []]))),
    expected: ['strikes: expected at most 5000 strikes, got 5001'],
  },
  {
    name: 'several bad cells are all reported, in order',
    input: classic((f) => {
      row(f, 0)[1] = 'abc';
      row(f, 3)[0] = -1;
      f['ticker'] = 'spx';
    }),
    expected: ['ticker: ' + TICKER_RULE + ', got "spx"', 'strikes[0][1]: expected number, got "abc"', 'strikes[3][0]: expected a strike > 0, got -1'],
  },
  // --- max_priors
  {
    name: 'seven max_priors pairs',
    input: classic((f) => (f['max_priors'] as unknown[]).push([7135, 1])),
    expected: ['max_priors: expected at most 6 [strike, change] pairs (current, 1, 5, 10, 15, 30 minutes), got 7'],
  },
  { name: 'max_priors pair of one', input: classic((f) => ((f['max_priors'] as unknown[])[1] = [7135])), expected: ['max_priors[1]: expected [strike, change], got an array of 1'] },
  { name: 'max_priors change as text', input: classic((f) => ((f['max_priors'] as unknown[][])[0] = [7140, 'big'])), expected: ['max_priors[0][1]: expected number, got "big"'] },
  // --- time
  {
    name: 'future timestamp beyond the clock skew',
    input: classic((f) => (f['timestamp'] = NOW_MS / 1000 + 3600)),
    expected: ['timestamp: expected a time no later than 2026-04-30T00:00:05.000Z (now + 5000 ms clock skew), got 2026-04-30T01:00:00.000Z, 3600 s in the future'],
  },
  {
    name: 'future timestamp is reported next to other errors',
    input: classic((f) => {
      f['timestamp'] = NOW_MS + 60_000;
      row(f, 0)[2] = 'x';
    }),
    expected: [
      'strikes[0][2]: expected number, got "x"',
      'timestamp: expected a time no later than 2026-04-30T00:00:05.000Z (now + 5000 ms clock skew), got 2026-04-30T00:01:00.000Z, 60 s in the future',
    ],
  },
  { name: 'timestamp as words', input: classic((f) => (f['timestamp'] = 'yesterday')), expected: [`timestamp: ${TIME_RULE}, got "yesterday"`] },
  { name: 'ISO timestamp without a zone', input: classic((f) => (f['timestamp'] = '2026-04-29T16:00:00')), expected: [`timestamp: ${TIME_RULE}, got "2026-04-29T16:00:00"`] },
  { name: 'impossible calendar date', input: classic((f) => (f['timestamp'] = '2026-02-31T16:00:00Z')), expected: ['timestamp: expected a valid calendar date and time, got "2026-02-31T16:00:00Z"'] },
  { name: 'negative timestamp', input: classic((f) => (f['timestamp'] = -5)), expected: ['timestamp: expected a time from 1990-01-01 to 2100-01-01 in epoch seconds or milliseconds, got -5 (1969-12-31T23:59:55.000Z as seconds, 1969-12-31T23:59:59.995Z as milliseconds)'] },
  // --- implausible times: refused instead of read as 1970 or, for seconds of the year 9999, as milliseconds of 1978
  { name: 'timestamp 1', input: classic((f) => (f['timestamp'] = 1)), expected: ['timestamp: expected a time from 1990-01-01 to 2100-01-01 in epoch seconds or milliseconds, got 1 (1970-01-01T00:00:01.000Z as seconds, 1970-01-01T00:00:00.001Z as milliseconds)'] },
  { name: 'epoch seconds of the year 9999', input: classic((f) => (f['timestamp'] = 253402300799)), expected: ['timestamp: expected a time from 1990-01-01 to 2100-01-01 in epoch seconds or milliseconds, got 253402300799 (9999-12-31T23:59:59.000Z as seconds, 1978-01-11T21:31:40.799Z as milliseconds)'] },
  { name: 'epoch microseconds', input: classic((f) => (f['timestamp'] = 1777492800000000)), expected: ['timestamp: expected epoch seconds or milliseconds, got 1777492800000000, which looks like epoch microseconds (2026-04-29T20:00:00.000Z)'] },
  { name: 'ISO time of 1900', input: classic((f) => (f['timestamp'] = '1900-01-01T00:00:00Z')), expected: ['timestamp: expected a time from 1990-01-01 to 2100-01-01, got "1900-01-01T00:00:00Z"'] },
  {
    name: 'GEXBot sums overflowing only once the processor sorts the strikes',
    input: classic((f) => (f['strikes'] = [[7135, 1.5e308, 1, []], [7140, -1.5e308, 1, []], [7100, 1.5e308, 1, []]])),
    expected: ['derived.net_gex_vol: the computed value overflows to Infinity (the inputs are too large to sum or interpolate as finite numbers), with the strikes sorted and de-duplicated', 'derived.quality_score: the computed value overflows to NaN (the inputs are too large to sum or interpolate as finite numbers), with the strikes sorted and de-duplicated'],
  },
  // --- duplicate keys: JSON.parse would silently keep the last one
  { name: 'duplicate top-level key', input: { text: JSON.stringify(fixture()).replace('"spot":', '"spot":1,"spot":') }, expected: ['spot: duplicate key "spot" (a JSON object may name a key once; JSON.parse would keep only the last value)'] },
  {
    name: 'duplicate key in an option-chain row',
    input: { text: JSON.stringify({ ticker: 'SPX', timestamp: 1777492800, spot: 5000, strikes: [chainRow(), chainRow()] }).replace(/("gamma":0\.001)(?![\s\S]*"gamma")/, '$1,"gamma":0.002') },
    expected: ['strikes[1].gamma: duplicate key "gamma" (a JSON object may name a key once; JSON.parse would keep only the last value)'],
  },
  // --- derived metrics that overflow: a validation error, never Infinity or NaN as data
  {
    name: 'option-chain GEX overflowing to Infinity',
    input: chain([chainRow({ gamma: 1e300, call_open_interest: 1e10 }), chainRow({ strike: 5025 })]),
    expected: ['strikes[0].call_gex: the computed GEX overflows to Infinity (gamma x contracts x 100 x spot^2 x 0.01 must be a finite number)', 'strikes[0].put_gex: the computed GEX overflows to -Infinity (gamma x contracts x 100 x spot^2 x 0.01 must be a finite number)', 'strikes[0].net_gex: the computed GEX overflows to NaN (gamma x contracts x 100 x spot^2 x 0.01 must be a finite number)', 'derived.net_gex: the computed value overflows to NaN (the inputs are too large to sum or interpolate as finite numbers)', 'derived.net_gex_vol: the computed value overflows to NaN (the inputs are too large to sum or interpolate as finite numbers)', 'derived.net_gex_oi: the computed value overflows to NaN (the inputs are too large to sum or interpolate as finite numbers)'],
  },
  {
    name: 'GEXBot sums overflowing to Infinity',
    input: classic((f) => (f['strikes'] = [[7100, 1.5e308, 1.5e308, []], [7135, 1.5e308, 1.5e308, []]])),
    expected: ['derived.net_gex: the computed value overflows to Infinity (the inputs are too large to sum or interpolate as finite numbers)', 'derived.net_gex_vol: the computed value overflows to Infinity (the inputs are too large to sum or interpolate as finite numbers)', 'derived.net_gex_oi: the computed value overflows to Infinity (the inputs are too large to sum or interpolate as finite numbers)', 'derived.quality_score: the computed value overflows to NaN (the inputs are too large to sum or interpolate as finite numbers)'],
  },
  { name: 'missing timestamp', input: classic((f) => delete f['timestamp']), expected: [`timestamp: ${TIME_RULE}, got nothing`] },
  // --- ticker
  { name: 'lower-case ticker', input: classic((f) => (f['ticker'] = 'spx')), expected: [`ticker: ${TICKER_RULE}, got "spx"`] },
  { name: 'ticker of 17 characters', input: classic((f) => (f['ticker'] = 'ABCDEFGHIJKLMNOPQ')), expected: [`ticker: ${TICKER_RULE}, got "ABCDEFGHIJKLMNOPQ"`] },
  { name: 'ticker with a space', input: classic((f) => (f['ticker'] = 'NQ NDX')), expected: [`ticker: ${TICKER_RULE}, got "NQ NDX"`] },
  { name: 'numeric ticker', input: classic((f) => (f['ticker'] = 123)), expected: ['ticker: expected string, got 123'] },
  { name: 'missing ticker', input: classic((f) => delete f['ticker']), expected: ['ticker: expected string, got nothing'] },
  // --- option chains
  { name: 'negative open interest', input: chain([chainRow(), chainRow({ strike: 5005, call_open_interest: -1 })]), expected: ['strikes[1].call_open_interest: expected open interest >= 0, got -1'] },
  { name: 'negative volume', input: chain([chainRow({ put_volume: -3 })]), expected: ['strikes[0].put_volume: expected volume >= 0, got -3'] },
  { name: 'negative bid', input: chain([chainRow({ call_bid: -0.5 })]), expected: ['strikes[0].call_bid: expected a price >= 0, got -0.5'] },
  { name: 'negative ask', input: chain([chainRow({ put_ask: -2 })]), expected: ['strikes[0].put_ask: expected a price >= 0, got -2'] },
  { name: 'negative strike_price', input: chain([{ ...chainRow(), strike: undefined, strike_price: -5 }]), expected: ['strikes[0].strike_price: expected a strike > 0, got -5'] },
  { name: 'gamma as text', input: chain([chainRow({ gamma: 'abc' })]), expected: ['strikes[0].gamma: expected number, got "abc"'] },
  { name: 'gamma missing', input: chain([chainRow({ gamma: undefined })]), expected: ['strikes[0].gamma: expected number, got nothing'] },
  { name: 'volume as text', input: chain([chainRow({ call_volume: '12' })]), expected: ['strikes[0].call_volume: expected volume >= 0 or null, got "12"'] },
  { name: 'row that is a number', input: chain([chainRow(), 5]), expected: ['strikes[1]: expected a strike object, got 5'] },
  { name: 'empty option chain', input: chain([]), expected: ['strikes: expected at least one strike, got an empty array'] },
  { name: 'chain without ticker or market_symbol', input: chain([chainRow()], { ticker: undefined }), expected: ['ticker: expected string (ticker or market_symbol), got nothing'] },
  { name: 'bad market_symbol', input: chain([chainRow()], { ticker: undefined, market_symbol: 'S&P' }), expected: [`market_symbol: ${TICKER_RULE}, got "S&P"`] },
  // --- other shapes
  {
    name: 'mini_contracts row of 5',
    input: { value: { timestamp: 1777492800, ticker: 'SPX', spot: 1, mini_contracts: [[1, 2, 3, 4, []]] } },
    expected: ['mini_contracts[0]: expected [strike, call_ivol, put_ivol, value, [priors...], x|null, y|null], got an array of 5'],
  },
  {
    name: 'mini_contracts x as text',
    input: { value: { timestamp: 1777492800, ticker: 'SPX', spot: 1, mini_contracts: [[1, 2, 3, 4, [], 'x', null]] } },
    expected: ['mini_contracts[0][5]: expected number or null, got "x"'],
  },
  { name: 'majors with text', input: { value: { timestamp: 1777492800, ticker: 'SPX', spot: 1, mpos_vol: 'high' } }, expected: ['mpos_vol: expected number or null, got "high"'] },
  { name: 'maxchange interval not a pair', input: { value: { timestamp: 1777492800, ticker: 'SPX', current: 7140, one: [1, 2] } }, expected: ['current: expected [strike, change], got 7140'] },
  { name: 'orderflow NaN (already parsed)', input: { value: { timestamp: 1777492800, ticker: 'SPX', agg: Number.NaN, net: 1 } }, expected: ['agg: expected a finite number, got NaN'] },
  { name: 'orderflow hinted but without numbers', input: { value: { timestamp: 1777492800, ticker: 'SPX', state: 'x' } }, meta: { dataType: 'real_time', kind: 'orderflow' }, expected: ['$: expected at least one numeric orderflow field besides timestamp and ticker, got none'] },
  // --- unknown fields and hints
  { name: 'deeply nested junk in an unknown field', input: classic((f) => (f['junk'] = nested(100))), expected: ['junk: expected a value nested at most 32 levels deep, got deeper nesting'] },
  {
    name: 'hinted kind that does not fit the payload',
    input: { text: JSON.stringify(fixture()) },
    meta: { dataType: 'real_time', kind: 'chain' },
    expected: ['strikes[0]: expected a strike object, got an array of 4', 'strikes[1]: expected a strike object, got an array of 4', 'strikes[2]: expected a strike object, got an array of 4', 'strikes[3]: expected a strike object, got an array of 4'],
  },
  {
    name: 'unknown kind hint',
    input: { text: JSON.stringify(fixture()) },
    meta: { dataType: 'real_time', kind: 'weekly' },
    expected: [
      'meta.kind: expected one of gexbot_classic, gexbot_state, gexbot_state_greek, gexbot_majors, gexbot_maxchange, gexbot_orderflow, option_chain, an alias (classic, state, greek, majors, maxchange, orderflow, chain) or a category (full, zero, one, gex_zero, gamma_zero, ...), got "weekly"',
    ],
  },
  { name: 'bad data type', input: { text: JSON.stringify(fixture()) }, meta: { dataType: 'live' as never }, expected: ['meta.data_type: expected real_time, historical or snapshot, got "live"'] },
];

/** The bytes a case would be published as. */
export const caseBytes = (input: Input): Uint8Array => ('text' in input ? new TextEncoder().encode(input.text) : 'raw' in input ? input.raw : new TextEncoder().encode(JSON.stringify(input.value)));
