// Owns reading a consumer group's progress on a topic: its committed offset next to each partition's log bounds.
import type { KafkaClient } from './client.js';

export interface PartitionProgress {
  readonly partition: number;
  /** Log start and end (high watermark) offsets. */
  readonly low: number;
  readonly high: number;
  /** The group's committed offset (the next offset it will read), or null when it has committed none. */
  readonly committed: number | null;
  /**
   * Offsets between the group's position and the end of the log. On a topic written in transactions the last offset
   * is a commit marker, which is never delivered: a caught-up group shows a lag of 1 there.
   */
  readonly lag: number;
}

export const groupProgress = async (kafka: KafkaClient, groupId: string, topic: string): Promise<PartitionProgress[]> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    // kafkajs reports "no committed offset" as -1
    const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends
      .map((e) => {
        const low = Number(e.low);
        const high = Number(e.high);
        const c = at.get(e.partition);
        const position = c === undefined || c < 0 ? null : c;
        return { partition: e.partition, low, high, committed: position, lag: Math.max(0, high - Math.max(low, position ?? low)) };
      })
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
};
