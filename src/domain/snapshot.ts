// Owns the canonical snapshot: the one shape every input is turned into (mirrors schemas/types/io.gexstream.CanonicalSnapshot.avsc).
import * as t from 'io-ts';
import { noStrikes, type StrikeColumns } from './strikeColumns.js';

export const SNAPSHOT_KINDS = [
  'gexbot_classic',
  'gexbot_state',
  'gexbot_state_greek',
  'gexbot_majors',
  'gexbot_maxchange',
  'gexbot_orderflow',
  'option_chain',
] as const;

export const SnapshotKind = t.keyof(
  Object.fromEntries(SNAPSHOT_KINDS.map((k) => [k, null])) as Record<(typeof SNAPSHOT_KINDS)[number], null>,
  'SnapshotKind',
);
export type SnapshotKind = t.TypeOf<typeof SnapshotKind>;

export const DATA_TYPES = ['real_time', 'historical', 'snapshot'] as const;
export const DataType = t.keyof({ real_time: null, historical: null, snapshot: null }, 'DataType');
export type DataType = t.TypeOf<typeof DataType>;

/** One [strike, change] pair of the vendor's max_priors / maxchange. */
export interface StrikeChange {
  strike: number;
  change: number;
}

/** Largest GEX change per interval: current, 1, 5, 10, 15 and 30 minutes. */
export interface MaxPriors {
  current: StrikeChange | null;
  one: StrikeChange | null;
  five: StrikeChange | null;
  ten: StrikeChange | null;
  fifteen: StrikeChange | null;
  thirty: StrikeChange | null;
}

export const MAX_PRIOR_INTERVALS = ['current', 'one', 'five', 'ten', 'fifteen', 'thirty'] as const;
export type MaxPriorInterval = (typeof MAX_PRIOR_INTERVALS)[number];

/** One strike row: every field any input shape carries, null where the input has none. */
export interface Strike {
  strike: number;
  gex_vol: number | null;
  gex_oi: number | null;
  priors: number[];
  call_oi: number | null;
  put_oi: number | null;
  call_volume: number | null;
  put_volume: number | null;
  call_bid: number | null;
  call_ask: number | null;
  put_bid: number | null;
  put_ask: number | null;
  gamma: number | null;
  delta: number | null;
  theta: number | null;
  vega: number | null;
  call_ivol: number | null;
  put_ivol: number | null;
  value: number | null;
  extra_x: number | null;
  extra_y: number | null;
  call_gex: number | null;
  put_gex: number | null;
  net_gex: number | null;
}

/** Metrics gexstream computes itself, next to the vendor's values. */
export interface Derived {
  convention: string;
  unit: string;
  net_gex: number | null;
  net_gex_vol: number | null;
  net_gex_oi: number | null;
  major_pos_vol: number | null;
  major_neg_vol: number | null;
  major_pos_oi: number | null;
  major_neg_oi: number | null;
  zero_gamma: number | null;
  total_call_oi: number | null;
  total_put_oi: number | null;
  total_volume: number | null;
  quality_score: number;
  quality_notes: string[];
}

/** One GEX snapshot of any input shape; field for field io.gexstream.v2.ColumnarSnapshot (toRowSnapshot gives the v1 record). */
export interface CanonicalSnapshot {
  ticker: string;
  kind: SnapshotKind;
  category: string | null;
  data_type: DataType;
  timestamp_ms: number;
  spot: number | null;
  min_dte: number | null;
  sec_min_dte: number | null;
  zero_gamma: number | null;
  major_pos_vol: number | null;
  major_pos_oi: number | null;
  major_neg_vol: number | null;
  major_neg_oi: number | null;
  major_positive: number | null;
  major_negative: number | null;
  major_long_gamma: number | null;
  major_short_gamma: number | null;
  sum_gex_vol: number | null;
  sum_gex_oi: number | null;
  net_gex_vol: number | null;
  net_gex_oi: number | null;
  delta_risk_reversal: number | null;
  max_priors: MaxPriors | null;
  /** One array per column (no object per strike): see strikeColumns.ts. */
  strikes: StrikeColumns;
  orderflow: Record<string, number> | null;
  extras_json: string | null;
  derived: Derived | null;
}

/** A strike row with only the strike set; the row decoders fill in what their shape carries. */
export const blankStrike = (strike: number): Strike => ({
  strike,
  gex_vol: null,
  gex_oi: null,
  priors: [],
  call_oi: null,
  put_oi: null,
  call_volume: null,
  put_volume: null,
  call_bid: null,
  call_ask: null,
  put_bid: null,
  put_ask: null,
  gamma: null,
  delta: null,
  theta: null,
  vega: null,
  call_ivol: null,
  put_ivol: null,
  value: null,
  extra_x: null,
  extra_y: null,
  call_gex: null,
  put_gex: null,
  net_gex: null,
});

/** The envelope fields of a snapshot, all null: mappers override what their shape carries. */
export const blankSnapshot = (
  base: Pick<CanonicalSnapshot, 'ticker' | 'kind' | 'category' | 'data_type' | 'timestamp_ms'>,
): CanonicalSnapshot => ({
  ticker: base.ticker,
  kind: base.kind,
  category: base.category,
  data_type: base.data_type,
  timestamp_ms: base.timestamp_ms,
  spot: null,
  min_dte: null,
  sec_min_dte: null,
  zero_gamma: null,
  major_pos_vol: null,
  major_pos_oi: null,
  major_neg_vol: null,
  major_neg_oi: null,
  major_positive: null,
  major_negative: null,
  major_long_gamma: null,
  major_short_gamma: null,
  sum_gex_vol: null,
  sum_gex_oi: null,
  net_gex_vol: null,
  net_gex_oi: null,
  delta_risk_reversal: null,
  max_priors: null,
  strikes: noStrikes(),
  orderflow: null,
  extras_json: null,
  derived: null,
});
