// Owns what the broker-backed benchmarks share: the W-day data set, medians, isolated topics, RSS.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePayloads } from '../src/domain/generator.js';
import { loadConfig } from '../src/config.js';
import { createKafka } from '../src/kafka/client.js';
import { createTopicAdmin } from '../src/kafka/admin.js';
import { applyTopics } from '../src/pipelines/topics.js';
import { loadTopicSpecs } from '../src/resources.js';

export const config = loadConfig();
export const kafka = () => createKafka({ brokers: config.brokers, clientId: 'gexstream-bench' });

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

export const scratchTopic = async (name: string, partitions: number, base = 'gex.raw.v1'): Promise<string> => {
  const spec = loadTopicSpecs().find((s) => s.name === base);
  if (!spec) throw new Error(`no spec ${base}`);
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
