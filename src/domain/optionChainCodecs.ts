// Owns the io-ts codec of option-chain snapshots in the seed data model (GEXSnapshot with GEXStrike rows).
import * as t from 'io-ts';
import { describeValue } from './errors.js';
import { EpochTime, PositivePrice, TICKER_PATTERN, nonNegativeIssue, numberIssue, nullableNumberIssue, positiveIssue, tickerIssue } from './fieldCodecs.js';
import { DEFAULT_LIMITS, type DecodeLimits } from './limits.js';
import { RowProblems } from './rowProblems.js';
import { blankStrike, type Strike } from './snapshot.js';

type Rule = 'strike' | 'open interest' | 'volume' | 'price' | 'greek';

interface ChainColumn {
  /** Canonical field. */
  readonly field: keyof Strike;
  /** Accepted input names, preferred first. */
  readonly names: readonly string[];
  readonly rule: Rule;
  readonly required: boolean;
}

/** The seed model's GEXStrike columns; gamma and open interest are required because GEX is computed from them. */
export const CHAIN_COLUMNS: readonly ChainColumn[] = [
  { field: 'strike', names: ['strike', 'strike_price'], rule: 'strike', required: true },
  { field: 'call_oi', names: ['call_open_interest', 'call_oi'], rule: 'open interest', required: true },
  { field: 'put_oi', names: ['put_open_interest', 'put_oi'], rule: 'open interest', required: true },
  { field: 'call_volume', names: ['call_volume'], rule: 'volume', required: false },
  { field: 'put_volume', names: ['put_volume'], rule: 'volume', required: false },
  { field: 'call_bid', names: ['call_bid'], rule: 'price', required: false },
  { field: 'call_ask', names: ['call_ask'], rule: 'price', required: false },
  { field: 'put_bid', names: ['put_bid'], rule: 'price', required: false },
  { field: 'put_ask', names: ['put_ask'], rule: 'price', required: false },
  { field: 'gamma', names: ['gamma'], rule: 'greek', required: true },
  { field: 'delta', names: ['delta'], rule: 'greek', required: false },
  { field: 'theta', names: ['theta'], rule: 'greek', required: false },
  { field: 'vega', names: ['vega'], rule: 'greek', required: false },
];

const columnIssue = (u: unknown, col: ChainColumn): string | null => {
  switch (col.rule) {
    case 'strike':
      return positiveIssue(u, 'a strike');
    case 'open interest':
    case 'volume':
      return nonNegativeIssue(u, col.rule, !col.required);
    case 'price':
      return nonNegativeIssue(u, 'a price', true);
    case 'greek':
      return col.required ? numberIssue(u) : nullableNumberIssue(u);
    default: {
      const never: never = col.rule;
      return never;
    }
  }
};

const isPlainObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** The input name a row uses for a column: the first one present, else the preferred one. */
const nameIn = (row: Record<string, unknown>, col: ChainColumn): string => {
  for (const n of col.names) if (row[n] !== undefined) return n;
  return col.names[0] as string;
};

export const optionChainRows = (limits: DecodeLimits) =>
  new t.Type<Strike[], Strike[], unknown>(
    'option-chain strike rows',
    (u): u is Strike[] => Array.isArray(u),
    (u, c) => {
      if (!Array.isArray(u)) return t.failure(u, c, `expected an array of strike objects, got ${describeValue(u)}`);
      if (u.length === 0) return t.failure(u, c, 'expected at least one strike, got an empty array');
      if (u.length > limits.maxStrikes) return t.failure(u, c, `expected at most ${limits.maxStrikes} strikes, got ${u.length}`);
      const problems = new RowProblems(c, limits.maxErrors + 1);
      const out: Strike[] = [];
      for (let i = 0; i < u.length && !problems.full; i++) {
        const row: unknown = u[i];
        if (!isPlainObject(row)) {
          problems.add(row, [i], `expected a strike object, got ${describeValue(row)}`);
          continue;
        }
        const s = blankStrike(0);
        for (const col of CHAIN_COLUMNS) {
          const name = nameIn(row, col);
          const v = row[name];
          const issue = columnIssue(v, col);
          if (issue !== null) problems.add(v, [i, name], issue);
          else (s as unknown as Record<string, unknown>)[col.field] = v === undefined ? null : v;
        }
        if (!problems.any) out.push(s);
      }
      return problems.any ? t.failures(problems.errors) : t.success(out);
    },
    t.identity,
  );

/** `ticker` or the seed model's `market_symbol`; whichever is present, ticker preferred. */
export const ChainSymbol = new t.Type<string, string, unknown>(
  'ticker',
  (u): u is string => typeof u === 'string' && TICKER_PATTERN.test(u),
  (u, c) => {
    const issue = tickerIssue(u);
    return issue === null ? t.success(u as string) : t.failure(u, c, issue);
  },
  t.identity,
);

export const optionChain = (limits: DecodeLimits) =>
  t.type({ timestamp: EpochTime, spot: PositivePrice, strikes: optionChainRows(limits) }, 'option-chain snapshot');

export const OptionChain = optionChain(DEFAULT_LIMITS);
export type OptionChain = t.TypeOf<typeof OptionChain>;

/** Input names the chain decoder reads at the top level; anything else goes to extras_json. */
export const OPTION_CHAIN_KEYS: readonly string[] = ['ticker', 'market_symbol', 'timestamp', 'spot', 'strikes'];

/** Row keys the chain decoder reads; the others of a row go to extras_json under their path. */
export const CHAIN_ROW_KEYS: ReadonlySet<string> = new Set(CHAIN_COLUMNS.flatMap((c) => c.names));
