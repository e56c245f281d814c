// Owns what the broker-backed benchmarks share: the W-day data set, medians, isolated topics, RSS.
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePayloads } from '../src/domain/generator.js';
import { loadConfig } from '../src/config.js';
import { createKafka } from '../src/kafka/client.js';
import type { GexProducer } from '../src/kafka/producer.js';
import { createTopicAdmin } from '../src/kafka/admin.js';
import { applyTopics } from '../src/pipelines/topics.js';
import { loadTopology } from '../src/resources.js';
import type { TopicKind } from '../src/domain/topicKind.js';
import { spawnRun } from '../tests/support/pipeline.js';

export const config = loadConfig();
export const kafka = () => createKafka({ brokers: config.brokers, clientId: 'gexstream-bench', compression: config.compression });

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** W-day: one feed for a whole trading day, 23,400 snapshots x 100 strikes, written once to the cache as JSONL. */
export const wdayFile = (count = 23_400, strikes = 100): string => {
  const dir = join(config.cacheDir, 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `wday-${count}x${strikes}.jsonl`);
  if (!existsSync(file)) {
    const lines: string[] = [];
    for (const p of generatePayloads({ seed: 1, tickers: ['SPX'], count, strikes })) lines.push(JSON.stringify(p));
    writeFileSync(file, `${lines.join('\n')}\n`);
  }
  return file;
};

/** The declared topology (topics/*.json): a bench swaps scratch topics in for some kinds with `overriding`. */
export const declared = loadTopology();

/** A fresh topic with the configs of the topic that plays `kind`. */
export const scratchTopic = async (name: string, partitions: number, kind: TopicKind = 'raw'): Promise<string> => {
  const spec = declared.spec(kind);
  const topic = `bench.${name}.${Date.now().toString(36)}`;
  await applyTopics({ kafka: kafka(), specs: [{ ...spec, name: topic, partitions }] });
  return topic;
};

export const dropTopics = async (topics: string[]): Promise<void> => {
  const admin = await createTopicAdmin({ kafka: kafka() });
  await admin.deleteTopics(topics).catch(() => undefined);
  await admin.close();
};

export const rssMb = (): number => process.memoryUsage().rss / 1e6;
export const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/**
 * Runs `gexstream run ARGS` as a child, SIGKILLs it `kills` times at seeded random moments (1-5 s apart) and restarts it
 * each time, until `consumed()` reaches `total`; then stops it with SIGTERM. Returns the wall time and, per kill, the
 * time from the restart until committed progress resumed.
 */
export const runWithRandomKills = async ({ args, total, consumed, kills, seed }: { args: string[]; total: number; consumed: () => Promise<number>; kills: number; seed: number }): Promise<{ elapsed: number; recoveries: number[] }> => {
  let rnd = seed;
  const random = (): number => ((rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const t0 = Date.now();
  const recoveries: number[] = [];
  let child = spawnRun(args);
  for (let k = 0; k < kills; k++) {
    await new Promise((r) => setTimeout(r, 1_000 + random() * 4_000));
    const before = await consumed();
    if (before >= total) break;
    child.kill('SIGKILL');
    await once(child, 'exit');
    const restartedAt = Date.now();
    child = spawnRun(args);
    while ((await consumed()) <= before) await new Promise((r) => setTimeout(r, 50));
    recoveries.push(Date.now() - restartedAt);
    process.stderr.write(`kill ${k + 1}/${kills} at ${before} committed; progress again after ${recoveries.at(-1)} ms\n`);
  }
  while ((await consumed()) < total) await new Promise((r) => setTimeout(r, 200));
  const elapsed = (Date.now() - t0) / 1000;
  child.kill('SIGTERM');
  await once(child, 'exit');
  return { elapsed, recoveries };
};

/** The bare ceiling of a produce: record bytes in ~1 MiB sends, key SPX, no headers; resolves with the seconds taken. */
export const bareProduce = async (producer: GexProducer, topic: string, records: ReadonlyArray<{ bytes: Buffer }>): Promise<number> => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < records.length; ) {
    const batch = [];
    let size = 0;
    while (i < records.length && size < 1024 * 1024) {
      const rec = records[i++];
      if (!rec) break;
      batch.push({ key: 'SPX', value: rec.bytes });
      size += rec.bytes.length;
    }
    await producer.send([{ topic, messages: batch }]);
  }
  return Number(process.hrtime.bigint() - t) / 1e9;
};
