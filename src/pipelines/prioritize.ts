// Owns the prioritizer service: gex.raw.v1 -> decode -> rules + score -> gex.priority.<level>.v1 + JobQueued, exactly once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { deadLetter, type DeadLetter } from '../domain/deadLetter.js';
import { decodeRaw } from '../domain/decode.js';
import type { PathError } from '../domain/errors.js';
import { decodeHeaders, H, locateInHeaders } from '../domain/headers.js';
import { jobEvent, levelTopic, lineageOf, prioritizedSnapshot, requestIdOf, type JobEvent, type PrioritizedSnapshot } from '../domain/prioritized.js';
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
import { followRules, RULES_TOPIC, type RuleView } from './rules.js';
import { createTransactionalProcessor, type InMessage, type TransactionalProcessor } from '../kafka/transactional.js';
import type { ConsumerHealth } from '../domain/processing/health.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { whileUnavailable, type AvroEncoder, type Registry } from '../registry/registry.js';
import { packageRoot } from '../stack/paths.js';
import { DLQ_TOPIC, RAW_TOPIC } from './publish.js';
import { valueSubject } from './schemas.js';

export { RULES_TOPIC } from './rules.js';
export const SOURCES_TOPIC = 'gex.sources.v1';
export const JOBS_TOPIC = 'gex.jobs.v1';
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
  /** Seed the default guidelines when gex.rules.v1 is empty (default true). */
  readonly seedGuidelines?: boolean;
  readonly rawTopic?: string;
  readonly rulesTopic?: string;
  readonly groupId?: string;
  readonly metrics?: Metrics;
  /** Output topics (defaults gex.priority.<level>.v1, gex.jobs.v1, gex.dlq.v1): a second environment or a test on one cluster. */
  readonly topicOf?: (level: Level) => string;
  readonly jobsTopic?: string;
  readonly dlqTopic?: string;
  /** Raw bytes fetched per partition and batch (default 1 MiB). */
  readonly maxBytesPerPartition?: number; // bytes
  /** Raw partitions handled at once, one transactional producer each (default 3; keep it stable per instance). */
  readonly concurrency?: number;
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
  const rawTopic = o.rawTopic ?? RAW_TOPIC;
  const rulesTopic = o.rulesTopic ?? RULES_TOPIC;
  const log = o.logger.child({ role: 'prioritizer' });

  const levelEnc = new Map<Level, AvroEncoder<PrioritizedSnapshot>>();
  const topicOf = o.topicOf ?? levelTopic;
  const jobsTopic = o.jobsTopic ?? JOBS_TOPIC;
  const dlqTopic = o.dlqTopic ?? DLQ_TOPIC;
  // a registry that is down or still loading at start-up is waited for a while (about a minute), then start-up fails
  const startUp = { attempts: 18 };
  for (const l of LEVELS) levelEnc.set(l, await whileUnavailable(() => o.registry.encoder<PrioritizedSnapshot>(valueSubject(topicOf(l))), startUp));
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

  const transform = async (batch: readonly InMessage[]) => {
    const receivedAtMs = clock();
    const byLevel = new Map<Level, OutMessage[]>();
    const jobs: OutMessage[] = [];
    const dlq: OutMessage[] = [];
    for (const m of batch) {
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
    return [...[...byLevel].map(([level, messages]) => ({ topic: topicOf(level), messages })), { topic: jobsTopic, messages: jobs }, { topic: dlqTopic, messages: dlq }];
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
    const encoded = (levelEnc.get(out.level) as AvroEncoder<PrioritizedSnapshot>).encode(out);
    if (encoded.length > maxOutputBytes) {
      // would be refused by the level topic and block the partition: a dead letter instead
      return { rejected: { stage: 'prioritize', errors: [{ path: '$', message: `the prioritized record of ${encoded.length} bytes exceeds the ${maxOutputBytes}-byte limit of ${topicOf(out.level)}` }] } };
    }
    const job = jobEnc.encode(jobEvent({ status: 'QUEUED', requestId, level: out.level, ticker: snapshot.ticker, source, atMs: out.prioritized_at_ms }));
    return { level: out.level, record: { key: snapshot.ticker, value: encoded }, job: { key: requestId, value: job }, decision, publishedAtMs, prioritizedAtMs: now };
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
        topic: SOURCES_TOPIC,
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
      processor = await createTransactionalProcessor({
        kafka: o.kafka,
        groupId: o.groupId ?? PRIORITIZER_GROUP,
        topics: [rawTopic],
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
      });
      await processor.start();
      log.info({ ruleSetVersion: currentRules().version, sources: sources.size }, 'prioritizer started');
    },
    stop: async () => {
      await processor?.stop();
      for (const t of tables) await t.stop();
    },
  };
};
