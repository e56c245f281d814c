// Owns the rules a decoded snapshot must still meet that depend on the caller's clock or on several fields.
import type { PathError } from './errors.js';
import type { CanonicalSnapshot } from './snapshot.js';

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
