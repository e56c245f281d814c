// Owns what projector tests share: an isolated set of projected topics, a generated day as the events the pipeline
// would write (the ground truth), and sending those events as Avro through the real broker.
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeValue } from '../../src/domain/decode.js';
import { deadLetter, type DeadLetter } from '../../src/domain/deadLetter.js';
import { generatePayloads } from '../../src/domain/generator.js';
import { jobEvent, prioritizedSnapshot, type JobEvent } from '../../src/domain/prioritized.js';
import { normalise, processedSnapshot, type ProcessedEnvelope, type ProcessedSnapshot } from '../../src/domain/processed.js';
import { v2Wire } from '../../src/registry/columnarSnapshot.js';
import type { RuleEvent } from '../../src/domain/priority/ruleSet.js';
import { LEVELS } from '../../src/domain/priority/level.js';
import { evolveSourceStats, initialSourceStats, type SourceStats } from '../../src/domain/processing/sourceStats.js';
import { createTopicAdmin } from '../../src/kafka/admin.js';
import { createProducer, type OutMessage } from '../../src/kafka/producer.js';
import { loadDefaultGuidelines } from '../../src/pipelines/prioritize.js';
import type { ProjectedTopics } from '../../src/pipelines/project.js';
import { PROJECTED_KINDS } from '../../src/domain/projection/projection.js';
import { levelKind } from '../../src/domain/topicKind.js';
import type { Topology } from '../../src/domain/topology.js';
import { applyTopics } from '../../src/pipelines/topics.js';
import { loadTopology } from '../../src/resources.js';
import { eventually, kafka, registry, unique } from './env.js';

export interface IsolatedProjection {
  readonly prefix: string;
  readonly topics: ProjectedTopics;
  /** Every kind under the prefix (`run --topic-prefix` lays out the same names): what the roles are given. */
  readonly topology: Topology;
  readonly cleanup: () => Promise<void>;
}

/** The projected kinds' topics as a plain record (a Topology also holds functions: not for Object.values). */
export const projectedTopics = (topology: Topology): ProjectedTopics => Object.fromEntries(PROJECTED_KINDS.map((k) => [k, topology[k]])) as ProjectedTopics;

/** PREFIX.processed, .jobs, .rules, .sources, .dlq with the shipped configs and value schemas. */
export const isolatedProjection = async (name: string, partitions = 3): Promise<IsolatedProjection> => {
  const prefix = unique(`test.${name}.proj`);
  const topology = loadTopology(prefix);
  await applyTopics({
    kafka: kafka(),
    specs: PROJECTED_KINDS.map((k) => {
      const s = topology.spec(k);
      return { ...s, name: topology[k], partitions: k === 'processed' || k === 'jobs' || k === 'dlq' ? partitions : s.partitions };
    }),
  });
  for (const k of PROJECTED_KINDS) {
    const declared = topology.spec(k).name;
    // a registry restarted on its kept topic (kafkasql) answers before it has reloaded: wait until the schema is listed
    const s = await eventually(`the schema of ${declared} (run gexstream schemas register if it never comes)`, async () => (await registry.latest(`${declared}-value`)) ?? undefined, 60_000, 500);
    await registry.register(`${topology[k]}-value`, s.schema);
  }
  return {
    prefix,
    topics: projectedTopics(topology),
    topology,
    cleanup: async () => {
      const admin = await createTopicAdmin({ kafka: kafka() });
      await admin.deleteTopics(PROJECTED_KINDS.map((k) => topology[k])).catch(() => undefined);
      await admin.close();
    },
  };
};

export interface Truth {
  readonly processed: ProcessedSnapshot[];
  readonly jobs: JobEvent[];
  readonly rules: RuleEvent[];
  readonly sources: SourceStats[];
  readonly deadLetters: DeadLetter[];
}

/** `count` snapshots over three tickers as the processor would write them, with their job events, rules, source stats and a few dead letters. */
export const generatedDay = ({ seed, count, strikes = 20, from = 0 }: { seed: number; count: number; strikes?: number; from?: number }): Truth => {
  const processed: ProcessedSnapshot[] = [];
  const jobs: JobEvent[] = [];
  let stats = initialSourceStats('gexbot', 0);
  const sources: SourceStats[] = [];
  let i = 0;
  // a session holds 23,400 snapshots per ticker at 1/s: more need a higher rate
  const ratePerSecond = Math.max(1, Math.ceil((from + count) / 70_200));
  for (const payload of generatePayloads({ seed, tickers: ['SPX', 'NDX', 'QQQ'], count: from + count, strikes, ratePerSecond })) {
    if (i++ < from) continue;
    const d = decodeValue(payload, { dataType: i % 7 === 0 ? 'historical' : 'real_time' }, { nowMs: Date.UTC(2030, 0, 1), maxSkewMs: 0, maxBytes: 1e7 });
    if (isLeft(d)) throw new Error(`generated snapshot ${i} invalid: ${JSON.stringify(d.left[0])}`);
    const level = LEVELS[i % 4] ?? 'low';
    const requestId = `req-${seed}-${i}`;
    const at = d.right.timestamp_ms;
    const p = prioritizedSnapshot({
      snapshot: d.right,
      decision: { level, score: 0.25 + (i % 3) / 4, components: { market_impact: 0.5, freshness: 0.5, source_reliability: 0.9, urgency: 0 }, matched_rules: [], rule_set_version: 1, overridden: false, level_rule: null, errors: [] },
      requestId,
      source: 'gexbot',
      headers: i % 7 === 0 ? { 'gex-lineage-file': 'history.json', 'gex-lineage-sha256': 'ab'.repeat(32), 'gex-lineage-index': String(i), 'gex-import-batch': `batch-${seed}` } : {},
      origin: { topic: 'gex.raw.v1', partition: 0, offset: i },
      publishedAtMs: at,
      receivedAtMs: at + 1,
      prioritizedAtMs: at + 2,
    });
    processed.push(processedSnapshot(p, normalise(p.snapshot), at + 5));
    const base = { requestId, level, ticker: d.right.ticker, source: 'gexbot' };
    jobs.push(jobEvent({ ...base, status: 'QUEUED', atMs: at + 2 }), jobEvent({ ...base, status: 'PROCESSING', atMs: at + 3 }), jobEvent({ ...base, status: 'COMPLETED', atMs: at + 5, records: strikes, durationMs: 2 }));
    stats = evolveSourceStats(stats, { success: true, latencyMs: 2 + (i % 5), atMs: at + 5 });
    if (i % 50 === 0) sources.push(stats);
  }
  sources.push(stats);
  const deadLetters = [0, 1, 2].map((k) =>
    deadLetter({ stage: 'decode', errors: [{ path: '$.ticker', message: `bad ticker ${seed}/${from}/${k}` }], value: Buffer.from(`{"ticker": ${k}}`), origin: { topic: 'gex.raw.v1', partition: 0, offset: 1_000_000 + from + k } }, 1_700_000_000_000 + k),
  );
  return { processed, jobs, rules: from === 0 ? loadDefaultGuidelines(1_700_000_000_000).slice(0, 4) : [], sources, deadLetters };
};

/** Encodes processed snapshots as the processor writes them: io.gexstream.v2.ProcessedSnapshot, strikes as columns. */
export const processedEncoder = async (): Promise<{ encode: (p: ProcessedSnapshot) => Buffer }> => {
  const enc = await v2Wire(registry).encoder<ProcessedEnvelope>(`${loadTopology().processed}-value`);
  return {
    encode: (p) => enc.encode({ ...p, components: p.components ?? null, matched_rules: p.matched_rules ?? [], rule_set_version: p.rule_set_version ?? 0 }, p.snapshot),
  };
};

/** Sends the events as Avro (the shipped schemas) to the isolated topics, keyed as the pipeline keys them. */
export const sendTruth = async (topics: ProjectedTopics, t: Truth, extra: { processed?: OutMessage[] } = {}): Promise<void> => {
  const enc = {
    // the isolated topics' subjects hold the declared topics' schemas (isolatedProjection registers them)
    processed: await processedEncoder(),
    jobs: await registry.encoder<JobEvent>(`${topics.jobs}-value`),
    rules: await registry.encoder<RuleEvent>(`${topics.rules}-value`),
    sources: await registry.encoder<SourceStats>(`${topics.sources}-value`),
    dlq: await registry.encoder<DeadLetter>(`${topics.dlq}-value`),
  };
  const producer = await createProducer({ kafka: kafka() });
  const chunks = <T>(xs: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, k) => xs.slice(k * n, k * n + n));
  try {
    for (const c of chunks(t.processed, 100)) await producer.send([{ topic: topics.processed, messages: c.map((p) => ({ key: p.snapshot.ticker, value: enc.processed.encode(p) })) }]);
    if (extra.processed?.length) await producer.send([{ topic: topics.processed, messages: extra.processed }]);
    for (const c of chunks(t.jobs, 2000)) await producer.send([{ topic: topics.jobs, messages: c.map((j) => ({ key: j.job_id, value: enc.jobs.encode(j) })) }]);
    if (t.rules.length) await producer.send([{ topic: topics.rules, messages: t.rules.map((r) => ({ key: r.rule_id, value: enc.rules.encode(r) })) }]);
    await producer.send([{ topic: topics.sources, messages: t.sources.map((s) => ({ key: s.source, value: enc.sources.encode(s) })) }]);
    await producer.send([{ topic: topics.dlq, messages: t.deadLetters.map((d) => ({ key: d.dead_letter_id, value: enc.dlq.encode(d) })) }]);
  } finally {
    await producer.close();
  }
};

/** Waits until the end offsets of every topic are what `positions` reports (the projector has committed everything). */
export const caughtUp = async (topics: ProjectedTopics, positions: () => ReadonlyMap<string, number>): Promise<boolean> => {
  const admin = kafka().admin();
  await admin.connect();
  try {
    for (const t of Object.values(topics))
      for (const o of await admin.fetchTopicOffsets(t)) {
        const high = Number(o.high);
        // the last offset or two may be a transaction marker that is never delivered
        if (high > Number(o.low) && (positions().get(`${t}:${o.partition}`) ?? 0) < high) return false;
      }
    return true;
  } finally {
    await admin.disconnect();
  }
};

export interface IsolatedPipeline extends IsolatedProjection {
  readonly raw: string;
  readonly levelTopic: (l: (typeof LEVELS)[number]) => string;
}

/** The whole pipeline's topics under one prefix: raw, the four levels, and the projected topics (processed, jobs, rules, sources, dlq). */
export const isolatedPipeline = async (name: string, partitions = 3): Promise<IsolatedPipeline> => {
  const proj = await isolatedProjection(name, partitions);
  const { topology } = proj;
  const raw = topology.raw;
  const levelTopic = topology.level;
  await applyTopics({ kafka: kafka(), specs: [{ ...topology.spec('raw'), name: raw, partitions }, ...LEVELS.map((l) => ({ ...topology.spec(levelKind(l)), name: levelTopic(l), partitions }))] });
  for (const l of LEVELS) {
    const s = await registry.latest(`${topology.spec(levelKind(l)).name}-value`);
    if (s) await registry.register(`${levelTopic(l)}-value`, s.schema);
  }
  return {
    ...proj,
    raw,
    levelTopic,
    cleanup: async () => {
      await proj.cleanup();
      const admin = await createTopicAdmin({ kafka: kafka() });
      await admin.deleteTopics([raw, ...LEVELS.map(levelTopic)]).catch(() => undefined);
      await admin.close();
    },
  };
};
