// Owns the variables a rule condition sees: their CEL types and documentation, the one CEL environment, and the activation of one message.
import { Environment } from '@marcbachmann/cel-js';
import type { SnapshotFacts } from './facts.js';

/** Longest accepted condition, in characters. */
export const MAX_CONDITION_LENGTH = 1000;
/** Largest accepted condition AST, in nodes (the default guidelines use under 40). */
export const MAX_CONDITION_NODES = 200;
/** Deepest accepted nesting of calls, selections and aggregates. */
export const MAX_CONDITION_DEPTH = 32;
/**
 * What a condition sees of the inputs is bounded, so that its static cost bound (conditionCost.ts) holds whatever
 * a publisher sends: strings are cut to INPUT_MAX_STRING characters, and at most INPUT_MAX_HEADERS headers are seen
 * (in name order; the gex-* headers come first). Real messages carry about ten headers of a few dozen characters.
 */
export const INPUT_MAX_STRING = 1024;
export const INPUT_MAX_HEADERS = 64;

/**
 * The flat activation of one message. Integers are CEL `int` (compare with `0`, not `0.0`), the rest `double`,
 * `string`, `bool`, or `map<string, string>`. Absent values read as the documented default, never as null,
 * so a condition never has to test for null.
 */
export const ACTIVATION_VARIABLES = [
  { name: 'ticker', type: 'string', doc: 'underlying, upper-case as published (SPX, NQ_NDX)' },
  { name: 'kind', type: 'string', doc: 'snapshot kind (gexbot_classic, option_chain, ...)' },
  { name: 'category', type: 'string', doc: 'vendor category (zero, one, full); "" if none' },
  { name: 'data_type', type: 'string', doc: 'real_time, snapshot (on demand) or historical' },
  { name: 'source', type: 'string', doc: 'source name; "" if unknown' },
  { name: 'spot', type: 'double', doc: 'underlying price; 0.0 if unknown' },
  { name: 'min_dte', type: 'int', doc: 'days to the nearest expiry; -1 if unknown' },
  { name: 'is_0dte', type: 'bool', doc: 'min_dte == 0' },
  { name: 'timestamp_ms', type: 'int', doc: 'snapshot time, UTC epoch ms' },
  { name: 'age_ms', type: 'int', doc: 'now - timestamp_ms, at least 0' },
  { name: 'et_minutes', type: 'int', doc: 'minutes since midnight America/New_York at the snapshot time' },
  { name: 'et_weekday', type: 'int', doc: 'day of week in New York at the snapshot time, 0 = Sunday ... 6 = Saturday' },
  { name: 'minutes_to_close', type: 'int', doc: 'whole minutes (rounded up) from the snapshot time to that day\'s close: 16:00 ET, 13:00 on early-close days (exchange calendar); <= 0 after the close; on a day without a session, to 16:00' },
  { name: 'is_regular_hours', type: 'bool', doc: 'snapshot time in the regular session: 09:30 <= t < 16:00 ET (13:00 on early-close days) on a trading day of the exchange calendar (no weekends, NYSE/Cboe holidays)' },
  { name: 'total_oi', type: 'double', doc: 'total call + put open interest; 0.0 if unknown' },
  { name: 'total_volume', type: 'double', doc: 'total call + put volume; 0.0 if unknown' },
  { name: 'net_gex_abs', type: 'double', doc: '|net GEX| in the snapshot unit; 0.0 if unknown' },
  { name: 'strike_count', type: 'int', doc: 'number of strike rows' },
  { name: 'reliability', type: 'double', doc: 'success ratio of the source; the configured default (0.9) if the source is unknown' },
  { name: 'market_event', type: 'string', doc: 'market-event flag (gex-market-event); "" if none' },
  { name: 'requested_level', type: 'string', doc: 'manually requested level (gex-requested-level); "" if none' },
  { name: 'headers', type: 'map<string, string>', doc: 'all message headers; test presence first: `"k" in headers && headers["k"] == "v"`' },
] as const;

export type ActivationVariable = (typeof ACTIVATION_VARIABLES)[number]['name'];

/** The values of one activation, as cel-js takes them (CEL ints as bigint). */
export interface Activation {
  readonly ticker: string;
  readonly kind: string;
  readonly category: string;
  readonly data_type: string;
  readonly source: string;
  readonly spot: number;
  readonly min_dte: bigint;
  readonly is_0dte: boolean;
  readonly timestamp_ms: bigint;
  readonly age_ms: bigint;
  readonly et_minutes: bigint;
  readonly et_weekday: bigint;
  readonly minutes_to_close: bigint;
  readonly is_regular_hours: boolean;
  readonly total_oi: number;
  readonly total_volume: number;
  readonly net_gex_abs: number;
  readonly strike_count: bigint;
  readonly reliability: number;
  readonly market_event: string;
  readonly requested_level: string;
  readonly headers: Readonly<Record<string, string>>;
}

let environment: Environment | null = null;

/**
 * The CEL environment of rule conditions: only the declared variables (an unknown name is a type error),
 * the standard CEL functions and macros, and no custom function. Built once; building is the costly part.
 */
export const ruleEnvironment = (): Environment => {
  if (environment === null) {
    const env = new Environment({
      unlistedVariablesAreDyn: false,
      enableOptionalTypes: false,
      limits: { maxAstNodes: MAX_CONDITION_NODES, maxDepth: MAX_CONDITION_DEPTH, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 },
    });
    for (const v of ACTIVATION_VARIABLES) env.registerVariable(v.name, v.type, { description: v.doc });
    environment = env;
  }
  return environment;
};

/** CEL int of a number; BigInt() throws on NaN and Infinity, which the facts never hold but the activation does not assume. */
const int = (x: number): bigint => (Number.isFinite(x) ? BigInt(Math.trunc(x)) : 0n);

const cut = (s: string): string => (s.length > INPUT_MAX_STRING ? s.slice(0, INPUT_MAX_STRING) : s);

/** Headers as CEL sees them: own string entries only, within the input bounds. */
const stringHeaders = (h: Readonly<Record<string, string>>): Readonly<Record<string, string>> => {
  let n = 0;
  let fits = true;
  for (const k in h) {
    const v = h[k];
    if (typeof v !== 'string' || v.length > INPUT_MAX_STRING || k.length > INPUT_MAX_STRING || ++n > INPUT_MAX_HEADERS) {
      fits = false;
      break;
    }
  }
  if (fits) return h;
  const entries = Object.entries(h).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0].length <= INPUT_MAX_STRING);
  const gex = (k: string): number => (k.startsWith('gex-') ? 0 : 1);
  entries.sort(([a], [b]) => gex(a) - gex(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.slice(0, INPUT_MAX_HEADERS).map(([k, v]) => [k, cut(v)]));
};

/** Built once per decision and shared by every rule. */
export const buildActivation = (f: SnapshotFacts): Activation => ({
  ticker: cut(f.ticker),
  kind: cut(f.kind),
  category: cut(f.category),
  data_type: cut(f.data_type),
  source: cut(f.source),
  spot: f.spot ?? 0,
  min_dte: f.min_dte === null ? -1n : int(f.min_dte),
  is_0dte: f.min_dte === 0,
  timestamp_ms: int(f.timestamp_ms),
  age_ms: int(f.age_ms),
  et_minutes: int(f.et.minutes),
  et_weekday: int(f.et.weekday),
  minutes_to_close: int(f.minutes_to_close),
  is_regular_hours: f.is_regular_hours,
  total_oi: f.total_oi ?? 0,
  total_volume: f.total_volume ?? 0,
  net_gex_abs: f.net_gex === null ? 0 : Math.abs(f.net_gex),
  strike_count: int(f.strike_count),
  reliability: f.reliability,
  market_event: cut(f.market_event),
  requested_level: cut(f.requested_level ?? ''),
  headers: stringHeaders(f.headers),
});
