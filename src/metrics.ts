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
  /** Read at each scrape from the roles that run in this process (see `observe`). */
  readonly observe: (o: Observed) => void;
}

/** What the roles report at scrape time; a role that does not run reports nothing. */
export interface Observed {
  readonly processed?: () => Readonly<Record<string, number>>;
  readonly lag?: () => Readonly<Record<string, number>>;
  readonly inFlight?: () => Readonly<Record<string, number>>;
  readonly breakers?: () => ReadonlyMap<string, { readonly status: string }>;
  readonly projectedRows?: () => Readonly<Record<string, number>>;
  /** Records between stored positions and where the projector went on, by topic (accepted offset gaps). */
  readonly offsetGapRecords?: () => Readonly<Record<string, number>>;
}

export const createMetrics = (): Metrics => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gexstream_' });
  const observed: Observed[] = [];
  const fill = (g: Gauge<string>, label: string, pick: (o: Observed) => (() => Readonly<Record<string, number>>) | undefined): void => {
    g.reset();
    for (const o of observed) for (const [k, v] of Object.entries(pick(o)?.() ?? {})) g.set({ [label]: k }, v);
  };
  new Gauge({ name: 'gexstream_processed_total', help: 'Snapshots processed since start, by level (a counter kept by the processors; rate() gives throughput)', labelNames: ['level'], registers: [registry], collect() { fill(this, 'level', (o) => o.processed); } });
  new Gauge({ name: 'gexstream_level_lag', help: 'Messages behind on each level topic, as the processors last saw it', labelNames: ['level'], registers: [registry], collect() { fill(this, 'level', (o) => o.lag); } });
  new Gauge({ name: 'gexstream_level_in_flight', help: 'Messages fetched and not yet committed, by level', labelNames: ['level'], registers: [registry], collect() { fill(this, 'level', (o) => o.inFlight); } });
  new Gauge({ name: 'gexstream_projected_rows_total', help: 'Rows the projector wrote to DuckDB since start, by table', labelNames: ['table'], registers: [registry], collect() { fill(this, 'table', (o) => o.projectedRows); } });
  new Gauge({ name: 'gexstream_projector_offset_gap_records', help: 'Offsets between the positions stored in DuckDB and where the projector went on at start (skipped past a recreated topic, or deleted by retention before being read), by topic; only with --accept-offset-gap', labelNames: ['topic'], registers: [registry], collect() { fill(this, 'topic', (o) => o.offsetGapRecords); } });
  new Gauge({
    name: 'gexstream_breaker_state',
    help: 'Circuit breaker per source: 0 closed, 1 half-open, 2 open',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const o of observed) for (const [src, b] of o.breakers?.() ?? new Map()) this.set({ source: src }, b.status === 'open' ? 2 : b.status === 'half_open' || b.status === 'half-open' ? 1 : 0);
    },
  });
  return {
    registry,
    observe: (o) => void observed.push(o),
    decisions: new Counter({ name: 'gexstream_priority_decisions_total', help: 'Priority decisions by level and whether a manual override set the level', labelNames: ['level', 'overridden'], registers: [registry] }),
    automaticShare: new Gauge({ name: 'gexstream_priority_automatic_share', help: 'Fraction of requests assigned without any manual override', registers: [registry] }),
    ruleSetVersion: new Gauge({ name: 'gexstream_rule_set_version', help: 'Version of the rule set the prioritizer applies', registers: [registry] }),
    deadLetters: new Counter({ name: 'gexstream_dead_letters_total', help: 'Messages sent to the dead-letter topic, by stage', labelNames: ['stage'], registers: [registry] }),
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
