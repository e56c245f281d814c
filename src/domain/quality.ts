// Owns the data-quality score of a snapshot: completeness and internal consistency, in [0,1], with readable notes.
import type { CanonicalSnapshot, Derived, SnapshotKind } from './snapshot.js';
import type { StrikeColumnName } from './strikeColumns.js';

type TopField = keyof CanonicalSnapshot;
type RowField = StrikeColumnName;

/** Top-level fields each shape is expected to carry (state profiles have no OI view and no zero gamma). */
const EXPECTED_FIELDS: Readonly<Record<SnapshotKind, readonly TopField[]>> = {
  gexbot_classic: [
    'spot', 'min_dte', 'sec_min_dte', 'zero_gamma', 'major_pos_vol', 'major_pos_oi', 'major_neg_vol', 'major_neg_oi',
    'sum_gex_vol', 'sum_gex_oi', 'delta_risk_reversal', 'max_priors',
  ],
  gexbot_state: ['spot', 'min_dte', 'sec_min_dte', 'major_pos_vol', 'major_neg_vol', 'sum_gex_vol', 'delta_risk_reversal', 'max_priors'],
  gexbot_state_greek: ['spot', 'min_dte', 'sec_min_dte', 'major_positive', 'major_negative', 'major_long_gamma', 'major_short_gamma'],
  gexbot_majors: ['spot', 'zero_gamma', 'major_pos_vol', 'major_pos_oi', 'major_neg_vol', 'major_neg_oi', 'net_gex_vol', 'net_gex_oi'],
  gexbot_maxchange: ['max_priors'],
  gexbot_orderflow: ['spot', 'orderflow'],
  option_chain: ['spot'],
};

const CHAIN_ROW_FIELDS: readonly RowField[] = [
  'call_oi', 'put_oi', 'call_volume', 'put_volume', 'call_bid', 'call_ask', 'put_bid', 'put_ask', 'gamma', 'delta', 'theta', 'vega',
];

/** Vendor major strikes that must be strikes of the same snapshot. */
const MAJOR_FIELDS: readonly TopField[] = [
  'major_pos_vol', 'major_neg_vol', 'major_pos_oi', 'major_neg_oi', 'major_positive', 'major_negative', 'major_long_gamma', 'major_short_gamma',
];

/** Relative differences up to this count as agreement (vendor rounding). */
const SUM_TOLERANCE = 0.01;
const COMPLETENESS_WEIGHT = 0.5;

interface Check {
  readonly score: number;
  readonly note: string | null;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(3))));
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

const relativeDiff = (a: number, b: number): number => {
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 ? 0 : Math.abs(a - b) / scale;
};

const sumCheck = (name: string, vendor: number | null, computed: number | null, column: string): Check | null => {
  if (vendor === null || computed === null) return null;
  const d = relativeDiff(vendor, computed);
  if (d <= SUM_TOLERANCE) return { score: 1, note: null };
  return { score: Math.max(0, 1 - d), note: `${name} ${fmt(vendor)} differs from the sum of strike ${column} (${fmt(computed)}) by ${pct(d)}` };
};

const completeness = (s: CanonicalSnapshot): { score: number; notes: string[] } => {
  const fields = EXPECTED_FIELDS[s.kind];
  const missing = fields.filter((f) => s[f] === null);
  let present = fields.length - missing.length;
  let total = fields.length;
  const notes: string[] = [];
  if (missing.length > 0) notes.push(`missing: ${missing.join(', ')}`);
  const k = s.strikes;
  if (s.kind === 'option_chain' && k.count > 0) {
    const gaps: string[] = [];
    for (const f of CHAIN_ROW_FIELDS) {
      const col = k.columns[f];
      let n = 0;
      if (col !== null) for (let i = 0; i < k.count; i++) if (!Number.isNaN(col[i]!)) n++;
      present += n / k.count;
      total += 1;
      if (n < k.count) gaps.push(`${f} (${k.count - n})`);
    }
    if (gaps.length > 0) notes.push(`strike rows missing: ${gaps.join(', ')}`);
  }
  return { score: total === 0 ? 1 : present / total, notes };
};

const consistency = (s: CanonicalSnapshot, d: Omit<Derived, 'quality_score' | 'quality_notes'>): Check[] => {
  const checks: Check[] = [];
  const k = s.strikes;
  const strikes = k.strike;
  const n = k.count;
  if (n > 0) {
    let lo = Infinity;
    let hi = -Infinity;
    let ascending = true;
    let adjacentDuplicates = 0;
    for (let i = 0; i < n; i++) {
      const x = strikes[i]!;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (i > 0) {
        const prev = strikes[i - 1]!;
        if (x < prev) ascending = false;
        else if (x === prev) adjacentDuplicates++;
      }
    }
    // Sorted rows (the usual case) show duplicates as neighbours; otherwise count distinct strikes.
    const duplicates = ascending ? adjacentDuplicates : n - new Set(strikes).size;
    checks.push(duplicates === 0 ? { score: 1, note: null } : { score: 0, note: `${duplicates} duplicate strike row(s)` });
    if (s.spot !== null) {
      checks.push(
        s.spot >= lo && s.spot <= hi
          ? { score: 1, note: null }
          : { score: 0, note: `spot ${fmt(s.spot)} is outside the strike range ${fmt(lo)}-${fmt(hi)}` },
      );
    }
    const majors = MAJOR_FIELDS.filter((f) => s[f] !== null);
    if (majors.length > 0) {
      const absent = majors.filter((f) => !strikes.includes(s[f] as number));
      checks.push({
        score: 1 - absent.length / majors.length,
        note: absent.length === 0 ? null : `vendor majors not among the strikes: ${absent.map((f) => `${f} ${fmt(s[f] as number)}`).join(', ')}`,
      });
    }
  }
  if (s.kind === 'gexbot_classic' || s.kind === 'gexbot_state') {
    const vol = sumCheck('sum_gex_vol', s.sum_gex_vol, d.net_gex_vol, 'gex_vol');
    const oi = sumCheck('sum_gex_oi', s.sum_gex_oi, d.net_gex_oi, 'gex_oi');
    if (vol !== null) checks.push(vol);
    if (oi !== null) checks.push(oi);
  }
  if (s.kind === 'option_chain') {
    let quoted = 0;
    let crossed = 0;
    const c = k.columns;
    for (const [bids, asks] of [[c.call_bid, c.call_ask], [c.put_bid, c.put_ask]] as const) {
      if (bids === null || asks === null) continue;
      for (let i = 0; i < n; i++) {
        const bid = bids[i]!;
        const ask = asks[i]!;
        if (Number.isNaN(bid) || Number.isNaN(ask)) continue;
        quoted++;
        if (bid > ask) crossed++;
      }
    }
    if (quoted > 0) {
      checks.push({ score: 1 - crossed / quoted, note: crossed === 0 ? null : `${crossed} of ${quoted} quotes have bid > ask` });
    }
  }
  return checks;
};

/** Score = half completeness (share of expected fields present), half consistency (mean of the checks that apply). */
export const assessQuality = (
  s: CanonicalSnapshot,
  d: Omit<Derived, 'quality_score' | 'quality_notes'>,
): { score: number; notes: string[] } => {
  const c = completeness(s);
  const checks = consistency(s, d);
  const consistent = checks.length === 0 ? 1 : checks.reduce((a, k) => a + k.score, 0) / checks.length;
  const score = Math.round((COMPLETENESS_WEIGHT * c.score + (1 - COMPLETENESS_WEIGHT) * consistent) * 10000) / 10000;
  const notes = [...c.notes, ...checks.flatMap((k) => (k.note === null ? [] : [k.note]))];
  return { score: Math.min(1, Math.max(0, score)), notes };
};
