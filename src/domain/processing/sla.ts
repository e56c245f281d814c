// Owns the SLAs per level (publish to processed: critical 30 s, high 5 min, medium 30 min, low best effort) and their tally.
import { LEVELS, type Level } from '../priority/level.js';
import { emptyHistogram, latencyQuantile, recordLatency, type LatencyHistogram } from './latencyHistogram.js';

/** The longest publish-to-processed time within SLA, in ms; null is best effort (never breached). */
export const SLA_MS: Readonly<Record<Level, number | null>> = {
  critical: 30_000, // 30 s
  high: 300_000, // 5 min
  medium: 1_800_000, // 30 min
  low: null,
};

/** The SLA says "under": a snapshot processed exactly at the limit is a breach. An unknown (non-finite) latency is not. */
export const slaBreached = (level: Level, publishToProcessedMs: number, slas: Readonly<Record<Level, number | null>> = SLA_MS): boolean => {
  const limit = slas[level];
  return limit !== null && Number.isFinite(publishToProcessedMs) && publishToProcessedMs >= limit;
};

export interface LevelSla {
  readonly processed: number;
  readonly breaches: number;
  readonly latency: LatencyHistogram;
}

export type SlaTally = Readonly<Record<Level, LevelSla>>;

/** One processed snapshot. */
export interface SlaObservation {
  readonly level: Level;
  readonly publishToProcessedMs: number;
}

const emptyLevel = (): LevelSla => ({ processed: 0, breaches: 0, latency: emptyHistogram() });

export const initialSlaTally = (): SlaTally => ({ critical: emptyLevel(), high: emptyLevel(), medium: emptyLevel(), low: emptyLevel() });

export const evolveSlaTally = (state: SlaTally, o: SlaObservation, slas: Readonly<Record<Level, number | null>> = SLA_MS): SlaTally => {
  const s = state[o.level];
  return {
    ...state,
    [o.level]: {
      processed: s.processed + 1,
      breaches: s.breaches + (slaBreached(o.level, o.publishToProcessedMs, slas) ? 1 : 0),
      latency: recordLatency(s.latency, o.publishToProcessedMs),
    },
  };
};

export interface LevelSlaReport {
  readonly level: Level;
  readonly sla_ms: number | null;
  readonly processed: number;
  readonly breaches: number;
  /** breaches / processed; 0 while nothing was processed. */
  readonly breach_ratio: number;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  readonly p999_ms: number | null;
  readonly max_ms: number | null;
}

/** The figures for the API, the metrics and the logs, highest level first. */
export const slaReport = (state: SlaTally, slas: Readonly<Record<Level, number | null>> = SLA_MS): LevelSlaReport[] =>
  LEVELS.map((level) => {
    const s = state[level];
    return {
      level,
      sla_ms: slas[level],
      processed: s.processed,
      breaches: s.breaches,
      breach_ratio: s.processed === 0 ? 0 : s.breaches / s.processed,
      p50_ms: latencyQuantile(s.latency, 0.5),
      p99_ms: latencyQuantile(s.latency, 0.99),
      p999_ms: latencyQuantile(s.latency, 0.999),
      max_ms: s.latency.maxMs,
    };
  });
