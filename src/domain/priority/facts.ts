// Owns what a decision reads from one message: the snapshot's totals, its market-time position and its metadata, computed once.
import { H } from '../headers.js';
import type { CanonicalSnapshot } from '../snapshot.js';
import type { StrikeColumns } from '../strikeColumns.js';
import { easternTime, isRegularHours, minutesToClose, type EasternTime } from '../marketTime.js';
import { WEEKDAYS_ONLY, type ExchangeCalendar } from '../calendar.js';
import { isLevel, type Level } from './level.js';
import { clamp01 } from './score.js';

/** The part of io.gexstream.SourceStats the scorer reads; a full SourceStats record fits. */
export interface SourceStatsView {
  readonly reliability: number;
  readonly ema_latency_ms: number;
}

/** One message to prioritize: the decoded snapshot and what came with it. */
export interface PriorityInput {
  readonly snapshot: CanonicalSnapshot;
  /** The source's name (e.g. the gex-source header); '' when unknown. */
  readonly source?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The source's current stats; absent or null when the source is not known yet. */
  readonly sourceStats?: SourceStatsView | null;
  /** |net GEX| is scored against this recent range of the ticker's net GEX when given, else against the reference scale. */
  readonly recentNetGexRange?: { readonly min: number; readonly max: number } | null;
  /** Manual override; when absent the gex-requested-level header is read. */
  readonly requestedLevel?: string | null;
  /** A market-event flag (e.g. "fomc"); when absent the gex-market-event header is read. */
  readonly marketEvent?: string | null;
}

export interface SnapshotFacts {
  readonly ticker: string;
  readonly kind: string;
  readonly category: string;
  readonly data_type: string;
  readonly source: string;
  readonly spot: number | null;
  readonly min_dte: number | null;
  readonly timestamp_ms: number;
  /** now - timestamp_ms, never negative (a timestamp in the future counts as just now). */
  readonly age_ms: number;
  readonly et: EasternTime;
  readonly is_regular_hours: boolean;
  readonly minutes_to_close: number;
  readonly total_oi: number | null;
  readonly total_volume: number | null;
  readonly net_gex: number | null;
  readonly strike_count: number;
  /** Success ratio of the source, or the configured default when the source is unknown. */
  readonly reliability: number;
  readonly source_known: boolean;
  readonly ema_latency_ms: number | null;
  readonly market_event: string;
  /** A valid requested level, or null. */
  readonly requested_level: Level | null;
  /** Set when a requested level was given but is not a level. */
  readonly requested_level_invalid: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** A finite number, or null: the snapshot may come from a decoder still in progress, so nothing is trusted to be set. */
const num = (u: unknown): number | null => (typeof u === 'number' && Number.isFinite(u) ? u : null);
/** Epoch ms within the range a Date can hold (±100,000,000 days), else 0: the clock math needs a real instant. */
const instant = (u: unknown): number => (typeof u === 'number' && Math.abs(u) <= 8.64e15 ? u : 0);
const str = (u: unknown): string => (typeof u === 'string' ? u : '');

const addNullable = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : a + b);

interface StrikeTotals {
  readonly oi: number | null;
  readonly volume: number | null;
  readonly net: number | null;
  readonly count: number;
}

const NO_TOTALS: StrikeTotals = { oi: null, volume: null, net: null, count: 0 };

/** The finite cells of a column, summed; null when it has none (absent column, every cell null). */
const columnSum = (col: unknown, n: number): number | null => {
  if (!(col instanceof Float64Array)) return null;
  let sum = 0;
  let any = false;
  const m = Math.min(n, col.length);
  for (let i = 0; i < m; i++) {
    const v = col[i]!;
    if (v - v === 0) (sum += v), (any = true); // finite: NaN (null) and Infinity are skipped
  }
  return any ? sum : null;
};

/** Sums over the strike columns, for snapshots without a derived block. Hot: one pass per column, no allocation. */
const strikeTotals = (strikes: unknown): StrikeTotals => {
  if (typeof strikes !== 'object' || strikes === null) return NO_TOTALS;
  const k = strikes as Partial<StrikeColumns>;
  const count = k.count;
  const c = k.columns as Partial<Record<string, unknown>> | undefined;
  if (typeof count !== 'number' || !(count >= 0) || typeof c !== 'object' || c === null) return NO_TOTALS;
  const oi = addNullable(columnSum(c.call_oi, count), columnSum(c.put_oi, count));
  const volume = addNullable(columnSum(c.call_volume, count), columnSum(c.put_volume, count));
  return { oi, volume, net: columnSum(c.net_gex, count), count };
};

const countOf = (strikes: unknown): number => {
  const n = typeof strikes === 'object' && strikes !== null ? (strikes as { count?: unknown }).count : undefined;
  return typeof n === 'number' && n >= 0 ? n : 0;
};

/** Reads the facts of one message at `nowMs`, its session from `calendar` (holidays, early closes). Total: any missing or malformed field gives a defined fact. */
export const readFacts = (input: PriorityInput, nowMs: number, defaultReliability: number, calendar: ExchangeCalendar = WEEKDAYS_ONLY): SnapshotFacts => {
  const s = (input.snapshot ?? {}) as Partial<CanonicalSnapshot>;
  const headers = input.headers ?? EMPTY_HEADERS;
  const d = s.derived ?? null;
  // The derived block holds the strike sums already (null where the shape has none): the rows are summed only without it.
  const st: StrikeTotals =
    d === null
      ? strikeTotals(s.strikes)
      : { oi: addNullable(num(d.total_call_oi), num(d.total_put_oi)), volume: num(d.total_volume), net: num(d.net_gex) ?? num(d.net_gex_oi) ?? num(d.net_gex_vol), count: countOf(s.strikes) };
  const envelopeNet = num(s.net_gex_oi) ?? num(s.net_gex_vol) ?? num(s.sum_gex_oi) ?? num(s.sum_gex_vol);

  const now = instant(nowMs);
  const ts = instant(s.timestamp_ms);
  const et = easternTime(ts);
  const stats = input.sourceStats ?? null;
  const statsReliability = stats === null ? null : num(stats.reliability);
  const requestedRaw = input.requestedLevel !== undefined ? input.requestedLevel : (headers[H.requestedLevel] ?? null);
  const requested = requestedRaw === null || requestedRaw === '' ? null : requestedRaw;
  const marketEvent = input.marketEvent !== undefined ? input.marketEvent : (headers[H.marketEvent] ?? null);
  const minDte = num(s.min_dte);

  return {
    ticker: str(s.ticker),
    kind: str(s.kind),
    category: str(s.category),
    data_type: str(s.data_type),
    source: str(input.source ?? headers[H.source]),
    spot: num(s.spot),
    min_dte: minDte === null ? null : Math.trunc(minDte),
    timestamp_ms: ts,
    age_ms: Math.max(0, now - ts),
    et,
    is_regular_hours: isRegularHours(et, calendar),
    minutes_to_close: minutesToClose(et, calendar),
    total_oi: st.oi,
    total_volume: st.volume,
    net_gex: d === null ? (envelopeNet ?? st.net) : (st.net ?? envelopeNet),
    strike_count: st.count,
    reliability: statsReliability === null ? clamp01(defaultReliability) : clamp01(statsReliability),
    source_known: statsReliability !== null,
    ema_latency_ms: stats === null ? null : num(stats.ema_latency_ms),
    market_event: typeof marketEvent === 'string' ? marketEvent : '',
    requested_level: isLevel(requested) ? requested : null,
    requested_level_invalid: requested !== null && !isLevel(requested) ? String(requested) : null,
    headers,
  };
};
