// Owns the Prometheus metrics of every role (prom-client), on one registry per process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly decisions: Counter<'level' | 'overridden'>;
  readonly automaticShare: Gauge;
  readonly ruleSetVersion: Gauge;
  readonly deadLetters: Counter<'stage'>;
  readonly prioritizeLatency: Histogram<'level'>;
  readonly processLatency: Histogram<'level'>;
  readonly slaBreaches: Counter<'level'>;
}

export const createMetrics = (): Metrics => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gexstream_' });
  return {
    registry,
    decisions: new Counter({ name: 'gexstream_priority_decisions_total', help: 'Priority decisions by level and whether a manual override set the level', labelNames: ['level', 'overridden'], registers: [registry] }),
    automaticShare: new Gauge({ name: 'gexstream_priority_automatic_share', help: 'Fraction of requests assigned without any manual override', registers: [registry] }),
    ruleSetVersion: new Gauge({ name: 'gexstream_rule_set_version', help: 'Version of the rule set the prioritizer applies', registers: [registry] }),
    deadLetters: new Counter({ name: 'gexstream_dead_letters_total', help: 'Messages sent to gex.dlq.v1, by stage', labelNames: ['stage'], registers: [registry] }),
    prioritizeLatency: new Histogram({
      name: 'gexstream_publish_to_prioritized_seconds',
      help: 'Time from publish to priority decision, by level',
      labelNames: ['level'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    processLatency: new Histogram({
      name: 'gexstream_publish_to_processed_seconds',
      help: 'Time from publish to processed snapshot, by level (the SLA measure)',
      labelNames: ['level'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers: [registry],
    }),
    slaBreaches: new Counter({ name: 'gexstream_sla_breaches_total', help: 'Snapshots processed later than their level SLA (critical 30 s, high 5 min, medium 30 min)', labelNames: ['level'], registers: [registry] }),
  };
};
