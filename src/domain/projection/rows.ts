// Owns the mapping of each projected event value to the table rows it produces (pure, deterministic), and of a
// processed snapshot's strikes to columns: the one place that reads the decoded processed record.
import type { DeadLetter } from '../deadLetter.js';
import type { JobEvent } from '../prioritized.js';
import type { RuleEvent } from '../priority/ruleSet.js';
// a processed record decoded whole (any writer schema other than v2, e.g. v1) carries its strikes as rows; v2 records are read as columns in place
import type { ProcessedSnapshotV1 as ProcessedSnapshot } from '../v1Strikes.js';
import type { SourceStats } from '../processing/sourceStats.js';
import type { Strike } from '../snapshot.js';
import type { StrikeColumnsBuilder } from './strikeColumns.js';
import { viewOfStrikes, type ProcessedColumnar } from './strikeColumnsReader.js';
import type { Row } from './tables.js';

/** 'YYYY-MM-DD' of an epoch-ms instant in UTC; null when the instant is not a valid date. */
export const utcDate = (ms: number): string | null => {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().slice(0, 10);
};

export interface ProcessedRows {
  readonly priority_requests: Row[];
  readonly gex_snapshots: Row[];
  readonly gex_strikes: Row[];
  readonly lineage: Row[];
}

/** Where a consumed message sits in its topic. */
export interface At {
  readonly partition: number;
  readonly offset: number;
}

/** The rows of a processed snapshot other than its strikes (one request, one snapshot, its lineage if any). */
export interface SnapshotRows {
  readonly priority_requests: Row[];
  readonly gex_snapshots: Row[];
  readonly lineage: Row[];
}

/** Strikes of a snapshot however they are held: rows (v1 records), in-memory columns or a view (both with a count). */
const strikeCount = (strikes: unknown): number => (Array.isArray(strikes) ? strikes.length : (strikes as { readonly count: number }).count);

/** `at` is the message's position: the snapshot row keeps it (internal columns, see tables.ts). */
export const snapshotRowsOf = (p: ProcessedSnapshot | ProcessedColumnar | import('../processed.js').ProcessedSnapshot, at?: At): SnapshotRows => {
  const s = p.snapshot;
  const date = utcDate(s.timestamp_ms);
  return {
    priority_requests: [
      {
        request_id: p.request_id,
        ticker: s.ticker,
        source: p.source,
        data_type: s.data_type,
        level: p.level,
        score: p.score,
        published_at_ms: p.published_at_ms,
        prioritized_at_ms: p.prioritized_at_ms,
        processed_at_ms: p.processed_at_ms,
        market_impact: p.components?.market_impact ?? null,
        freshness: p.components?.freshness ?? null,
        source_reliability: p.components?.source_reliability ?? null,
        urgency: p.components?.urgency ?? null,
        matched_rules: JSON.stringify(p.matched_rules ?? []),
        rule_set_version: p.rule_set_version ?? null,
      },
    ],
    gex_snapshots: [
      {
        request_id: p.request_id,
        job_id: p.job_id,
        ticker: s.ticker,
        kind: s.kind,
        category: s.category,
        data_type: s.data_type,
        timestamp_ms: s.timestamp_ms,
        snapshot_date: date,
        spot: s.spot,
        zero_gamma: s.zero_gamma,
        major_pos_vol: s.major_pos_vol,
        major_pos_oi: s.major_pos_oi,
        major_neg_vol: s.major_neg_vol,
        major_neg_oi: s.major_neg_oi,
        sum_gex_vol: s.sum_gex_vol,
        sum_gex_oi: s.sum_gex_oi,
        net_gex_vol: s.net_gex_vol,
        net_gex_oi: s.net_gex_oi,
        delta_risk_reversal: s.delta_risk_reversal,
        derived_net_gex: s.derived?.net_gex ?? null,
        derived_zero_gamma: s.derived?.zero_gamma ?? null,
        quality_score: p.quality_score,
        strike_count: strikeCount(s.strikes),
        level: p.level,
        score: p.score,
        published_at_ms: p.published_at_ms,
        prioritized_at_ms: p.prioritized_at_ms,
        processed_at_ms: p.processed_at_ms,
        src_partition: at?.partition ?? null,
        src_offset: at?.offset ?? null,
      },
    ],
    lineage:
      p.lineage === null
        ? []
        : [{ request_id: p.request_id, file: p.lineage.file, sha256: p.lineage.sha256, idx: p.lineage.index, batch: p.lineage.batch, ticker: s.ticker }],
  };
};

/** A snapshot's strike rows into chunks (benches and cold paths; the projector appends views of its messages). */
export const appendStrikes = (b: StrikeColumnsBuilder, snap: number, strikes: readonly Strike[]): void => b.view(snap, viewOfStrikes(strikes));

/** The wide strike rows of a snapshot (the gex_strikes view's shape): the reference the columns are checked against. */
export const strikeRowsOf = (p: ProcessedSnapshot, at?: At): Row[] => {
  const s = p.snapshot;
  const date = utcDate(s.timestamp_ms);
  return s.strikes.map((k) => ({
    request_id: p.request_id,
    strike: k.strike,
    gex_vol: k.gex_vol,
    gex_oi: k.gex_oi,
    priors: [...k.priors],
    call_oi: k.call_oi,
    put_oi: k.put_oi,
    call_volume: k.call_volume,
    put_volume: k.put_volume,
    call_bid: k.call_bid,
    call_ask: k.call_ask,
    put_bid: k.put_bid,
    put_ask: k.put_ask,
    gamma: k.gamma,
    delta: k.delta,
    theta: k.theta,
    vega: k.vega,
    call_gex: k.call_gex,
    put_gex: k.put_gex,
    net_gex: k.net_gex,
    ticker: s.ticker,
    snapshot_date: date,
    src_partition: at?.partition ?? null,
    src_offset: at?.offset ?? null,
  }));
};

/** Every row of a processed snapshot, strikes wide (the pure fold's reference model). */
export const rowsOfProcessed = (p: ProcessedSnapshot, at?: At): ProcessedRows => ({ ...snapshotRowsOf(p, at), gex_strikes: strikeRowsOf(p, at) });

/** A job event's identity: one row per status change, so a replayed event lands on the same row. */
export const jobEventKey = (e: JobEvent): string => `${e.job_id}|${e.status}|${e.retry_count}|${e.at_ms}`;

export const rowsOfJob = (e: JobEvent): { readonly processing_jobs: Row[] } => ({
  processing_jobs: [
    {
      event_key: jobEventKey(e),
      job_id: e.job_id,
      request_id: e.request_id,
      status: e.status,
      level: e.level,
      ticker: e.ticker,
      source: e.source,
      at_ms: e.at_ms,
      retry_count: e.retry_count,
      records_processed: e.records_processed,
      data_size_bytes: e.data_size_bytes,
      duration_ms: e.duration_ms,
      error_message: e.error_message,
      next_attempt_at_ms: e.next_attempt_at_ms,
    },
  ],
});

/** One row per rule event (the rules' history); the event's key names the rule, and a disabled rule is inactive, as the rule set folds it. */
export const rowsOfRule = (e: RuleEvent): { readonly priority_rules: Row[] } => ({
  priority_rules: [
    {
      rule_id: e.rule_id,
      type: e.type,
      version: e.rule.version,
      at_ms: e.at_ms,
      actor: e.actor,
      name: e.rule.name,
      description: e.rule.description,
      condition: e.rule.condition,
      score: e.rule.score,
      level: e.rule.level,
      adjust: e.rule.adjust,
      active: e.type === 'RuleDisabled' ? false : e.rule.active,
      created_at_ms: e.rule.created_at_ms,
      updated_at_ms: e.rule.updated_at_ms,
    },
  ],
});

export const rowsOfSource = (s: SourceStats): { readonly data_sources: Row[] } => ({
  data_sources: [
    {
      source: s.source,
      total_requests: s.total_requests,
      successful_requests: s.successful_requests,
      reliability: s.reliability,
      ema_latency_ms: s.ema_latency_ms,
      breaker: s.breaker,
      last_success_ms: s.last_success_ms,
      updated_at_ms: s.updated_at_ms,
    },
  ],
});

export const rowsOfDeadLetter = (d: DeadLetter): { readonly dead_letters: Row[] } => ({
  dead_letters: [
    {
      dead_letter_id: d.dead_letter_id,
      stage: d.stage,
      reason: d.reason,
      errors: JSON.stringify(d.errors.map((e) => ({ path: e.path, message: e.message }))),
      original_topic: d.original_topic,
      original_partition: d.original_partition,
      original_offset: d.original_offset,
      // A plain copy: a Buffer may be a view into a shared pool that is reused after the message is handled.
      original_value: new Uint8Array(d.original_value),
      source: d.source,
      ticker: d.ticker,
      request_id: d.request_id,
      failed_at_ms: d.failed_at_ms,
      attempts: d.attempts,
      lineage_file: d.lineage?.file ?? null,
      lineage_index: d.lineage?.index ?? null,
      import_batch: d.lineage?.batch ?? null,
    },
  ],
});
