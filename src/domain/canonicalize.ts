// Owns the mapping of each decoded input shape onto the canonical snapshot (the vendor's values, renamed, nothing computed but per-strike GEX).
import { chainGexColumns } from './derived.js';
import type { GexbotClassic, GexbotMajors, GexbotMaxChange, GexbotOrderflow, GexbotState, GexbotStateGreek } from './gexbotCodecs.js';
import type { OptionChain } from './optionChainCodecs.js';
import { blankSnapshot, type CanonicalSnapshot, type DataType, type SnapshotKind } from './snapshot.js';
import { columnsOfRows } from './strikeColumns.js';

export interface Envelope {
  readonly ticker: string;
  readonly kind: SnapshotKind;
  readonly category: string | null;
  readonly data_type: DataType;
  readonly timestamp_ms: number;
}

const gexProfile = (p: GexbotClassic | GexbotState, env: Envelope): CanonicalSnapshot => {
  const s = blankSnapshot(env);
  s.spot = p.spot;
  s.min_dte = p.min_dte;
  s.sec_min_dte = p.sec_min_dte;
  s.zero_gamma = p.zero_gamma;
  s.major_pos_vol = p.major_pos_vol;
  s.major_pos_oi = p.major_pos_oi;
  s.major_neg_vol = p.major_neg_vol;
  s.major_neg_oi = p.major_neg_oi;
  s.sum_gex_vol = p.sum_gex_vol;
  s.sum_gex_oi = p.sum_gex_oi;
  s.delta_risk_reversal = p.delta_risk_reversal;
  s.max_priors = p.max_priors;
  s.strikes = p.strikes;
  return s;
};

export const fromClassic = (p: GexbotClassic, env: Envelope): CanonicalSnapshot => gexProfile(p, env);

/** State GEX profiles are volume-only: the vendor's 0 in OI fields and zero_gamma means "not applicable". */
export const fromState = (p: GexbotState, env: Envelope): CanonicalSnapshot => {
  const s = gexProfile(p, env);
  const na = (v: number | null): number | null => (v === 0 ? null : v);
  s.major_pos_oi = na(s.major_pos_oi);
  s.major_neg_oi = na(s.major_neg_oi);
  s.sum_gex_oi = na(s.sum_gex_oi);
  s.zero_gamma = na(s.zero_gamma);
  return s;
};

export const fromStateGreek = (p: GexbotStateGreek, env: Envelope): CanonicalSnapshot => {
  const s = blankSnapshot(env);
  s.spot = p.spot;
  s.min_dte = p.min_dte;
  s.sec_min_dte = p.sec_min_dte;
  s.major_positive = p.major_positive;
  s.major_negative = p.major_negative;
  s.major_long_gamma = p.major_long_gamma;
  s.major_short_gamma = p.major_short_gamma;
  // cold path: the greek rows are few and rare; their codec gives rows
  s.strikes = columnsOfRows(p.mini_contracts);
  return s;
};

export const fromMajors = (p: GexbotMajors, env: Envelope): CanonicalSnapshot => {
  const s = blankSnapshot(env);
  s.spot = p.spot;
  s.major_pos_vol = p.mpos_vol;
  s.major_pos_oi = p.mpos_oi;
  s.major_neg_vol = p.mneg_vol;
  s.major_neg_oi = p.mneg_oi;
  s.zero_gamma = p.zero_gamma;
  s.net_gex_vol = p.net_gex_vol;
  s.net_gex_oi = p.net_gex_oi;
  return s;
};

export const fromMaxChange = (p: GexbotMaxChange, env: Envelope): CanonicalSnapshot => {
  const s = blankSnapshot(env);
  s.spot = p.spot;
  const { current, one, five, ten, fifteen, thirty } = p;
  s.max_priors = [current, one, five, ten, fifteen, thirty].every((x) => x === null) ? null : { current, one, five, ten, fifteen, thirty };
  return s;
};

export const fromOrderflow = (p: GexbotOrderflow, flow: Record<string, number>, env: Envelope): CanonicalSnapshot => {
  const s = blankSnapshot(env);
  s.spot = p.spot;
  s.orderflow = flow;
  return s;
};

export const fromOptionChain = (p: OptionChain, env: Envelope): CanonicalSnapshot => {
  const s = blankSnapshot(env);
  s.spot = p.spot;
  // the chain codec gives rows (objects in, objects out); the GEX columns are computed on the columns
  const k = columnsOfRows(p.strikes);
  s.strikes = { ...k, columns: { ...k.columns, ...chainGexColumns(k, p.spot) } };
  return s;
};
