// SLAs per level and their tally: breaches counted per level, low never breached, latency quantiles from bounded buckets.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { BUCKET_COUNT, emptyHistogram, latencyQuantile, mergeHistograms, meanLatency, recordLatency } from '../../../src/domain/processing/latencyHistogram.js';
import { evolveSlaTally, initialSlaTally, SLA_MS, slaBreached, slaReport, type SlaObservation } from '../../../src/domain/processing/sla.js';
import { mulberry32 } from '../../../src/domain/prng.js';

const sla = suite('SLA');

sla('the limits: critical 30 s, high 5 min, medium 30 min, low best effort', () => {
  assert.equal(SLA_MS, { critical: 30_000, high: 300_000, medium: 1_800_000, low: null });
});

sla('a breach is at or over the limit; low is never breached', () => {
  assert.is(slaBreached('critical', 29_999), false);
  assert.is(slaBreached('critical', 30_000), true);
  assert.is(slaBreached('high', 299_999), false);
  assert.is(slaBreached('high', 300_001), true);
  assert.is(slaBreached('medium', 1_800_000), true);
  assert.is(slaBreached('low', 1e12), false);
  assert.is(slaBreached('critical', Number.NaN), false);
});

sla('the tally counts processed and breaches per level', () => {
  const obs: SlaObservation[] = [
    { level: 'critical', publishToProcessedMs: 1_000 },
    { level: 'critical', publishToProcessedMs: 45_000 },
    { level: 'critical', publishToProcessedMs: 2_000 },
    { level: 'high', publishToProcessedMs: 400_000 },
    { level: 'low', publishToProcessedMs: 86_400_000 },
  ];
  const t = obs.reduce((s, o) => evolveSlaTally(s, o), initialSlaTally());
  const r = slaReport(t);
  assert.equal(
    r.map((x) => [x.level, x.processed, x.breaches]),
    [
      ['critical', 3, 1],
      ['high', 1, 1],
      ['medium', 0, 0],
      ['low', 1, 0],
    ],
  );
  assert.ok(Math.abs((r[0]?.breach_ratio ?? 0) - 1 / 3) < 1e-12);
  assert.is(r[2]?.p50_ms, null, 'no figures without data');
  assert.is(r[3]?.sla_ms, null);
  assert.is(r[0]?.max_ms, 45_000);
});

sla('quantiles: p50, p99 and p999 within 5 % of the exact values', () => {
  const rnd = mulberry32(7);
  const values = Array.from({ length: 20_000 }, () => Math.exp(rnd() * 12)); // 1 ms .. 2.7 min, log-uniform
  const t = values.reduce((s, v) => evolveSlaTally(s, { level: 'critical', publishToProcessedMs: v }), initialSlaTally());
  const sorted = [...values].sort((a, b) => a - b);
  const exact = (q: number) => sorted[Math.ceil(q * sorted.length) - 1] as number;
  const r = slaReport(t)[0];
  if (!r) return assert.unreachable('no critical row');
  for (const [q, got] of [[0.5, r.p50_ms], [0.99, r.p99_ms], [0.999, r.p999_ms]] as const) {
    if (got === null) return assert.unreachable(`p${q} missing`);
    assert.ok(got >= exact(q) && got <= exact(q) * 1.05, `p${q}: ${got} vs ${exact(q)}`);
  }
  assert.is(r.breaches, values.filter((v) => v >= 30_000).length);
});

sla.run();

const hist = suite('latency histogram');

hist('bounded: the bucket array never grows, whatever is recorded', () => {
  let h = emptyHistogram();
  for (const v of [0, 0.5, 1, 1e3, 1e6, 1e9, 1e15, -20, Number.NaN, Infinity]) h = recordLatency(h, v);
  assert.is(h.buckets.length, BUCKET_COUNT);
  assert.is(h.count, 8, 'non-finite values are ignored');
  assert.is(h.minMs, 0, 'negative counts as 0');
  assert.is(h.maxMs, 1e15);
  assert.is(latencyQuantile(h, 1), 1e15, 'the top is the exact max');
});

hist('small samples: quantiles stay between the exact min and max', () => {
  const h = [100, 200, 300].reduce(recordLatency, emptyHistogram());
  assert.is(latencyQuantile(h, 0), 100);
  assert.ok((latencyQuantile(h, 0.5) ?? 0) >= 200 && (latencyQuantile(h, 0.5) ?? 0) <= 210);
  assert.is(latencyQuantile(h, 0.999), 300);
  assert.is(meanLatency(h), 200);
  assert.is(latencyQuantile(emptyHistogram(), 0.5), null);
});

hist('merging two histograms is the histogram of both samples', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1e8, noNaN: true })), fc.array(fc.double({ min: 0, max: 1e8, noNaN: true })), (a, b) => {
      const both = [...a, ...b].reduce(recordLatency, emptyHistogram());
      const merged = mergeHistograms(a.reduce(recordLatency, emptyHistogram()), b.reduce(recordLatency, emptyHistogram()));
      return (
        merged.count === both.count &&
        merged.minMs === both.minMs &&
        merged.maxMs === both.maxMs &&
        merged.buckets.every((n, i) => n === both.buckets[i]) &&
        latencyQuantile(merged, 0.99) === latencyQuantile(both, 0.99)
      );
    }),
  );
});

hist.run();
