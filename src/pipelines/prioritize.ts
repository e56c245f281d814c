// Owns the prioritizer service: raw -> decode -> rules + score -> level.<level> (v2, columns) + JobQueued on jobs, exactly once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { deadLetter, type DeadLetter } from '../domain/deadLetter.js';
import { decodeRaw } from '../domain/decode.js';
import type { PathError } from '../domain/errors.js';
import { decodeHeaders, H, locateInHeaders } from '../domain/headers.js';
import { jobEvent, lineageOf, prioritizedSnapshot, requestIdOf, type JobEvent, type PrioritizedEnvelope } from '../domain/prioritized.js';
import { v2Wire, type EnvelopeEncoder } from '../registry/columnarSnapshot.js';
import { decide, initialRuleSet, type Decision, seedRuleEvents, type PriorityConfig, type RuleEvent, type RuleSet, type SourceStatsView } from '../domain/priority/index.js';
import { LEVELS, type Level } from '../domain/priority/level.js';
import type { ExchangeCalendar } from '../domain/calendar.js';
import { loadCalendar } from '../resources.js';
import { automaticShare, evolveTally, initialTally, type DecisionTally } from '../domain/priority/tally.js';
import type { DataType } from '../domain/snapshot.js';
import { peekTicker } from '../domain/records.js';
import type { KafkaClient } from '../kafka/client.js';
import { createProducer, type OutMessage } from '../kafka/producer.js';
import { followTable } from '../kafka/tableReader.js';
import { followRules, type RuleView } from './rules.js';
import { createTimeSlicer } from '../kafka/timeSlice.js';
import { createTransactionalProcessor, type InMessage, type TransactionalProcessor } from '../kafka/transactional.js';
import type { KafkaEdge } from '../kafka/edge.js';
import type { ConsumerHealth } from '../domain/processing/health.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { whileUnavailable, type Registry } from '../registry/registry.js';
import { packageRoot } from '../stack/paths.js';
import type { Topology } from '../domain/topology.js';
import { levelKind } from '../domain/topicKind.js';
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
  let tally = initialTally();
  let deadLetters = 0;
  const tables: Array<{ stop: () => Promise<void> }> = [];
  let rulesView: RuleView | null = null;
  const noRules = initialRuleSet();
  /** The rule set as the live view holds it now (none before start). */
  const currentRules = (): RuleSet => rulesView?.ruleSet() ?? noRules;
  let processor: TransactionalProcessor | undefined;

  /** A failure is the message's own (dead letter) unless it says it is retriable (an infrastructure failure: the batch is retried). */
  const isRetriable = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;

  // a chunk of a back-fill is hundreds of ms of synchronous work: yield every few ms so that another partition's
  // critical snapshot (and every consumer's heartbeat and fetch in this process) does not wait behind it
  const slicer = createTimeSlicer();
  const transform = async (batch: readonly InMessage[]) => {
    const receivedAtMs = clock();
    const byLevel = new Map<Level, OutMessage[]>();
    const jobs: OutMessage[] = [];
    const dlq: OutMessage[] = [];
    for (const m of batch) {
      const turn = slicer.tick();
      if (turn) await turn;
      const origin = { topic: m.topic, partition: m.partition, offset: m.offset };
      const value = m.value ?? Buffer.alloc(0);
      const toDlq = (stage: 'decode' | 'prioritize', errors: { path: string; message: string }[]): void => {
        const input = { stage, errors, value, key: m.key, headers: m.headers, origin, source: m.headers[H.source] ?? 'unknown', ticker: peekTicker(value) ?? null, requestId: requestIdOf(m.headers, origin), lineage: lineageOf(m.headers) };
        let d = deadLetter(input, clock());
        let encoded: Buffer;
        try {
          encoded = dlqEnc.encode(d);
        } catch (err) {
          // deadLetter() sanitizes every field, so this is a bug: still never block the partition on it
          log.error({ err, origin }, 'a dead letter could not be encoded; writing one without headers, key and lineage');
          d = deadLetter({ stage, errors: [...errors.slice(0, 10), { path: '$', message: `(the full dead letter could not be encoded: ${err instanceof Error ? err.message : String(err)})` }], value, origin }, clock());
          encoded = dlqEnc.encode(d);
        }
        dlq.push({ key: d.dead_letter_id, value: encoded });
        deadLetters++;
        o.metrics?.deadLetters.inc({ stage });
      };
      try {
        // every step for one message (headers, decode, rules and score, encodes) fails this message alone
        const out = handle(m, origin, receivedAtMs);
        if (out.rejected) {
          toDlq(out.rejected.stage, out.rejected.errors);
          continue;
        }
        const list = byLevel.get(out.level) ?? [];
        list.push(out.record);
        byLevel.set(out.level, list);
        jobs.push(out.job);
        tally = evolveTally(tally, out.decision);
        if (o.metrics) {
          o.metrics.decisions.inc({ level: out.decision.level, overridden: String(out.decision.overridden) });
          o.metrics.automaticShare.set(automaticShare(tally));
          o.metrics.prioritizeLatency.observe({ level: out.decision.level }, Math.max(0, out.prioritizedAtMs - out.publishedAtMs) / 1000);
        }
      } catch (err) {
        if (isRetriable(err)) throw err;
        toDlq('prioritize', [{ path: '$', message: `prioritizing failed: ${err instanceof Error ? err.message : String(err)}` }]);
      }
    }
    return [...[...byLevel].map(([level, messages]) => ({ kind: levelKind(level), messages })), { kind: 'jobs' as const, messages: jobs }, { kind: 'dlq' as const, messages: dlq }];
  };

  type Handled =
    | { readonly rejected: { stage: 'decode' | 'prioritize'; errors: PathError[] } }
    | { readonly rejected?: undefined; level: Level; record: OutMessage; job: OutMessage; decision: Decision; publishedAtMs: number; prioritizedAtMs: number };

  /** One raw message to its prioritized record and job event, both encoded; or why it is a dead letter. Throws only on bugs and infrastructure. */
  const handle = (m: InMessage, origin: { topic: string; partition: number; offset: number }, receivedAtMs: number): Handled => {
    if (m.value === null) return { rejected: { stage: 'decode', errors: [{ path: '$', message: 'a tombstone (null value) is not a snapshot' }] } };
    const headers = decodeHeaders(m.headers);
    if (isLeft(headers)) return { rejected: { stage: 'decode', errors: headers.left } };
    const h = headers.right;
    const decoded = decodeRaw(m.value, { kind: h.kind ?? undefined, category: h.category ?? undefined, dataType: h.dataType ?? defaultDataType }, { nowMs: receivedAtMs, maxSkewMs, maxBytes });
    if (isLeft(decoded)) return { rejected: { stage: 'decode', errors: locateInHeaders(decoded.left) } };
    const snapshot = decoded.right;
    const source = h.source ?? 'unknown';
    const requestId = h.requestId ?? requestIdOf({}, origin);
    const now = clock();
    const decision = decide({ snapshot, source, headers: m.headers, sourceStats: sources.get(source) ?? null }, currentRules(), o.priority, now, calendar);
    const publishedAtMs = h.publishedAtMs ?? m.timestamp;
    const out = prioritizedSnapshot({ snapshot, decision, requestId, source, headers: m.headers, lineage: h.lineage, origin, publishedAtMs, receivedAtMs, prioritizedAtMs: now });
    const encoded = (levelEnc.get(out.level) as EnvelopeEncoder<PrioritizedEnvelope>).encode(out, snapshot);
    if (encoded.length > maxOutputBytes) {
      // would be refused by the level topic and block the partition: a dead letter instead
      return { rejected: { stage: 'prioritize', errors: [{ path: '$', message: `the prioritized record of ${encoded.length} bytes exceeds the ${maxOutputBytes}-byte limit of ${topicOf(out.level)}` }] } };
    }
    const job = jobEnc.encode(jobEvent({ status: 'QUEUED', requestId, level: out.level, ticker: snapshot.ticker, source, atMs: out.prioritized_at_ms }));
    return { level: out.level, record: { key: snapshot.ticker, value: encoded }, job: { key: snapshot.ticker, value: job }, decision, publishedAtMs, prioritizedAtMs: now };
  };

  return {
    ruleSet: currentRules,
    rules: () => rulesView,
    stats: () => ({ tally, deadLetters, ruleSetVersion: currentRules().version, sources: sources.size }),
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
        // the raw topic has no priority: smaller per-partition batches and transactions let a critical snapshot on one
        // partition wait for less of a backlog on another (kafkajs handles a fetch's partitions one after the other)
        maxBytesPerPartition: o.maxBytesPerPartition ?? 1024 * 1024,
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
