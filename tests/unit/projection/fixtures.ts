// Hand-built event values for the projection tests.
import { deadLetter, type DeadLetter } from '../../../src/domain/deadLetter.js';
import { jobEvent, type JobEvent, type JobStatus } from '../../../src/domain/prioritized.js';
import type { RuleEvent } from '../../../src/domain/priority/ruleSet.js';
import { processedSnapshot } from '../../../src/domain/processed.js';
import type { PrioritizedSnapshot } from '../../../src/domain/prioritized.js';
import type { SourceStats } from '../../../src/domain/processing/sourceStats.js';
import { blankSnapshot, blankStrike } from '../../../src/domain/snapshot.js';
// a processed record decoded whole (any writer schema other than v2, e.g. v1) carries its strikes as rows; v2 records are read as columns in place
import { fromRowSnapshot, type ProcessedSnapshotV1 as ProcessedSnapshot, type RowSnapshot } from '../../../src/domain/v1Strikes.js';

/** 2024-03-15T23:59:00Z: late enough that a local-time date would differ east of UTC. */
export const TS = Date.UTC(2024, 2, 15, 23, 59, 0);

export const snapshot = (ticker = 'SPX', ts = TS): RowSnapshot => ({
  ...blankSnapshot({ ticker, kind: 'gexbot_classic', category: 'full', data_type: 'real_time', timestamp_ms: ts }),
  spot: 5100.25,
  zero_gamma: 5080,
  sum_gex_vol: 12.5,
  strikes: [
    { ...blankStrike(5000), gex_vol: -1.5, gex_oi: 2, priors: [0.1, -0.2, 3] },
    { ...blankStrike(5100), gex_vol: 4, gex_oi: null, priors: [] },
    { ...blankStrike(5200), gex_vol: 0.25, gex_oi: -7, priors: [1] },
  ],
});

export const processed = (requestId = 'req-00000001', opts: { ticker?: string; withLineage?: boolean; processedAt?: number } = {}): ProcessedSnapshot => {
  const snap = snapshot(opts.ticker ?? 'SPX');
  const p = {
    request_id: requestId,
    level: 'high',
    score: 71.5,
    source: 'gexbot',
    lineage: opts.withLineage === false ? null : { file: 'data/spx.jsonl', sha256: 'ab'.repeat(32), index: 42, batch: 'import-7' },
    published_at_ms: TS + 1000,
    prioritized_at_ms: TS + 1500,
  } as unknown as PrioritizedSnapshot;
  // a decision without components or matched rules: the record as written before ProcessedSnapshot carried them
  const { components: _c, matched_rules: _m, ...before } = processedSnapshot({ ...p, components: { market_impact: 0, freshness: 0, source_reliability: 0, urgency: 0 }, matched_rules: [], rule_set_version: 0 }, fromRowSnapshot(snap), opts.processedAt ?? TS + 2000);
  return { ...before, snapshot: snap };
};

export const job = (status: JobStatus, atMs: number, retryCount = 0, requestId = 'req-00000001'): JobEvent =>
  jobEvent({ status, requestId, level: 'high', ticker: 'SPX', source: 'gexbot', atMs, retryCount, error: status === 'FAILED' ? 'boom' : null });

export const rule = (type: RuleEvent['type'], version: number, atMs: number, ruleId = 'spx-critical'): RuleEvent => ({
  type,
  rule_id: ruleId,
  at_ms: atMs,
  actor: 'ops',
  rule: {
    rule_id: ruleId,
    name: 'SPX is critical',
    description: `v${version}`,
    condition: 'ticker == "SPX"',
    score: null,
    level: 'critical',
    adjust: null,
    active: true,
    created_at_ms: 1000,
    updated_at_ms: atMs,
    version,
  },
});

export const source = (name: string, total: number, successful: number, atMs: number): SourceStats => ({
  source: name,
  total_requests: total,
  successful_requests: successful,
  reliability: total === 0 ? 1 : successful / total,
  ema_latency_ms: 12.5 * total,
  breaker: 'closed',
  last_success_ms: successful > 0 ? atMs : null,
  updated_at_ms: atMs,
});

export const dead = (offset: number): DeadLetter =>
  deadLetter(
    {
      stage: 'decode',
      errors: [{ path: 'strikes[3][1]', message: 'expected number, got "abc"' }],
      value: Buffer.from(`{"bad":${offset}}`),
      origin: { topic: 'gex.raw.v1', partition: 0, offset },
      ticker: 'SPX',
    },
    TS + offset,
  );
