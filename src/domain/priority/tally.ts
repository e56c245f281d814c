// Owns the running count of decisions by level and by how they were made (automatic vs manual override), for the metrics.
import type { Decision } from './decide.js';
import type { Level } from './level.js';

export interface DecisionTally {
  readonly total: number;
  /** Decisions with overridden = false. */
  readonly automatic: number;
  readonly byLevel: Readonly<Record<Level, number>>;
}

export const initialTally = (): DecisionTally => ({ total: 0, automatic: 0, byLevel: { critical: 0, high: 0, medium: 0, low: 0 } });

export const evolveTally = (s: DecisionTally, d: Pick<Decision, 'level' | 'overridden'>): DecisionTally => ({
  total: s.total + 1,
  automatic: s.automatic + (d.overridden ? 0 : 1),
  byLevel: { ...s.byLevel, [d.level]: s.byLevel[d.level] + 1 },
});

/** The share of decisions made without a manual override; 1 when there are none yet. */
export const automaticShare = (s: DecisionTally): number => (s.total === 0 ? 1 : s.automatic / s.total);
