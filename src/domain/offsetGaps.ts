// Owns the check of a sink's stored positions against the topics it reads: a position the topic cannot honour is a gap.
/**
 * A sink that stores its own offsets (the projector's DuckDB file) resumes at them. Two cases make that silently
 * wrong, and both are found at start from the stored positions and the partitions' log start and high-water mark:
 * - `ahead`: the stored position is past the partition's end (or the partition no longer exists): the topic was
 *   recreated, or the file comes from another cluster. Resuming there skips every record below it, including all
 *   the new ones.
 * - `behind`: the stored position is below the log start: retention deleted records the sink never read.
 * Pure: the caller brings both sides.
 */

export interface StoredPosition {
  readonly topic: string;
  readonly partition: number;
  /** The next offset the sink would read. */
  readonly next: number;
}

export interface PartitionBounds {
  readonly topic: string;
  readonly partition: number;
  /** Log start offset (the oldest readable record). */
  readonly low: number;
  /** High-water mark (the offset the next record gets). */
  readonly high: number;
}

export interface OffsetGap {
  readonly topic: string;
  readonly partition: number;
  readonly kind: 'ahead' | 'behind';
  readonly stored: number;
  readonly low: number;
  readonly high: number;
  /** Where reading can go on: the log start (new records of a recreated topic, or the oldest left after retention). */
  readonly resumeAt: number;
  /** Offsets between the stored position and `resumeAt`: records skipped (ahead) or never read (behind). */
  readonly size: number;
}

const key = (topic: string, partition: number): string => `${topic}:${partition}`;

/** The gaps of the stored positions of the given topics; a partition absent from `bounds` no longer exists (low = high = 0). */
export const findOffsetGaps = (stored: readonly StoredPosition[], bounds: readonly PartitionBounds[], topics: readonly string[]): OffsetGap[] => {
  const byKey = new Map(bounds.map((b) => [key(b.topic, b.partition), b]));
  const gaps: OffsetGap[] = [];
  for (const s of stored) {
    if (!topics.includes(s.topic)) continue;
    const b = byKey.get(key(s.topic, s.partition)) ?? { topic: s.topic, partition: s.partition, low: 0, high: 0 };
    if (s.next > b.high) gaps.push({ topic: s.topic, partition: s.partition, kind: 'ahead', stored: s.next, low: b.low, high: b.high, resumeAt: b.low, size: s.next - b.low });
    else if (s.next < b.low) gaps.push({ topic: s.topic, partition: s.partition, kind: 'behind', stored: s.next, low: b.low, high: b.high, resumeAt: b.low, size: b.low - s.next });
  }
  return gaps.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
};

/** One line per gap, for the refusal and the log. */
export const describeOffsetGap = (g: OffsetGap): string =>
  g.kind === 'ahead'
    ? `${g.topic}[${g.partition}]: stored position ${g.stored} is past the partition's end ${g.high} (the topic was recreated, or the file comes from another cluster)`
    : `${g.topic}[${g.partition}]: stored position ${g.stored} is below the log start ${g.low} (retention deleted ${g.size} record(s) never read)`;
