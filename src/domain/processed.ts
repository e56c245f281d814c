// Owns the ProcessedSnapshot: a prioritized snapshot normalised (strikes ascending, one row per strike, derived metrics) (pure).
import { computeDerived } from './derived.js';
import type { Lineage } from './deadLetter.js';
import type { PrioritizedSnapshot } from './prioritized.js';
import { jobIdOf } from './prioritized.js';
import type { Level } from './priority/level.js';
import type { CanonicalSnapshot } from './snapshot.js';
import { isStrictlyAscending, sortedUnique } from './strikeColumns.js';

/** Mirrors schemas/io.gexstream.ProcessedSnapshot.avsc. */
export interface ProcessedSnapshot {
  readonly request_id: string;
  readonly job_id: string;
  readonly level: Level;
  readonly score: number;
  readonly source: string;
  readonly lineage: Lineage | null;
  readonly published_at_ms: number;
  readonly prioritized_at_ms: number;
  readonly processed_at_ms: number;
  readonly quality_score: number;
  readonly snapshot: CanonicalSnapshot;
  /** The decision's score components; null (or absent, in records written before the field existed) when unknown. */
  readonly components?: PrioritizedSnapshot['components'] | null;
  readonly matched_rules?: readonly string[];
  readonly rule_set_version?: number;
}

/** Strikes ascending with duplicates removed (the last row of a strike wins); derived metrics recomputed only when the rows changed. */
export const normalise = (s: CanonicalSnapshot): CanonicalSnapshot => {
  const sorted = isStrictlyAscending(s.strikes);
  if (sorted && s.derived !== null) return s;
  const next = sorted ? s : { ...s, strikes: sortedUnique(s.strikes) };
  return { ...next, derived: computeDerived(next) };
};

export const processedSnapshot = (p: PrioritizedSnapshot, snapshot: CanonicalSnapshot, processedAtMs: number): ProcessedSnapshot => ({
  request_id: p.request_id,
  job_id: jobIdOf(p.request_id),
  level: p.level,
  score: p.score,
  source: p.source,
  lineage: p.lineage,
  published_at_ms: p.published_at_ms,
  prioritized_at_ms: p.prioritized_at_ms,
  processed_at_ms: processedAtMs,
  quality_score: snapshot.derived?.quality_score ?? 0,
  snapshot,
  components: { ...p.components },
  matched_rules: [...p.matched_rules],
  rule_set_version: p.rule_set_version,
});
