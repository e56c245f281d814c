// Owns the queue as Kafka sees it: per priority level, the messages its processor group has not consumed yet.
import { LEVELS, type Level } from '../domain/priority/level.js';
import type { KafkaClient } from '../kafka/client.js';
import type { Topology } from '../domain/topology.js';

export interface LevelLag {
  readonly level: Level;
  readonly topic: string;
  readonly group: string;
  /** Messages on the level topic after the group's committed offsets. */
  readonly lag: number;
}

/** Reads the lag of each level's processor group; needs no running processor (what a CLI or a probe can see). */
export const readLevelLag = async ({ kafka, topology, groupPrefix = 'gexstream-processor' }: { kafka: KafkaClient; topology: Pick<Topology, 'level'>; groupPrefix?: string }): Promise<LevelLag[]> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out: LevelLag[] = [];
    for (const level of LEVELS) {
      const topic = topology.level(level);
      const group = `${groupPrefix}-${level}`;
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const c = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      // a transactional topic ends with a commit marker: one offset of lag per partition is none
      const lag = ends.reduce((a, e) => a + Math.max(0, Number(e.high) - Math.max(Number(e.low), c.get(e.partition) ?? -1, 0) - 1), 0);
      out.push({ level, topic, group, lag });
    }
    return out;
  } finally {
    await admin.disconnect();
  }
};
