// Owns the rules a decoded snapshot must still meet that depend on the caller's clock or on several fields.
import type { PathError } from './errors.js';
import type { CanonicalSnapshot, Derived } from './snapshot.js';

export interface ClockRules {
  /** The caller's "now", UTC epoch ms (the domain reads no clock). */
  readonly nowMs: number;
  /** How far a snapshot may be ahead of nowMs (publisher clocks drift). */
  readonly maxSkewMs: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A snapshot from the future beyond the allowed clock skew is rejected. */
export const futureTimestampIssue = (timestampMs: number, rules: ClockRules): PathError | null => {
  const limit = rules.nowMs + rules.maxSkewMs;
  if (timestampMs <= limit) return null;
  return {
    path: 'timestamp',
    message: `expected a time no later than ${iso(limit)} (now + ${rules.maxSkewMs} ms clock skew), got ${iso(timestampMs)}, ${Math.round((timestampMs - rules.nowMs) / 1000)} s in the future`,
  };
};

export const validateSnapshot = (s: CanonicalSnapshot, rules: ClockRules): PathError[] => {
  const errors: PathError[] = [];
  const future = futureTimestampIssue(s.timestamp_ms, rules);
  if (future !== null) errors.push(future);
  if (s.kind === 'gexbot_orderflow' && (s.orderflow === null || Object.keys(s.orderflow).length === 0)) {
    errors.push({ path: '$', message: 'expected at least one numeric orderflow field besides timestamp and ticker, got none' });
  }
  return errors;
};

const DERIVED_NUMBERS = ['net_gex', 'net_gex_vol', 'net_gex_oi', 'major_pos_vol', 'major_neg_vol', 'major_pos_oi', 'major_neg_oi', 'zero_gamma', 'total_call_oi', 'total_put_oi', 'total_volume', 'quality_score'] as const satisfies ReadonlyArray<keyof Derived>;
const STRIKE_GEX = ['call_gex', 'put_gex', 'net_gex'] as const;
const has = (col: Float64Array | null, i: number): boolean => col !== null && !Number.isNaN(col[i]!);

/**
 * Metrics gexstream computed that overflowed (finite inputs such as gamma 1e300 x OI can give Infinity, and
 * Infinity - Infinity gives NaN): a validation error located at the computed field, never data that would
 * reach Avro, DuckDB and Parquet.
 */
export const derivedIssues = (s: CanonicalSnapshot, d: Derived): PathError[] => {
  const errors: PathError[] = [];
  const bad = (v: number | null): boolean => v !== null && !Number.isFinite(v);
  const k = s.strikes;
  const c = k.columns;
  // First a plain scan per column (every cell finite or NaN, the usual case); the rows are located only when one is not.
  let suspect = false;
  for (const f of STRIKE_GEX) {
    const col = c[f];
    if (col === null) continue;
    for (let i = 0; i < k.count; i++) {
      const v = col[i]!;
      if (v - v !== 0 && (v === v || f === 'net_gex')) {
        suspect = true;
        break;
      }
    }
  }
  if (suspect) {
    for (let i = 0; i < k.count; i++) {
      for (const f of STRIKE_GEX) {
        const col = c[f];
        if (col === null) continue;
        const v = col[i]!;
        // NaN is a null cell, except a net GEX whose sides were computed (Infinity - Infinity)
        const overflow = v === Infinity || v === -Infinity || (f === 'net_gex' && Number.isNaN(v) && (has(c.call_gex, i) || has(c.put_gex, i)));
        if (overflow) errors.push({ path: `strikes[${i}].${f}`, message: `the computed GEX overflows to ${String(v)} (gamma x contracts x 100 x spot^2 x 0.01 must be a finite number)` });
      }
    }
  }
  for (const f of DERIVED_NUMBERS) {
    if (bad(d[f])) errors.push({ path: `derived.${f}`, message: `the computed value overflows to ${String(d[f])} (the inputs are too large to sum or interpolate as finite numbers)` });
  }
  return errors;
};
