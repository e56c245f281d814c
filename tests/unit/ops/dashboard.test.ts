// The Grafana dashboard (ops/grafana/dashboards/gexstream.json) names only metrics the process exports: every PromQL
// expression of every panel and template variable, checked against the registry of src/metrics.ts.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createMetrics } from '../../../src/metrics.js';

/** Compiled tests live in dist/tests/unit/ops; the repository root is four levels up. */
const repo = new URL('../../../../', import.meta.url);
const dashboard = JSON.parse(readFileSync(new URL('ops/grafana/dashboards/gexstream.json', repo), 'utf8')) as Record<string, unknown>;

/** Every series name a scrape of the registry shows: histograms as their _bucket, _sum and _count series. */
const exportedSeries = async (): Promise<Set<string>> => {
  const m = createMetrics();
  const out = new Set<string>();
  for (const metric of await m.registry.getMetricsAsJSON()) {
    const type = String(metric.type); // prom-client's MetricType enum holds these strings
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) out.add(`${metric.name}${suffix}`);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) out.add(`${metric.name}${suffix}`);
    else out.add(metric.name);
  }
  return out;
};

/** Every PromQL expression in the dashboard: panel targets (rows' nested panels too) and query variables. */
const expressions = (d: Record<string, unknown>): Array<{ where: string; expr: string }> => {
  const out: Array<{ where: string; expr: string }> = [];
  const walk = (panels: unknown[]): void => {
    for (const p of panels as Array<{ title?: string; targets?: Array<{ expr?: string }>; panels?: unknown[] }>) {
      for (const t of p.targets ?? []) if (typeof t.expr === 'string') out.push({ where: `panel "${p.title}"`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk((d['panels'] as unknown[]) ?? []);
  for (const v of ((d['templating'] as { list?: unknown[] })?.list ?? []) as Array<{ name: string; type: string; query?: unknown }>) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query;
    if (typeof q === 'string') out.push({ where: `variable $${v.name}`, expr: q });
  }
  return out;
};

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * The metric names an expression selects: identifiers that are not functions (followed by "("), keywords, label
 * names (inside {...} or the label lists of by/without/on/ignoring/group_*), strings, ranges or Grafana variables.
 * label_values(metric, label) names its metric as the first argument.
 */
export const metricNames = (expr: string): string[] => {
  let e = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ' '); // Grafana variables
  const names: string[] = [];
  const lv = /\blabel_values\s*\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,[^)]*\)/g;
  for (const m of e.matchAll(lv)) names.push(m[1] as string);
  e = e.replace(lv, ' ');
  for (const m of e.matchAll(/(?<![A-Za-z0-9_:.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)) {
    const [, id, call] = m;
    if (call || KEYWORDS.has((id as string).toLowerCase())) continue;
    names.push(id as string);
  }
  return names;
};

const Dashboard = suite('grafana dashboard');

Dashboard('the name finder reads selectors, and skips functions, label names, ranges and variables', () => {
  assert.equal(metricNames('histogram_quantile(0.99, sum by (le, level) (rate(gexstream_x_bucket{level=~"$level"}[$__rate_interval])))'), ['gexstream_x_bucket']);
  assert.equal(metricNames('max by (source) (a_metric) / on(source) group_left(foo) b_metric offset 5m'), ['a_metric', 'b_metric']);
  assert.equal(metricNames('label_values(gexstream_level_lag, level)'), ['gexstream_level_lag']);
  assert.equal(metricNames('sum(rate(c_total{stage="by"}[5m])) > bool 1e3'), ['c_total']);
});

Dashboard('every PromQL expression names only metrics the process exports', async () => {
  const exported = await exportedSeries();
  const all = expressions(dashboard);
  assert.ok(all.length >= 15, `the dashboard has its expressions (${all.length})`);
  const unknown: string[] = [];
  for (const { where, expr } of all) {
    const names = metricNames(expr);
    assert.ok(names.length > 0, `${where}: no metric found in ${expr}`);
    for (const n of names) if (!exported.has(n)) unknown.push(`${where}: ${n} in ${expr}`);
  }
  assert.equal(unknown, [], `metrics the process does not export:\n${unknown.join('\n')}`);
});

Dashboard('an unknown metric is caught (the check is not vacuous)', async () => {
  const exported = await exportedSeries();
  assert.not.ok(exported.has(metricNames('rate(gexstream_publish_to_processed_seconds[5m])')[0] as string), 'a histogram is scraped only as _bucket/_sum/_count');
  assert.ok(exported.has('gexstream_publish_to_processed_seconds_bucket'));
});

Dashboard('it covers what operators watch: latency heatmaps per level, lag, throughput, SLA breaches, DLQ by stage, breakers', () => {
  const panels: Array<{ type: string; repeat?: string; targets?: Array<{ expr: string }> }> = [];
  const walk = (ps: unknown[]): void => {
    for (const p of ps as Array<{ type: string; panels?: unknown[] }>) {
      panels.push(p as (typeof panels)[number]);
      walk(p.panels ?? []);
    }
  };
  walk(dashboard['panels'] as unknown[]);
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const heatmap = panels.find((p) => p.type === 'heatmap');
  assert.is(heatmap?.repeat, 'level', 'one latency heatmap per level');
  assert.match(heatmap?.targets?.[0]?.expr ?? '', /gexstream_publish_to_processed_seconds_bucket/);
  for (const needle of ['gexstream_level_lag', 'gexstream_level_in_flight', 'rate(gexstream_processed_total', 'gexstream_sla_breaches_total', 'sum by (stage) (increase(gexstream_dead_letters_total', 'gexstream_breaker_state'])
    assert.ok(exprs.some((e) => e.includes(needle)), `a panel shows ${needle}`);
  assert.ok(panels.some((p) => p.type === 'state-timeline' && (p.targets ?? []).some((t) => t.expr.includes('gexstream_breaker_state'))), 'breaker states as a timeline');
});

Dashboard.run();
