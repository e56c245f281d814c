// Owns consuming with offsets kept outside Kafka (a sink that stores them with its data): every partition of the topics
// is read from the positions the sink reports, whatever the group has committed; Kafka offsets are committed afterwards for lag only.
import './fastCrc.js'; // before kafkajs loads
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { headersToStrings } from '../domain/headers.js';
import { describeOffsetGap, findOffsetGaps, type OffsetGap } from '../domain/offsetGaps.js';
import type { ConsumerHealth } from '../domain/processing/health.js';
import type { KafkaClient } from './client.js';
import { createHealthTracker, supervise, type Supervised } from './supervision.js';
import type { InMessage } from './transactional.js';

export interface OwnedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly InMessage[];
  readonly highWatermark: number;
  /** Last offset the fetch covered, transaction markers included (>= the last message's offset). */
  readonly lastOffset?: number;
}

export interface OwnedOffsetsOptions {
  readonly kafka: KafkaClient;
  readonly topics: readonly string[];
  /** The next offset to read per "topic:partition", as the sink has stored it; absent partitions start at their log start. */
  readonly positions: () => Promise<ReadonlyMap<string, number>>;
  /** Handles one partition's messages; they are stored (with their offsets) by the time it resolves. Throwing stops the consumer. */
  readonly onBatch: (b: OwnedBatch) => Promise<void>;
  /** Group whose committed offsets show the sink's progress to lag monitors; nothing reads them back. */
  readonly lagGroupId?: string;
  readonly maxBytesPerPartition?: number; // bytes
  readonly maxWaitTimeInMs?: number; // ms
  /** Partitions handled at once: with more than one, every partition of a fetch is in onBatch together (a sink may write them in one transaction). */
  readonly partitionsConsumedConcurrently?: number;
  readonly onError?: (err: Error) => void;
  /**
   * After a crash kafkajs does not restart (a non-retriable error, a handler that throws): a new consumer from the
   * sink's positions after a backoff (true, a service), or onError and nothing more (false, a replay that must end).
   */
  readonly restartOnCrash?: boolean;
  readonly onCrash?: (info: { error: unknown; restart: 'kafkajs' | 'supervisor'; inMs: number | null }) => void;
  /**
   * Stored positions the topics cannot honour (past a partition's end, or below its log start) stop the start with an
   * {@link OffsetGapError}, unless accepted: then reading goes on at the log start and `onOffsetGaps` hears of them.
   */
  readonly acceptOffsetGaps?: boolean;
  readonly onOffsetGaps?: (gaps: readonly OffsetGap[]) => void;
  /** Appended to the refusal: what the operator can do about it. */
  readonly offsetGapAdvice?: string;
}

/** The sink's stored positions do not fit the topics: resuming there would skip records without a word. */
export class OffsetGapError extends Error {
  override readonly name = 'OffsetGapError';
  readonly retriable = false; // the topic will not grow back to the stored position by waiting
  constructor(readonly gaps: readonly OffsetGap[], advice: string) {
    super(`stored offsets do not fit the topics: ${gaps.map(describeOffsetGap).join('; ')}${advice ? `. ${advice}` : ''}`);
  }
}

/** The sink's stored positions were taken on another Kafka cluster: its offsets mean nothing on this one. */
export class OtherClusterError extends Error {
  override readonly name = 'OtherClusterError';
  readonly retriable = false;
  constructor(readonly stored: string, readonly current: string, advice: string) {
    super(`the stored offsets were taken on Kafka cluster ${stored}, and this is cluster ${current} (the stack was reset, or the file comes from another cluster)${advice ? `. ${advice}` : ''}`);
  }
}

export interface OwnedOffsetsConsumer {
  readonly start: () => Promise<void>;
  readonly stop: () => Promise<void>;
  /** Partition count per topic, read at start. */
  readonly partitions: () => ReadonlyMap<string, number>;
  /** True once the consumer has its partitions (joined its group), false again after a crash or stop. */
  readonly assigned: () => boolean;
  /** Lifecycle, crashes, lag and progress, for readiness. */
  readonly health: () => ConsumerHealth;
}

export const tp = (topic: string, partition: number): string => `${topic}:${partition}`;
const parseTp = (key: string): { topic: string; partition: number } => {
  const i = key.lastIndexOf(':');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
};

/**
 * kafkajs has no manual assignment: a group of its own per start (one member, every partition, nothing committed)
 * stands in for assign(), and a seek to the sink's positions replaces the group's offsets. Restarting after a kill
 * therefore never waits for a dead member's session to expire, and a stale Kafka offset can never skip or repeat a row.
 */
export const createOwnedOffsetsConsumer = ({
  kafka,
  topics,
  positions,
  onBatch,
  lagGroupId,
  maxBytesPerPartition = 8 * 1024 * 1024, // 8 MiB
  maxWaitTimeInMs = 200,
  partitionsConsumedConcurrently = 1,
  onError,
  restartOnCrash = false,
  onCrash,
  acceptOffsetGaps = false,
  onOffsetGaps,
  offsetGapAdvice = '',
}: OwnedOffsetsOptions): OwnedOffsetsConsumer => {
  const health = createHealthTracker();
  let supervised: Supervised | null = null;
  const counts = new Map<string, number>();
  let next = new Map<string, number>();
  const lag = new Map<string, Map<number, number>>();
  let lagTimer: NodeJS.Timeout | null = null;

  // A member of the lag group that never fetches: it only commits the sink's positions, so lag monitors see them.
  // It joins in the background: after a kill -9 its join waits for the dead member's session, the data path does not.
  let lagConsumer: Consumer | null = null;
  let lagReady = false;
  const startLag = async (groupId: string): Promise<void> => {
    const lc = kafka.consumer({ groupId, sessionTimeout: 6_000, heartbeatInterval: 2_000, maxWaitTimeInMs: 1_000 });
    lagConsumer = lc;
    lc.on(lc.events.GROUP_JOIN, () => {
      lagReady = true;
    });
    await lc.connect();
    for (const topic of topics) await lc.subscribe({ topic, fromBeginning: false });
    const r = lc.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    lc.pause(topics.map((topic) => ({ topic })));
    await r;
  };
  const commitLag = async (): Promise<void> => {
    if (!lagConsumer || !lagReady || lag.size === 0) return;
    const offsets = [...lag].flatMap(([topic, parts]) => [...parts].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })));
    try {
      await lagConsumer.commitOffsets(offsets);
      for (const o of offsets) if (lag.get(o.topic)?.get(o.partition) === Number(o.offset)) lag.get(o.topic)?.delete(o.partition);
    } catch {
      // lag reporting is best effort (e.g. during a rebalance of the lag group): the next round retries
    }
  };

  let isAssigned = false;
  const gapResume = new Map<string, { stored: number; resumeAt: number }>();
  return {
    partitions: () => counts,
    assigned: () => isAssigned,
    health: health.snapshot,
    start: async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const meta = await admin.fetchTopicMetadata({ topics: [...topics] });
        for (const t of meta.topics) counts.set(t.name, t.partitions.length);
        // kafkajs resets a seek beyond the log to the earliest offset, and the position filter below would then
        // drop everything under the stored position: check the positions against the partitions first
        const bounds = (await Promise.all(topics.map(async (topic) => (await admin.fetchTopicOffsets(topic)).map((b) => ({ topic, partition: b.partition, low: Number(b.low), high: Number(b.high) }))))).flat();
        const stored = [...(await positions())].map(([k, offset]) => ({ ...parseTp(k), next: offset }));
        const gaps = findOffsetGaps(stored, bounds, topics);
        if (gaps.length > 0) {
          if (!acceptOffsetGaps) throw new OffsetGapError(gaps, offsetGapAdvice);
          for (const g of gaps) {
            const key = tp(g.topic, g.partition);
            const at = stored.find((x) => tp(x.topic, x.partition) === key)?.next;
            if (at !== undefined) gapResume.set(key, { stored: at, resumeAt: g.resumeAt });
          }
          onOffsetGaps?.(gaps);
        }
      } finally {
        await admin.disconnect();
      }
      const make = (): Consumer => {
        const c = kafka.consumer({
          groupId: `gexstream-owned-${randomUUID()}`,
          readUncommitted: false,
          maxBytesPerPartition,
          maxBytes: 4 * maxBytesPerPartition,
          maxWaitTimeInMs,
          sessionTimeout: 10_000,
          heartbeatInterval: 1_000,
        });
        c.on(c.events.GROUP_JOIN, () => {
          isAssigned = true;
        });
        c.on(c.events.CRASH, ({ payload }) => {
          isAssigned = false;
          if (!payload.restart && !restartOnCrash) onError?.(payload.error);
        });
        c.on(c.events.STOP, () => {
          isAssigned = false;
        });
        return c;
      };
      // every (re)start reads from where the sink stands: a crash loses nothing and repeats nothing
      const begin = async (c: Consumer): Promise<void> => {
        next = new Map(await positions());
        // an accepted gap resumes at the log start for as long as the sink has not moved past its stored position
        for (const [key, g] of gapResume) if (next.get(key) === g.stored) next.set(key, g.resumeAt);
        // the lag group learns the stored positions too, also of partitions with nothing new to consume
        for (const [key, offset] of next) {
          const { topic, partition } = parseTp(key);
          if (topics.includes(topic)) (lag.get(topic) ?? lag.set(topic, new Map()).get(topic))?.set(partition, offset);
        }
        await c.connect();
        for (const topic of topics) await c.subscribe({ topic, fromBeginning: true });
        const run = c.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently,
          eachBatch: async ({ batch, isRunning, isStale, heartbeat, resolveOffset }) => {
            if (!isRunning() || isStale()) return;
            const key = tp(batch.topic, batch.partition);
            const from = next.get(key) ?? 0;
            const messages: InMessage[] = [];
            for (const m of batch.messages) {
              const offset = Number(m.offset);
              if (offset < from) continue; // before the sink's position: a fetch that raced the seek
              messages.push({ topic: batch.topic, partition: batch.partition, offset, key: m.key, value: m.value, headers: headersToStrings(m.headers), timestamp: Number(m.timestamp) });
            }
            const first = messages[0];
            const last = messages[messages.length - 1];
            // kafkajs fetches the next batch from the last resolved offset: resolve every batch, even one skipped whole
            const fetched = batch.messages[batch.messages.length - 1];
            if (!first || !last) {
              if (fetched) resolveOffset(fetched.offset);
              return;
            }
            const hw = Number(batch.highWatermark);
            health.fetched(key, hw - first.offset);
            await onBatch({ topic: batch.topic, partition: batch.partition, messages, highWatermark: hw, lastOffset: Number(batch.lastOffset()) });
            // a gap of one or two behind the high-water mark is transaction markers, not work
            health.committed(key, hw - (last.offset + 1) > 2 ? hw - (last.offset + 1) : 0);
            resolveOffset(String(last.offset));
            next.set(key, last.offset + 1);
            const parts = lag.get(batch.topic) ?? lag.set(batch.topic, new Map()).get(batch.topic);
            parts?.set(batch.partition, last.offset + 1);
            await heartbeat();
          },
        });
        run.catch((err: Error) => onError?.(err));
        // After run(): kafkajs applies seeks before its first fetch of each partition.
        for (const [key, offset] of next) {
          const { topic, partition } = parseTp(key);
          if (topics.includes(topic)) c.seek({ topic, partition, offset: String(offset) });
        }
        await run;
      };
      if (restartOnCrash) {
        supervised = supervise({ make, begin, health, ...(onCrash ? { onCrash } : {}) });
        await supervised.start();
      } else {
        const c = make();
        c.on(c.events.GROUP_JOIN, () => health.joined());
        supervised = { start: async () => undefined, stop: async () => (await c.disconnect(), health.stopped()), current: () => c };
        await begin(c);
      }
      if (lagGroupId) {
        startLag(lagGroupId).catch((err: Error) => onError?.(new Error(`lag group ${lagGroupId}: ${err.message}`)));
        lagTimer = setInterval(() => void commitLag(), 2_000);
      }
    },
    stop: async () => {
      if (lagTimer) clearInterval(lagTimer);
      lagTimer = null;
      await supervised?.stop();
      supervised = null;
      await commitLag();
      await lagConsumer?.disconnect().catch(() => undefined);
      lagConsumer = null;
    },
  };
};
