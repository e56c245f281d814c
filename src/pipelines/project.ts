// Owns the projector: processed, jobs, rules, sources and DLQ topics -> one fold -> DuckDB rows + consumed offsets in one
// transaction (exactly once), Parquet segments, and the latest-snapshot view. Replay is the same projector with an end.
import { deadLetter, type DeadLetter } from '../domain/deadLetter.js';
import type { PathError } from '../domain/errors.js';
import type { ProcessedSnapshot } from '../domain/processed.js';
import { PROJECTED_KINDS, type ProjectedEvent, type ProjectedKind } from '../domain/projection/projection.js';
import { cutAtEnd } from '../domain/projection/replayEnd.js';
import { roundWrite, type RoundEvent } from '../domain/projection/round.js';
import { ownedView, strikeRowsOfView, StrikeColumnsError, type ProcessedColumnar } from '../domain/projection/strikeColumnsReader.js';
import { TABLE_NAMES, type TableName } from '../domain/projection/tables.js';
import type { ParquetCompression } from '../config.js';
import { createParquetWriter, DEFAULT_SEGMENT_OFFSETS, type ParquetWriter } from '../duckdb/parquet.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { latestSnapshotPositions } from '../duckdb/queries.js';
import { openStore, type Store, type TableSum } from '../duckdb/store.js';
import type { KafkaClient } from '../kafka/client.js';
import type { OffsetGap } from '../domain/offsetGaps.js';
import { createOwnedOffsetsConsumer, OtherClusterError, tp, type OwnedBatch } from '../kafka/ownedOffsets.js';
import { createTopicAdmin } from '../kafka/admin.js';
import type { At } from '../domain/projection/rows.js';
import { createProducer, type GexProducer } from '../kafka/producer.js';
import { readAt } from '../kafka/reader.js';
import type { InMessage } from '../kafka/transactional.js';
import type { ConsumerHealth } from '../domain/processing/health.js';
import type { Logger } from '../log.js';
import type { Strike } from '../domain/snapshot.js';
import { createProcessedDecoder, ProcessedDecodeError, type ProcessedDecoder } from '../registry/processedReader.js';
import { keepOnSuccess, registryUnavailable, whileUnavailable, type Registry } from '../registry/registry.js';
import type { AvroJson } from '../registry/schemas.js';
import { unframe } from '../registry/wire.js';
import type { Topology } from '../domain/topology.js';
import { valueSubject } from './schemas.js';

export const PROJECTOR_LAG_GROUP = 'gexstream-projector';
export const DEFAULT_DB_PATH = 'data/gexstream.duckdb';
export const DEFAULT_PARQUET_DIR = 'data/parquet';
/** The gexstream_meta key of the Kafka cluster id a projector file's offsets belong to. */
export const CLUSTER_META_KEY = 'kafka_cluster_id';

export type ProjectedTopics = Readonly<Record<ProjectedKind, string>>;

export interface ProjectorOptions {
  readonly kafka: KafkaClient;
  readonly registry: Registry;
  /** The DuckDB file; created with its tables when missing. */
  readonly db: string;
  /** Root of the Parquet tree; null writes none. */
  readonly parquet?: string | null;
  /** Reads processed, jobs, rules, sources and dlq (each projected kind is the topology's kind of the same name). */
  readonly topology: Topology;
  /** Group whose committed offsets show the projector's lag (never read back); null commits none. */
  readonly lagGroupId?: string | null;
  readonly segmentOffsets?: number;
  /** Codec of the Parquet files (default snappy). */
  readonly parquetCompression?: ParquetCompression;
  /** DuckDB memory_limit (default 128MB): beyond it DuckDB evicts cached blocks instead of growing. */
  readonly memoryLimit?: string;
  /** DuckDB worker threads (default 1). */
  readonly threads?: number;
  /** Open Parquet segments are written once the projector has committed nothing for this long (and at stop). */
  readonly flushMs?: number; // ms
  /** Bytes fetched per partition per round (bounded: a round's decoded snapshots stay small). */
  readonly maxBytesPerPartition?: number; // bytes
  readonly clock?: () => number;
  readonly log?: Logger;
  /** Replay: per "topic:partition", the offset to stop before (the high-water marks taken at start). */
  readonly stopAt?: ReadonlyMap<string, number>;
  /** Replay: stop each partition at its first message appended after this instant (epoch ms). */
  readonly untilMs?: number;
  /** Replay: a partition with nothing delivered for this long has only transaction markers left. */
  readonly idleMs?: number; // ms
  readonly onBatch?: (s: ProjectorStats) => void;
  /** Called with the job, rule, source and dead-letter events of each committed round (after the DuckDB commit): the API's status stream. */
  readonly onEvents?: (events: readonly ProjectedEvent[]) => void;
  /** Go on past stored offsets that do not fit the topics (from the log start), instead of refusing to start. */
  readonly acceptOffsetGap?: boolean;
}

export interface ProjectorStats {
  readonly events: number;
  readonly rows: Readonly<Record<TableName, number>>;
  readonly batches: number;
  readonly deadLetters: number;
  readonly skipped: number;
  /** Stored positions that did not fit the topics at start and were accepted (`acceptOffsetGap`). */
  readonly offsetGaps: readonly OffsetGap[];
}

/** The latest processed snapshot of one ticker and kind (what the seeds kept in a Redis hot cache), strikes as rows (the API's shape). */
export interface LatestSnapshot {
  readonly processed: Omit<ProcessedSnapshot, 'snapshot'> & { readonly snapshot: Omit<ProcessedSnapshot['snapshot'], 'strikes'> & { readonly strikes: Strike[] } };
  readonly offset: number;
}

export interface Projector {
  readonly start: () => Promise<void>;
  /** Replay: resolves when every partition has reached its end; live: when stopped. */
  readonly finished: Promise<void>;
  /** Flushes open Parquet segments, closes the consumer, the producer and the DuckDB file. */
  readonly stop: () => Promise<void>;
  readonly stats: () => ProjectorStats;
  readonly latest: (ticker?: string, kind?: string) => LatestSnapshot[];
  /** Next offset per "topic:partition" committed to DuckDB so far. */
  readonly positions: () => ReadonlyMap<string, number>;
  /** Table checksums of the live file, between batches. */
  readonly checksums: () => Promise<TableSum[]>;
  /** Its consumer has its partitions. */
  readonly assigned: () => boolean;
  /** Its consumer's lifecycle, crashes and progress. */
  readonly health: () => ConsumerHealth;
  /** Runs a read on the live file between batches (DuckDB allows one writer process: readers go through it). */
  readonly read: <T>(f: (c: DuckDBConnection) => Promise<T>) => Promise<T>;
  readonly store: Store;
}

/** Tries of a round's DuckDB commit before the projector stops (backoff 200 ms doubling, at most 5 s). */
const COMMIT_ATTEMPTS = 6;

/**
 * Bytes fetched per partition per round by default: about 100 processed snapshots or 10,000 job events; a round still
 * commits within a fraction of a second. A round has fixed costs (a DuckDB transaction, the upserts' deletes, the
 * offsets), so rounds of a quarter of this cost more (bench/day, W-day from a pre-filled raw topic, all roles in one
 * process, 2 runs each alternating in one sitting: 256 KiB 34.9 / 32.2 s and 48.4 / 45.4 CPU s, 1 MiB 30.2 / 28.3 s and
 * 44.2 / 40.9 CPU s; the projector finished 8 s after the processor instead of 12 s). Not on the critical path: a
 * critical snapshot is processed (on its own topic) before the projector sees it.
 */
export const DEFAULT_MAX_BYTES_PER_PARTITION = 1024 * 1024;

/** Bytes per partition per round in a replay (a fetch is at most four times this): the rounds' messages and kafkajs's objects for them stay a few MB. */
export const REPLAY_MAX_BYTES_PER_PARTITION = 1024 * 1024;

/**
 * Strike rows per DuckDB transaction in a replay (several fetch rounds appended, then one commit): more than a DuckDB
 * row group (122,880 rows), which DuckDB then writes to the file compressed, instead of to the WAL uncompressed and
 * to the file again at checkpoint (measured, 23,400 x 100 strikes: 530 MB written with transactions of 150
 * snapshots, 45 MB with 2,000). The rounds stay small (memory); only the transaction is large.
 */
export const REPLAY_TRANSACTION_STRIKE_ROWS = 250_000;

export const createProjector = async (o: ProjectorOptions): Promise<Projector> => {
  const topics = Object.fromEntries(PROJECTED_KINDS.map((k) => [k, o.topology[k]])) as ProjectedTopics;
  const kindOf = new Map<string, ProjectedKind>(PROJECTED_KINDS.map((k) => [topics[k], k]));
  const clock = o.clock ?? Date.now;
  const store = await openStore(o.db, { ...(o.memoryLimit ? { memoryLimit: o.memoryLimit } : {}), ...(o.threads ? { threads: o.threads } : {}) });
  const parquet: ParquetWriter | null = o.parquet
    ? await createParquetWriter(store, {
        dir: o.parquet,
        topic: topics.processed,
        segmentOffsets: o.segmentOffsets ?? DEFAULT_SEGMENT_OFFSETS,
        ...(o.parquetCompression ? { compression: o.parquetCompression } : {}),
        onError: (err) => o.log?.error({ err }, 'parquet segment write failed (retried at the next flush)'),
      })
    : null;
  const replay = o.stopAt !== undefined || o.untilMs !== undefined;
  let producer: GexProducer | null = null;
  // fetched when first needed and kept once had: a registry outage at start is not remembered for the process's life
  const dlqEncoder = keepOnSuccess(() => o.registry.encoder<DeadLetter>(valueSubject(topics.dlq)));
  let stopped = false;
  // the registry being unreachable is an outage, not bad data: waited out (never dead-lettered, never skipped)
  const untilRegistry = <T>(f: () => Promise<T>): Promise<T> =>
    whileUnavailable(f, { stopped: () => stopped, onRetry: (err, attempt) => { if (attempt === 1 || attempt % 10 === 0) o.log?.warn({ err, attempt }, 'schema registry unavailable; retrying'); } });

  const rows = Object.fromEntries(TABLE_NAMES.map((t) => [t, 0])) as Record<TableName, number>;
  let events = 0;
  let batches = 0;
  let deadLetters = 0;
  let skipped = 0;
  let offsetGaps: readonly OffsetGap[] = [];
  const stats = (): ProjectorStats => ({ events, rows: { ...rows }, batches, deadLetters, skipped, offsetGaps });
  // the newest processed snapshot per ticker and kind, its strikes copied out of the message (the API's latest view);
  // at start it is read back from the processed topic at the positions DuckDB holds for them (rebuildLatestView)
  const latestView = new Map<string, { readonly processed: ProcessedColumnar; readonly offset: number }>();
  const latestKey = (v: ProcessedColumnar): string => `${v.snapshot.ticker}|${v.snapshot.kind}`;
  const owned = (v: ProcessedColumnar, offset: number): { readonly processed: ProcessedColumnar; readonly offset: number } => ({
    offset,
    processed: { ...v, snapshot: { ...v.snapshot, strikes: ownedView(v.snapshot.strikes) } },
  });
  const committedPositions = new Map<string, number>((await store.offsets()).map((s) => [tp(s.topic, s.partition), s.next]));

  // Replay's end: partitions still to finish, and how long nothing was delivered.
  const pending = new Set<string>();
  let lastDelivery = Date.now();
  let lastCommit = Date.now();
  let resolveFinished!: () => void;
  let rejectFinished!: (e: Error) => void;
  const finished = new Promise<void>((res, rej) => {
    resolveFinished = res;
    rejectFinished = rej;
  });
  finished.catch(() => undefined);
  const doneWith = (key: string): void => {
    pending.delete(key);
    if (replay && pending.size === 0) resolveFinished();
  };

  // Processed snapshots: a decoder per writer schema id, made once from the schema (see processedReader.ts).
  const processedDecoders = new Map<number, Promise<ProcessedDecoder>>();
  const processedDecoder = (id: number): Promise<ProcessedDecoder> => {
    let d = processedDecoders.get(id);
    if (!d) {
      d = o.registry.typeById(id).then((t) => createProcessedDecoder(t.schema() as AvroJson));
      d.catch(() => processedDecoders.delete(id));
      processedDecoders.set(id, d);
    }
    return d;
  };

  const decode = async (kind: ProjectedKind, m: InMessage): Promise<RoundEvent | PathError[]> => {
    try {
      if (kind === 'processed') {
        const { schemaId, body } = unframe(m.value as Buffer);
        const value = (await untilRegistry(() => processedDecoder(schemaId)))(body);
        return { kind, value, at: { partition: m.partition, offset: m.offset } };
      }
      const value = await untilRegistry(() => o.registry.decode<never>(m.value as Buffer));
      return { kind, value } as ProjectedEvent as RoundEvent;
    } catch (err) {
      if (registryUnavailable(err)) throw err; // stopping during an outage: nothing is dead-lettered for it
      const path = err instanceof StrikeColumnsError || err instanceof ProcessedDecodeError ? err.path : '$';
      return [{ path, message: `not a ${valueSubject(topics[kind])} Avro value: ${(err as Error).message}` }];
    }
  };

  // One DuckDB connection writes: rounds and reads through the projector never interleave on it.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const r = chain.then(f);
    chain = r.catch(() => undefined);
    return r;
  };

  // A round: every partition batch the consumer hands over together (all partitions of a fetch are in onBatch at
  // once) is written in one DuckDB transaction with all their offsets. Rounds are pipelined one deep: a round's
  // onBatch resolves once it is decoded and the round before it has committed, so the next fetch and decode overlap
  // this round's commit. The offsets live only in DuckDB, so nothing is acknowledged early: after a failed commit no
  // later round commits, the consumer stops, and a restart resumes from the last committed round.
  interface Round {
    readonly batches: OwnedBatch[];
    readonly accepted: Promise<void>;
  }
  let open: Round | null = null;
  let inFlight = 0;
  let failed: Error | null = null;
  let lastCommitted: Promise<void> = Promise.resolve();
  const handle = (b: OwnedBatch): Promise<void> => {
    lastDelivery = Date.now();
    if (open === null) {
      const batchesOfRound: OwnedBatch[] = [];
      let settle!: { resolve: () => void; reject: (e: Error) => void };
      const accepted = new Promise<void>((resolve, reject) => {
        settle = { resolve, reject };
      });
      open = { batches: batchesOfRound, accepted };
      inFlight++;
      // after the batches of this fetch have arrived (they are handed over in one turn of the event loop)
      setImmediate(() => {
        open = null;
        const previous = lastCommitted;
        const prepared = prepareRound(batchesOfRound);
        const committed = prepared.then((r) =>
          serial(async () => {
            if (failed) throw failed;
            await commitWithRetries(r);
          }),
        );
        lastCommitted = committed.catch((err: Error) => {
          // no later round may commit past this one: the projector stops here and a restart resumes from DuckDB's offsets
          failed ??= err;
          rejectFinished(err);
        });
        committed
          .catch(() => undefined)
          .finally(() => {
            inFlight--;
            lastDelivery = Date.now();
          });
        Promise.all([prepared, previous])
          .then(() => {
            if (failed) throw failed;
          })
          .then(settle.resolve, settle.reject);
        // a round that fails after its onBatch resolved still stops the consumer through the next round's onBatch
        committed.catch((err: Error) => o.log?.error({ err }, 'projector round failed'));
      });
    }
    open.batches.push(b);
    return open.accepted;
  };

  interface PreparedRound {
    readonly evs: readonly RoundEvent[];
    readonly dlq: readonly DeadLetter[];
    readonly offsets: readonly { topic: string; partition: number; next: number }[];
    readonly processedRanges: readonly { partition: number; first: number; next: number }[];
    readonly done: readonly string[];
    readonly out: ReturnType<typeof roundWrite>;
  }

  const prepareRound = async (round: readonly OwnedBatch[]): Promise<PreparedRound> => {
    const evs: RoundEvent[] = [];
    const dlq: DeadLetter[] = [];
    const offsets: { topic: string; partition: number; next: number }[] = [];
    const processedRanges: { partition: number; first: number; next: number }[] = [];
    const done: string[] = [];
    for (const b of round) {
      const kind = kindOf.get(b.topic);
      const key = tp(b.topic, b.partition);
      if (kind === undefined || (replay && !pending.has(key))) continue;
      const { keep, done: ended } = replay ? cutAtEnd(b.messages, o.stopAt?.get(key), o.untilMs, b.lastOffset) : { keep: b.messages, done: false };
      if (ended) done.push(key);
      const first = keep[0];
      const last = keep[keep.length - 1];
      if (first === undefined || last === undefined) continue;
      for (const m of keep) {
        if (m.value === null) {
          skipped++; // a tombstone: the compacted topics' deletes carry no event
          continue;
        }
        const e = await decode(kind, m);
        if (!Array.isArray(e)) evs.push(e);
        else if (kind === 'dlq') {
          skipped++; // an unreadable dead letter is not sent back to the DLQ it came from
          o.log?.warn({ topic: m.topic, partition: m.partition, offset: m.offset, errors: e }, 'unreadable dead letter skipped');
        } else
          dlq.push(deadLetter({ stage: 'project', errors: e, value: m.value, key: m.key, headers: m.headers, origin: { topic: m.topic, partition: m.partition, offset: m.offset } }, clock()));
      }
      offsets.push({ topic: b.topic, partition: b.partition, next: last.offset + 1 });
      if (kind === 'processed') processedRanges.push({ partition: b.partition, first: first.offset, next: last.offset + 1 });
      batches++;
    }
    return { evs, dlq, offsets, processedRanges, done, out: roundWrite(evs) };
  };

  /**
   * A failed commit (disk, DuckDB) is retried with backoff: the decoded round is still here and nothing after it has
   * committed. Not in a replay: its failed transaction took earlier rounds with it, so the replay ends with the error.
   */
  const commitWithRetries = async (r: PreparedRound): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await commitRound(r);
        return;
      } catch (err) {
        if (attempt >= COMMIT_ATTEMPTS || stopped || replay) throw err;
        o.log?.warn({ err, attempt }, 'projector round not committed; retrying');
        await new Promise((res) => setTimeout(res, Math.min(5_000, 100 * 2 ** attempt)));
      }
    }
  };

  /** What a round changes once DuckDB has committed it (its message buffers are not kept for that). */
  interface RoundEffects {
    readonly offsets: PreparedRound['offsets'];
    readonly processedRanges: PreparedRound['processedRanges'];
    readonly rowCounts: Readonly<Record<TableName, number>>;
    readonly events: number;
    /** The round's newest snapshot per ticker and kind, strikes copied out of their messages. */
    readonly newest: ReadonlyMap<string, { readonly processed: ProcessedColumnar; readonly offset: number }>;
    readonly status: readonly ProjectedEvent[];
    readonly done: readonly string[];
  }

  const effectsOf = ({ evs, offsets, processedRanges, done, out }: PreparedRound): RoundEffects => {
    const rowCounts = Object.fromEntries(TABLE_NAMES.map((t) => [t, out.rows[t].length])) as Record<TableName, number>;
    rowCounts.gex_strikes += out.strikeRows;
    const newest = new Map<string, { readonly processed: ProcessedColumnar; readonly offset: number }>();
    for (const e of evs) {
      if (e.kind !== 'processed') continue;
      const v = e.value as ProcessedColumnar;
      const k = latestKey(v);
      const prev = newest.get(k);
      if (!prev || prev.processed.snapshot.timestamp_ms <= v.snapshot.timestamp_ms) newest.set(k, { processed: v, offset: (e.at as At).offset });
    }
    // only the winners keep their strikes, copied: the message buffers go with the round
    for (const [k, l] of newest) newest.set(k, owned(l.processed, l.offset));
    // kept until the commit only for a listener (the API's status stream; a replay has none)
    const status = o.onEvents ? evs.filter((e): e is ProjectedEvent & RoundEvent => e.kind !== 'processed') : [];
    return { offsets, processedRanges, rowCounts, events: evs.length, newest, status, done };
  };

  const afterCommit = (x: RoundEffects): void => {
    if (x.offsets.length > 0) {
      lastCommit = Date.now();
      for (const p of x.offsets) committedPositions.set(tp(p.topic, p.partition), p.next);
      if (parquet) for (const r of x.processedRanges) parquet.committed(r.partition, r.first, r.next);
      for (const t of TABLE_NAMES) rows[t] += x.rowCounts[t];
      events += x.events;
      for (const [k, l] of x.newest) {
        const prev = latestView.get(k);
        if (!prev || prev.processed.snapshot.timestamp_ms <= l.processed.snapshot.timestamp_ms) latestView.set(k, l);
      }
      o.onBatch?.(stats());
      if (x.status.length > 0) o.onEvents?.(x.status);
    }
    for (const key of x.done) doneWith(key);
  };

  // Replay: rounds appended to DuckDB's open transaction, committed together (see REPLAY_TRANSACTION_STRIKE_ROWS).
  let uncommitted: RoundEffects[] = [];
  let uncommittedStrikeRows = 0;
  const commitOpen = async (): Promise<void> => {
    const pendingEffects = uncommitted;
    uncommitted = [];
    uncommittedStrikeRows = 0;
    await store.commit();
    for (const x of pendingEffects) afterCommit(x);
  };

  const commitRound = async (r: PreparedRound): Promise<void> => {
    const { dlq, offsets, out } = r;
    if (offsets.length > 0) {
      // Dead letters are acknowledged before the offsets move: a crash in between sends them again under the same ids.
      if (dlq.length > 0) {
        producer ??= await createProducer({ kafka: o.kafka });
        const enc = await untilRegistry(dlqEncoder);
        await producer.send([{ topic: topics.dlq, messages: dlq.map((d) => ({ key: d.dead_letter_id, value: enc.encode(d) })) }]);
        deadLetters += dlq.length;
      }
    }
    if (!replay) {
      if (offsets.length > 0) await store.write({ rows: out.rows, strikes: out.strikes, offsets });
      afterCommit(effectsOf(r));
      return;
    }
    if (offsets.length > 0) {
      try {
        await store.append({ rows: out.rows, strikes: out.strikes, offsets });
      } catch (err) {
        uncommitted = []; // rolled back with this round
        throw err;
      }
    }
    uncommitted.push(effectsOf(r));
    uncommittedStrikeRows += out.strikeRows;
    if (uncommittedStrikeRows >= REPLAY_TRANSACTION_STRIKE_ROWS || r.done.length > 0) await commitOpen();
  };

  const consumer = createOwnedOffsetsConsumer({
    kafka: o.kafka,
    topics: Object.values(topics),
    positions: async () => new Map((await store.offsets()).filter((s) => s.next > 0).map((s) => [tp(s.topic, s.partition), s.next])),
    onBatch: handle,
    acceptOffsetGaps: o.acceptOffsetGap ?? false,
    offsetGapAdvice: `Rebuild the state from the topics into a new file (\`gexstream replay --db NEW.duckdb\`), or start with \`gexstream run --accept-offset-gap\` to go on from each partition's log start (${o.db} keeps its rows; the gap is counted in gexstream_projector_offset_gap_records)`,
    onOffsetGaps: (gaps) => {
      offsetGaps = gaps;
      for (const g of gaps) o.log?.warn({ ...g }, 'stored offset does not fit the topic: going on from the log start (accepted)');
    },
    // a service restarts its consumer after any crash (from the positions in DuckDB); a replay ends with the error
    restartOnCrash: !replay,
    onCrash: ({ error, restart, inMs }) => o.log?.error({ err: error, restart, inMs }, 'projector consumer crashed; restarting'),
    // every partition of a fetch at once, so that a round is one transaction
    partitionsConsumedConcurrently: 64,
    maxBytesPerPartition: o.maxBytesPerPartition ?? (replay ? REPLAY_MAX_BYTES_PER_PARTITION : DEFAULT_MAX_BYTES_PER_PARTITION),
    ...(o.lagGroupId === null || replay ? {} : { lagGroupId: o.lagGroupId ?? PROJECTOR_LAG_GROUP }),
    onError: (err) => {
      failed ??= err;
      o.log?.error({ err }, 'projector consumer stopped');
      rejectFinished(err);
    },
  });

  /**
   * The latest-snapshot view as it was when the file was last written: the newest stored snapshot per ticker and kind,
   * read back from the processed topic at the position its row records (the view holds whole messages, which DuckDB
   * does not). A message gone from the topic (retention) or another one at that position (the topic was recreated)
   * leaves its ticker out, with a warning, until the next snapshot of it arrives.
   */
  const rebuildLatestView = async (): Promise<void> => {
    const positions = await serial(() => latestSnapshotPositions(store.connection));
    if (positions.length === 0) return;
    const expected = new Map(positions.map((p) => [`${p.partition}:${p.offset}`, p.requestId]));
    let foreign = 0;
    const { found, missing } = await readAt(o.kafka, topics.processed, positions, async (m) => {
      const ev = await decode('processed', m);
      const v = Array.isArray(ev) ? null : (ev.value as ProcessedColumnar);
      if (v === null || v.request_id !== expected.get(`${m.partition}:${m.offset}`)) {
        foreign++;
        return;
      }
      const prev = latestView.get(latestKey(v));
      if (!prev || prev.processed.snapshot.timestamp_ms < v.snapshot.timestamp_ms) latestView.set(latestKey(v), owned(v, m.offset));
    });
    const lost = missing.length + foreign;
    if (lost > 0) o.log?.warn({ missing: missing.length, foreign, topic: topics.processed }, 'latest-snapshot view: some stored snapshots are not on the processed topic at their position any more; those tickers show up again with their next snapshot');
    o.log?.info({ snapshots: found - foreign, tickers: latestView.size }, 'latest-snapshot view rebuilt');
  };

  let flushTimer: NodeJS.Timeout | null = null;
  let idleTimer: NodeJS.Timeout | null = null;
  let flushing = false;

  return {
    store,
    finished,
    positions: () => committedPositions,
    checksums: () => serial(() => store.checksums()),
    read: (f) => serial(() => f(store.connection)),
    assigned: () => consumer.assigned(),
    health: () => consumer.health(),
    stats,
    latest: (ticker, kind) =>
      [...latestView.values()]
        .filter((l) => (ticker === undefined || l.processed.snapshot.ticker === ticker) && (kind === undefined || l.processed.snapshot.kind === kind))
        .map((l) => ({ offset: l.offset, processed: { ...l.processed, snapshot: { ...l.processed.snapshot, strikes: strikeRowsOfView(l.processed.snapshot.strikes) } } as LatestSnapshot['processed'] })),
    start: async () => {
      // stored positions mean something only on the cluster they were taken on: a file is bound to its cluster
      const admin = await createTopicAdmin({ kafka: o.kafka });
      const cluster = await admin.clusterId().finally(() => admin.close());
      const storedCluster = await serial(() => store.meta(CLUSTER_META_KEY));
      if (storedCluster !== null && storedCluster !== cluster) throw new OtherClusterError(storedCluster, cluster, `Rebuild the state from these topics into a new file (\`gexstream replay --db NEW.duckdb\`)`);
      if (storedCluster === null) await serial(() => store.setMeta(CLUSTER_META_KEY, cluster));
      if (replay) {
        const stored = new Map((await store.offsets()).map((s) => [tp(s.topic, s.partition), s.next]));
        for (const [key, end] of o.stopAt ?? []) if (end > (stored.get(key) ?? 0)) pending.add(key);
        if (o.stopAt === undefined) throw new Error('replay needs the end offsets');
        if (pending.size === 0) {
          resolveFinished();
          return;
        }
        const idleMs = o.idleMs ?? 3_000;
        const startedAt = Date.now();
        // Data below the end offsets is all there: a consumer that gets nothing for idleMs has delivered all of it
        // (what is left are transaction markers and aborted records). Joining the group comes first: allow for it.
        idleTimer = setInterval(() => {
          const quiet = inFlight > 0 ? false : batches > 0 ? Date.now() - lastDelivery > idleMs : Date.now() - startedAt > Math.max(idleMs, 20_000);
          if (quiet) for (const k of [...pending]) doneWith(k);
        }, 100);
      }
      if (!replay) await rebuildLatestView();
      await consumer.start();
      if (failed) throw failed;
      // Open segments are written when the projector is idle, in the background: never a rewrite while rows flow.
      if (parquet && !replay) {
        const flushMs = o.flushMs ?? 5_000;
        flushTimer = setInterval(() => {
          if (flushing || parquet.openSegments() === 0 || Date.now() - lastCommit < flushMs) return;
          flushing = true;
          parquet
            .flush()
            .catch((err: Error) => o.log?.error({ err }, 'parquet flush failed'))
            .finally(() => {
              flushing = false;
            });
        }, Math.min(flushMs, 1_000));
      }
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (flushTimer) clearInterval(flushTimer);
      if (idleTimer) clearInterval(idleTimer);
      await consumer.stop();
      await lastCommitted;
      // a replay's last rounds wait in the open transaction (unless a round failed: then it was rolled back)
      await serial(async () => {
        if (!failed) await commitOpen();
      });
      if (parquet) await parquet.flush();
      await producer?.close();
      store.close();
      resolveFinished();
    },
  };
};
