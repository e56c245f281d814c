// Owns the ProcessedSnapshot: a prioritized snapshot normalised (strikes ascending, one row per strike, derived metrics) (pure).
import { computeDerived } from './derived.js';
import type { Lineage } from './deadLetter.js';
import type { PrioritizedEnvelope, PrioritizedSnapshot } from './prioritized.js';
import { jobIdOf } from './prioritized.js';
import type { Level } from './priority/level.js';
import type { CanonicalSnapshot } from './snapshot.js';
import { isStrictlyAscending, sortedUnique, type ColumnarSnapshot } from './strikeColumns.js';

/** A processed snapshot, its strikes as columns; on the wire it is io.gexstream.v2.ProcessedSnapshot. */
export interface ProcessedSnapshot extends Omit<ProcessedEnvelope, 'components' | 'matched_rules' | 'rule_set_version'> {
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

/** The processed snapshot of a prioritized one: its envelope (processedEnvelope) with the snapshot as normalised. */
export const processedSnapshot = (p: PrioritizedSnapshot, snapshot: CanonicalSnapshot, processedAtMs: number): ProcessedSnapshot => ({
  ...processedEnvelope(p, snapshot.derived?.quality_score ?? 0, processedAtMs),
  snapshot,
});

/** Every field of io.gexstream.v2.ProcessedSnapshot but the snapshot, which follows them on the wire. */
export interface ProcessedEnvelope {
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
  readonly components: PrioritizedSnapshot['components'] | null;
  readonly matched_rules: readonly string[];
  readonly rule_set_version: number;
}

/** The value of io.gexstream.v2.ProcessedSnapshot: the envelope and its snapshot as columns. */
export type ProcessedSnapshotV2 = ProcessedEnvelope & { readonly snapshot: ColumnarSnapshot };

/** The processed envelope of a prioritized one, for a snapshot of that quality score (its derived.quality_score, or 0). */
export const processedEnvelope = (p: PrioritizedEnvelope, qualityScore: number, processedAtMs: number): ProcessedEnvelope => ({
  request_id: p.request_id,
  job_id: jobIdOf(p.request_id),
  level: p.level,
  score: p.score,
  source: p.source,
  lineage: p.lineage,
  published_at_ms: p.published_at_ms,
  prioritized_at_ms: p.prioritized_at_ms,
  processed_at_ms: processedAtMs,
  quality_score: qualityScore,
  components: { market_impact: p.components.market_impact, freshness: p.components.freshness, source_reliability: p.components.source_reliability, urgency: p.components.urgency },
  matched_rules: [...p.matched_rules],
  rule_set_version: p.rule_set_version,
});

