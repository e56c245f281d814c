// Owns hand-built sample values that conform to the Avro schemas, for tests that do not need the decoder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const fixture = JSON.parse(readFileSync(join(process.cwd(), 'fixtures', 'gexbot-classic-spx.json'), 'utf8')) as {
  ticker: string; timestamp: number; spot: number; zero_gamma: number; strikes: [number, number, number, number[]][];
};

/** The shared SPX fixture as a (partial) canonical snapshot; omitted nullable fields take their Avro default (null). */
export const sampleSnapshot = () => ({
  ticker: fixture.ticker,
  kind: 'gexbot_classic',
  category: 'full',
  data_type: 'real_time' as const,
  timestamp_ms: fixture.timestamp * 1000,
  spot: fixture.spot,
  zero_gamma: fixture.zero_gamma,
  max_priors: { current: { strike: 7140, change: 170979.742 }, one: { strike: 7135, change: 1145886.722 }, five: null, ten: null, fifteen: null, thirty: null },
  strikes: fixture.strikes.map(([strike, gex_vol, gex_oi, priors]) => ({ strike, gex_vol, gex_oi, priors })),
  orderflow: null,
  extras_json: null,
  derived: null,
});

export const sampleProcessed = (i = 0) => ({
  request_id: `req-${i}`,
  job_id: `job-${i}`,
  level: 'critical' as const,
  score: 0.91,
  source: 'gexbot',
  lineage: { file: 'fixtures/gexbot-classic-spx.json', sha256: 'ab'.repeat(32), index: i, batch: null },
  published_at_ms: 1777492800000 + i,
  prioritized_at_ms: 1777492800010 + i,
  processed_at_ms: 1777492800020 + i,
  quality_score: 0.97,
  snapshot: sampleSnapshot(),
});
