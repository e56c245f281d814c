// Owns what processor tests share: isolated level/processed/sources/jobs/dlq topics and prioritized snapshots built for them.
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeValue } from '../../src/domain/decode.js';
import { generatePayloads } from '../../src/domain/generator.js';
import { prioritizedSnapshot, type PrioritizedEnvelope, type PrioritizedSnapshot } from '../../src/domain/prioritized.js';
import type { ProcessedEnvelope, ProcessedSnapshot } from '../../src/domain/processed.js';
import { loadTopology } from '../../src/resources.js';
import { decodeSnapshot, v2Wire } from '../../src/registry/columnarSnapshot.js';
import type { Level } from '../../src/domain/priority/level.js';
import type { Topology } from '../../src/domain/topology.js';
import { createProducer } from '../../src/kafka/producer.js';
import { readToEnd } from '../../src/kafka/reader.js';
import { kafka, registry, unique } from './env.js';
import { isolatedPipeline } from './projection.js';

export interface Lanes {
  readonly prefix: string;
  readonly topicOf: (l: Level) => string;
  readonly processed: string;
  readonly sources: string;
  readonly jobs: string;
  readonly dlq: string;
  /** Every kind under the prefix: what a processor is given. */
  readonly topology: Topology;
  readonly groupPrefix: string;
  readonly cleanup: () => Promise<void>;
}

/**
 * Every topic a processor writes under one prefix (`--topic-prefix` lays out the same names), so a suite never reads
 * a shared topic: on a shared jobs topic a transaction left open by another suite's killed process holds read_committed
 * readers until it times out.
 */
export const isolatedLanes = async (name: string, partitions = 3): Promise<Lanes> => {
  const p = await isolatedPipeline(name, partitions);
  return {
    prefix: p.prefix,
    topicOf: p.levelTopic,
    processed: p.topics.processed,
    sources: p.topics.sources,
    jobs: p.topics.jobs,
    dlq: p.topics.dlq,
    topology: p.topology,
    groupPrefix: unique(`test.${name}.proc`),
    cleanup: p.cleanup,
  };
};

const template = (() => {
  const [p] = [...generatePayloads({ seed: 4, tickers: ['SPX'], count: 1, strikes: 5 })];
  const d = decodeValue(p, { dataType: 'real_time' }, { nowMs: Date.UTC(2030, 0, 1), maxSkewMs: 0, maxBytes: 1e6 });
  if (isLeft(d)) throw new Error('template snapshot invalid');
  return d.right;
})();

/** A prioritized snapshot for `level` from `source`, with request id `id`, published now. */
export const prioritized = (id: string, level: Level, source = 'gexbot', ticker = 'SPX', publishedAtMs = Date.now()): PrioritizedSnapshot =>
  prioritizedSnapshot({
    snapshot: { ...template, ticker },
    decision: { level, score: 0.5, components: { market_impact: 0.5, freshness: 0.5, source_reliability: 0.9, urgency: 0 }, matched_rules: [], rule_set_version: 0, overridden: false, level_rule: null, errors: [] },
    requestId: id,
    source,
    headers: {},
    origin: { topic: 'test', partition: 0, offset: 0 },
    publishedAtMs,
    receivedAtMs: publishedAtMs,
    prioritizedAtMs: publishedAtMs,
  });

const wire = v2Wire(registry);

/** Encodes prioritized snapshots as the prioritizer writes them: io.gexstream.v2.PrioritizedSnapshot, strikes as columns. */
export const prioritizedEncoder = async (): Promise<{ encode: (p: PrioritizedSnapshot) => Buffer }> => {
  const enc = await wire.encoder<PrioritizedEnvelope>(`${loadTopology().level('low')}-value`);
  return { encode: (p) => enc.encode(p, p.snapshot) };
};

export const sendPrioritized = async (topic: string, values: readonly PrioritizedSnapshot[]): Promise<void> => {
  const enc = await prioritizedEncoder();
  const producer = await createProducer({ kafka: kafka() });
  try {
    let batch: Array<{ key: string; value: Buffer }> = [];
    let bytes = 0;
    for (const v of values) {
      const value = enc.encode(v);
      batch.push({ key: v.snapshot.ticker, value });
      bytes += value.length;
      if (batch.length >= 5000 || bytes >= 2 * 1024 * 1024) {
        await producer.send([{ topic, messages: batch }]);
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length > 0) await producer.send([{ topic, messages: batch }]);
  } finally {
    await producer.close();
  }
};

/** A processed v2 message decoded: the envelope, then the snapshot's columns. */
export const decodeProcessed = async (buf: Buffer): Promise<ProcessedSnapshot> => {
  const head = await wire.decodeEnvelope<ProcessedEnvelope>(buf);
  return { ...head.envelope, snapshot: decodeSnapshot(head.bytes, head.snapshotAt).snapshot };
};

export const readProcessed = async (topic: string): Promise<ProcessedSnapshot[]> => {
  const out: ProcessedSnapshot[] = [];
  await readToEnd(kafka(), topic, async (m) => {
    if (m.value) out.push(await decodeProcessed(m.value));
  }, { idleMs: 800 });
  return out;
};
