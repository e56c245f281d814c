// Owns the prioritizer service: raw -> prioritizeStep (pure) -> level.<level> (v2, columns) + JobQueued on jobs, exactly once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { deadLetter, type DeadLetter } from '../domain/deadLetter.js';
import type { JobEvent, PrioritizedEnvelope } from '../domain/prioritized.js';
import { v2Wire, type EnvelopeEncoder } from '../registry/columnarSnapshot.js';
import { initialRuleSet, seedRuleEvents, type PriorityConfig, type RuleEvent, type RuleSet, type SourceStatsView } from '../domain/priority/index.js';
import { LEVELS, type Level } from '../domain/priority/level.js';
import { initialPrioritizerState, prioritizeStep, rejectRaw, type PrioritizeOutput, type PrioritizeResult, type RawInput } from '../domain/priority/step.js';
import type { ExchangeCalendar } from '../domain/calendar.js';
import { loadCalendar } from '../resources.js';
import { automaticShare, type DecisionTally } from '../domain/priority/tally.js';
import type { DataType } from '../domain/snapshot.js';
import type { KafkaClient } from '../kafka/client.js';
import { createProducer, type OutMessage } from '../kafka/producer.js';
import { followTable } from '../kafka/tableReader.js';
import { followRules, type RuleView } from './rules.js';
import { createTimeSlicer } from '../kafka/timeSlice.js';
import { createTransactionalProcessor, type InMessage, type Outputs, type TransactionalProcessor } from '../kafka/transactional.js';
import type { KafkaEdge } from '../kafka/edge.js';
import type { ConsumerHealth } from '../domain/processing/health.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { whileUnavailable, type Registry } from '../registry/registry.js';
import { packageRoot } from '../stack/paths.js';
import type { Topology } from '../domain/topology.js';
import { levelKind, type LevelKind } from '../domain/topicKind.js';
import { valueSubject } from './schemas.js';

export const PRIORITIZER_GROUP = 'gexstream-prioritizer';

export interface PrioritizerOptions {
  readonly kafka: KafkaClient;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly priority: PriorityConfig;
  /** Sessions, holidays and early closes for is_regular_hours and minutes_to_close (default: the shipped calendar/). */
  readonly calendar?: ExchangeCalendar;
  /** Data type of raw messages that carry no gex-data-type header. */
  readonly defaultDataType?: DataType;
  readonly maxSkewMs?: number; // ms a snapshot may be ahead of the clock
  readonly maxBytes?: number; // bytes per raw message
  /** Stable per instance, so a restart fences the crashed predecessor's open transaction. */
  readonly instanceId?: string;
  readonly clock?: () => number;
  /** Seed the default guidelines when the rules topic is empty (default true). */
  readonly seedGuidelines?: boolean;
  /** Reads raw, rules and sources; writes the levels, jobs and dlq. */
  readonly topology: Topology;
  readonly groupId?: string;
  readonly metrics?: Metrics;

  /** Raw bytes fetched per partition and batch (default 1 MiB). */
  readonly maxBytesPerPartition?: number; // bytes
  /** Raw partitions handled at once, one transactional producer each (default 3; keep it stable per instance). */
  readonly concurrency?: number;
  /** The Kafka edge its exactly-once loop runs on (default: kafkajs, through `kafka`); bench/clients runs both clients. */
  readonly edge?: KafkaEdge;
}

export interface PrioritizerStats {
  readonly tally: DecisionTally;
  readonly deadLetters: number;
  readonly ruleSetVersion: number;
  readonly sources: number;
}

export interface Prioritizer {
  readonly start: () => Promise<void>;
  readonly stop: () => Promise<void>;
  readonly ruleSet: () => RuleSet;
  /** The live rule view once started (null before). */
  readonly rules: () => RuleView | null;
  readonly stats: () => PrioritizerStats;
  /** Its consumer's lifecycle, crashes and progress (null before start). */
  readonly health: () => ConsumerHealth | null;
}

export const loadDefaultGuidelines = (atMs: number): RuleEvent[] => {
  const json: unknown = JSON.parse(readFileSync(join(packageRoot, 'rules', 'default-guidelines.json'), 'utf8'));
  const ev = seedRuleEvents(json, atMs);
  if (isLeft(ev)) throw new Error(`rules/default-guidelines.json: ${ev.left.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return ev.right;
};

/** Bytes per raw partition per fetch: about 50 GEXBot snapshots of 100 strikes (see the measurement at its use). */
export const DEFAULT_RAW_BYTES_PER_PARTITION = 256 * 1024;

export const createPrioritizer = async (o: PrioritizerOptions): Promise<Prioritizer> => {
  const clock = o.clock ?? Date.now;
  const calendar = o.calendar ?? loadCalendar();
  const maxSkewMs = o.maxSkewMs ?? 5_000;
  const maxBytes = o.maxBytes ?? 8 * 1024 * 1024;
  const maxOutputBytes = 7 * 1024 * 1024; // under the level topics' max.message.bytes (8 MiB) with room for the batch
  const defaultDataType = o.defaultDataType ?? 'real_time';
  const rawTopic = o.topology.raw;
  const rulesTopic = o.topology.rules;
  const log = o.logger.child({ role: 'prioritizer' });

  // v2: the envelope through avsc, the snapshot's columns by the hand-rolled codec, in one reused buffer per level
  const levelEnc = new Map<Level, EnvelopeEncoder<PrioritizedEnvelope>>();
  const wire = v2Wire(o.registry);
  const topicOf = o.topology.level;
  const jobsTopic = o.topology.jobs;
  const dlqTopic = o.topology.dlq;
  // a registry that is down or still loading at start-up is waited for a while (about a minute), then start-up fails
  const startUp = { attempts: 18 };
  for (const l of LEVELS) levelEnc.set(l, await whileUnavailable(() => wire.encoder<PrioritizedEnvelope>(valueSubject(topicOf(l))), startUp));
  const jobEnc = await whileUnavailable(() => o.registry.encoder<JobEvent>(valueSubject(jobsTopic)), startUp);
  const dlqEnc = await whileUnavailable(() => o.registry.encoder<DeadLetter>(valueSubject(dlqTopic)), startUp);

  const sources = new Map<string, SourceStatsView>();
  let state = initialPrioritizerState();
  const tables: Array<{ stop: () => Promise<void> }> = [];
  let rulesView: RuleView | null = null;
  const noRules = initialRuleSet();
  /** The rule set as the live view holds it now (none before start). */
  const currentRules = (): RuleSet => rulesView?.ruleSet() ?? noRules;
  let processor: TransactionalProcessor | undefined;

  /** A failure is the message's own (dead letter) unless it says it is retriable (an infrastructure failure: the batch is retried). */
  const isRetriable = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;

  type LevelOutput = Extract<PrioritizeOutput, { kind: LevelKind }>;
  /** Bytes of each kind of output; a level's envelope and snapshot columns go into that level's reused buffer. */
  const encoders: { readonly [K in PrioritizeOutput['kind']]: (o: Extract<PrioritizeOutput, { kind: K }>) => Buffer } = {
    ...(Object.fromEntries(LEVELS.map((l) => [levelKind(l), (x: LevelOutput) => (levelEnc.get(l) as EnvelopeEncoder<PrioritizedEnvelope>).encode(x.value, x.snapshot)])) as { [K in LevelKind]: (o: LevelOutput) => Buffer }),
    jobs: (x) => jobEnc.encode(x.value),
    dlq: (x) => dlqEnc.encode(x.value),
  };
  /** The bytes of one output of `input`'s step; a dead letter that cannot be encoded is written without its headers, key and lineage. */
  const encode = (input: RawInput, x: PrioritizeOutput): Buffer => {
    if (x.kind !== 'dlq') return (encoders[x.kind] as (x: PrioritizeOutput) => Buffer)(x);
    try {
      return encoders.dlq(x);
    } catch (err) {
      // deadLetter() sanitizes every field, so this is a bug: still never block the partition on it
      log.error({ err, origin: input.origin }, 'a dead letter could not be encoded; writing one without headers, key and lineage');
      const d = x.value;
      const errors = [...d.errors.slice(0, 10), { path: '$', message: `(the full dead letter could not be encoded: ${err instanceof Error ? err.message : String(err)})` }];
      return dlqEnc.encode(deadLetter({ stage: d.stage, errors, value: input.value ?? Buffer.alloc(0), origin: input.origin }, d.failed_at_ms));
    }
  };
  const encodeAll = (input: RawInput, r: PrioritizeResult): Buffer[] => r.outputs.map((x) => encode(input, x));

  // a chunk of a back-fill is hundreds of ms of synchronous work: yield every few ms so that another partition's
  // critical snapshot (and every consumer's heartbeat and fetch in this process) does not wait behind it
  const slicer = createTimeSlicer();
  const sourceStats = (source: string): SourceStatsView | null => sources.get(source) ?? null;
  const transform = async (batch: readonly InMessage[]): Promise<Outputs> => {
    const receivedAtMs = clock();
    const byLevel = new Map<LevelKind, OutMessage[]>();
    const jobs: OutMessage[] = [];
    const dlq: OutMessage[] = [];
    for (const m of batch) {
      const turn = slicer.tick();
      if (turn) await turn;
      const input: RawInput = { value: m.value, key: m.key, headers: m.headers, timestamp: m.timestamp, origin: { topic: m.topic, partition: m.partition, offset: m.offset } };
      const nowMs = clock();
      const before = state;
      let result: PrioritizeResult;
      let encoded: Buffer[];
      try {
        // every step for one message (headers, decode, rules and score, encodes) fails this message alone
        result = prioritizeStep(before, input, { ruleSet: currentRules(), priority: o.priority, calendar, sourceStats, defaultDataType, maxSkewMs, maxBytes, receivedAtMs, nowMs });
        encoded = encodeAll(input, result);
        // the size of a record is known once encoded: over the limit, the level topic would refuse it and block the
        // partition, so the message is a dead letter instead (and has no job)
        const at = result.outputs.findIndex((x) => x.kind !== 'jobs' && x.kind !== 'dlq');
        const size = at < 0 ? 0 : (encoded[at] as Buffer).length;
        if (size > maxOutputBytes) {
          const level = (result.outputs[at] as LevelOutput).value.level;
          result = rejectRaw(before, input, { stage: 'prioritize', errors: [{ path: '$', message: `the prioritized record of ${size} bytes exceeds the ${maxOutputBytes}-byte limit of ${topicOf(level)}` }] }, nowMs);
          encoded = encodeAll(input, result);
        }
      } catch (err) {
        if (isRetriable(err)) throw err;
        result = rejectRaw(before, input, { stage: 'prioritize', errors: [{ path: '$', message: `prioritizing failed: ${err instanceof Error ? err.message : String(err)}` }] }, nowMs);
        encoded = encodeAll(input, result);
      }
      state = result.state;
      result.outputs.forEach((x, i) => {
        const msg = { key: x.key, value: encoded[i] as Buffer };
        if (x.kind === 'jobs') jobs.push(msg);
        else if (x.kind === 'dlq') {
          dlq.push(msg);
          o.metrics?.deadLetters.inc({ stage: x.value.stage });
        } else {
          const list = byLevel.get(x.kind);
          if (list) list.push(msg);
          else byLevel.set(x.kind, [msg]);
          if (o.metrics) {
            o.metrics.decisions.inc({ level: x.value.level, overridden: String(x.value.overridden) });
            o.metrics.automaticShare.set(automaticShare(state.tally));
            o.metrics.prioritizeLatency.observe({ level: x.value.level }, Math.max(0, x.value.prioritized_at_ms - x.value.published_at_ms) / 1000);
          }
        }
      });
    }
    return [...[...byLevel].map(([kind, messages]) => ({ kind, messages })), { kind: 'jobs' as const, messages: jobs }, { kind: 'dlq' as const, messages: dlq }];
  };

  return {
    ruleSet: currentRules,
    rules: () => rulesView,
    stats: () => ({ tally: state.tally, deadLetters: state.deadLetters, ruleSetVersion: currentRules().version, sources: sources.size }),
    health: () => processor?.health() ?? null,
    start: async () => {
      const view = await followRules({
        kafka: o.kafka,
        registry: o.registry,
        topic: rulesTopic,
        onChange: (set, ev) => {
          o.metrics?.ruleSetVersion.set(set.version);
          log.info({ ruleSetVersion: set.version, rule: ev.rule_id, type: ev.type }, 'rule set changed');
        },
        onError: (err) => log.error({ err }, 'unreadable rule event skipped'),
      });
      rulesView = view;
      tables.push(view);
      const sourcesTable = await followTable({
        kafka: o.kafka,
        topic: o.topology.sources,
        onRecord: async ({ key, value }) => {
          if (key === null) return;
          if (!value) {
            sources.delete(key);
            return;
          }
          try {
            const s = await whileUnavailable(() => o.registry.decode<SourceStatsView>(value));
            sources.set(key, { reliability: s.reliability, ema_latency_ms: s.ema_latency_ms });
          } catch (err) {
            log.error({ err }, 'unreadable source stats skipped');
          }
        },
      });
      tables.push(sourcesTable);
      await Promise.all([view.ready, sourcesTable.ready]);
      if (view.records() === 0 && o.seedGuidelines !== false) {
        const events = loadDefaultGuidelines(clock());
        const enc = await o.registry.encoder<RuleEvent>(valueSubject(rulesTopic));
        const producer = await createProducer({ kafka: o.kafka });
        await producer.send([{ topic: rulesTopic, messages: events.map((e) => ({ key: e.rule_id, value: enc.encode(e) })) }]);
        await producer.close();
        // Decide nothing before the seeded rules are folded in.
        await view.caughtUp(30_000).catch((err: unknown) => log.warn({ err }, 'the seeded guidelines were not folded in within 30 s'));
        log.info({ rules: events.length, topic: rulesTopic }, 'seeded the default guidelines');
      }
      const loop: Parameters<KafkaEdge['transactional']>[0] = {
        groupId: o.groupId ?? PRIORITIZER_GROUP,
        topics: [rawTopic],
        topology: o.topology,
        transactionalId: `gexstream-prioritizer-${o.instanceId ?? '0'}`,
        transform,
        // the raw topic has no priority: smaller per-partition batches let a critical snapshot on one partition wait
        // for less of a backlog on another (kafkajs fetches again only when every batch of the last fetch is handled).
        // bench/e2e, W-day plus a critical snapshot every 100 ms, 4 runs each alternating in one sitting: 256 KiB gave
        // critical publish -> processed p99 372/319/365/281 ms (p50 61/58/67/62) and end to end 24.3/22.4/26.6/24.8 s,
        // against 578/440/504/524 ms (p50 160/125/86/129) and 30.6/23.0/24.7/31.0 s with 1 MiB; 128 and 64 KiB had
        // p99s of 490-890 ms
        maxBytesPerPartition: o.maxBytesPerPartition ?? DEFAULT_RAW_BYTES_PER_PARTITION,
        // a critical snapshot on a quiet partition commits while another partition's backlog is worked through
        concurrency: o.concurrency ?? 3,
        maxMessagesPerTransaction: 500,
        onCrash: ({ error, restart, inMs }) => log.error({ err: error, restart, inMs }, 'prioritizer consumer crashed; restarting'),
        onProducerReset: ({ transactionalId, error }) => log.warn({ err: error, transactionalId }, 'transaction failed; its producer is re-initialised'),
        onStartRetry: ({ error, attempt }) => log.warn({ err: error, attempt }, 'broker unavailable at start-up; waiting for it'),
      };
      processor = await (o.edge ? o.edge.transactional(loop) : createTransactionalProcessor({ kafka: o.kafka, ...loop }));
      await processor.start();
      log.info({ ruleSetVersion: currentRules().version, sources: sources.size }, 'prioritizer started');
    },
    stop: async () => {
      await processor?.stop();
      for (const t of tables) await t.stop();
    },
  };
};
