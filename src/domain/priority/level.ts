// Owns the priority levels (io.gexstream.Level), their order, and moving between them.
import * as t from 'io-ts';

/** Highest first, as the Avro enum lists them. */
export const LEVELS = ['critical', 'high', 'medium', 'low'] as const;
export const Level = t.keyof({ critical: null, high: null, medium: null, low: null }, 'Level');
export type Level = t.TypeOf<typeof Level>;

const RANK: Readonly<Record<Level, number>> = { low: 0, medium: 1, high: 2, critical: 3 };
const BY_RANK: readonly Level[] = ['low', 'medium', 'high', 'critical'];

/** low = 0 ... critical = 3: a larger rank is more urgent. */
export const levelRank = (l: Level): number => RANK[l];

export const isLevel = (u: unknown): u is Level => typeof u === 'string' && Object.prototype.hasOwnProperty.call(RANK, u);

/** Promotes (steps > 0) or demotes (steps < 0) a level, clamped to low..critical. */
export const shiftLevel = (l: Level, steps: number): Level => {
  const r = Math.max(0, Math.min(3, RANK[l] + Math.trunc(Number.isFinite(steps) ? steps : 0)));
  return BY_RANK[r] as Level;
};

export const higherLevel = (a: Level, b: Level): Level => (RANK[a] >= RANK[b] ? a : b);

/** Score cut-offs: a score at or above `critical` is critical, and so on; below `medium` is low. */
export interface LevelThresholds {
  readonly critical: number;
  readonly high: number;
  readonly medium: number;
}

export const levelForScore = (score: number, th: LevelThresholds): Level =>
  score >= th.critical ? 'critical' : score >= th.high ? 'high' : score >= th.medium ? 'medium' : 'low';
