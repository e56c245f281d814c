// Benchmarks decide() (facts, score, activation, rule evaluation) with 20 active rules on 100-strike snapshots, single thread.
import { readFileSync } from 'node:fs';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeRaw } from '../src/domain/decode.js';
import { generatePayloads } from '../src/domain/generator.js';
import { defaultPriorityConfig } from '../src/domain/priority/config.js';
import { decide } from '../src/domain/priority/decide.js';
import type { PriorityInput } from '../src/domain/priority/facts.js';
import { seedRuleEvents } from '../src/domain/priority/guidelines.js';
import { foldRuleEvents, initialRuleSet, type RuleSet } from '../src/domain/priority/ruleSet.js';
import type { CanonicalSnapshot } from '../src/domain/snapshot.js';

const SNAPSHOTS = Number(process.argv[2] ?? 5000);
const RUNS = 5;
const STRIKES = 100;
const DAY = '2025-11-07';
const NOW = Date.parse(`${DAY}T15:45:00-05:00`);

// The 7 shipped guidelines and 13 more of the kinds a desk writes: ticker lists, thresholds, headers, one macro.
const extra = [
  ['x.spy-qqq-rth', 'ticker in ["SPY", "QQQ", "IWM"] && is_regular_hours && data_type == "real_time"', { score: 0.7 }],
  ['x.big-oi', 'total_oi > 1000000.0', { adjust: 1 }],
  ['x.huge-volume', 'total_volume > 5e6', { adjust: 1 }],
  ['x.net-gex', 'net_gex_abs > 1e10', { score: 0.9 }],
  ['x.fomc', 'market_event == "fomc" || market_event == "cpi"', { level: 'critical' }],
  ['x.desk-header', '"x-desk" in headers && headers["x-desk"] == "vol"', { adjust: 1 }],
  ['x.any-urgent-header', 'headers.exists(k, k.startsWith("x-urgent"))', { adjust: 1 }],
  ['x.weekly', 'min_dte >= 1 && min_dte <= 7 && ticker.startsWith("SPX")', { score: 0.65 }],
  ['x.few-strikes', 'strike_count < 10', { adjust: -1 }],
  ['x.opening', 'is_regular_hours && et_minutes < 600', { adjust: 1 }],
  ['x.slow-source', 'source == "slow-vendor" && reliability < 0.8', { adjust: -1 }],
  ['x.old-snapshot', 'data_type == "snapshot" && age_ms > 3600000', { level: 'low' }],
  ['x.category', 'category == "zero" && kind == "gexbot_classic" && spot > 1000.0', { score: 0.75 }],
] as const;

const guidelines: unknown[] = JSON.parse(readFileSync(new URL('../../rules/default-guidelines.json', import.meta.url), 'utf8')) as unknown[];
const definitions = [...guidelines, ...extra.map(([rule_id, condition, action]) => ({ rule_id, name: rule_id, condition, ...action }))];
const seeded = seedRuleEvents(definitions, NOW - 86_400_000);
if (isLeft(seeded)) throw new Error(`bench rules refused: ${JSON.stringify(seeded.left)}`);
const rules: RuleSet = foldRuleEvents(seeded.right);
if (rules.active.length !== 20) throw new Error(`expected 20 active rules, got ${rules.active.length}`);

const encoder = new TextEncoder();
const decodeOpts = { nowMs: NOW + 86_400_000, maxSkewMs: 5_000, maxBytes: 10 * 1024 * 1024 };
const snapshots: CanonicalSnapshot[] = [];
for (const p of generatePayloads({ seed: 11, tickers: ['SPX', 'NDX', 'SPY', 'QQQ'], day: DAY, count: SNAPSHOTS, strikes: STRIKES })) {
  const r = decodeRaw(encoder.encode(JSON.stringify(p)), { dataType: 'real_time' }, decodeOpts);
  if (isLeft(r)) throw new Error(`generated payload rejected: ${JSON.stringify(r.left[0])}`);
  snapshots.push(r.right);
}
const headerSets: ReadonlyArray<Record<string, string>> = [{}, { 'gex-source': 'gexbot', 'x-desk': 'vol' }, { 'gex-market-event': 'fomc', 'x-urgent-1': 'y' }];
const toInputs = (snaps: CanonicalSnapshot[]): PriorityInput[] =>
  snaps.map((snapshot, i) => ({
    snapshot,
    source: 'gexbot',
    headers: headerSets[i % headerSets.length] ?? {},
    sourceStats: i % 5 === 0 ? null : { reliability: i % 7 === 0 ? 0.4 : 0.97, ema_latency_ms: 180 },
  }));
const withDerived = toInputs(snapshots);
// The same snapshots without their derived block: totals are summed from the 100 strike rows.
const withoutDerived = toInputs(snapshots.map((s) => ({ ...s, derived: null })));

let sink = 0;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const measure = (inputs: PriorityInput[], set: RuleSet): number => {
  const run = (): void => {
    for (const i of inputs) {
      const d = decide(i, set, defaultPriorityConfig, NOW);
      sink += d.score + d.matched_rules.length;
    }
  };
  run(); // warm-up: let the JIT settle before timing
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return inputs.length / median(times);
};

const line = (name: string, perSecond: number): string => `${name.padEnd(46)} ${perSecond.toFixed(0).padStart(9)} decisions/s  ${(1e6 / perSecond).toFixed(2).padStart(7)} us/decision`;

const full = measure(withDerived, rules);
const strikeSums = measure(withoutDerived, rules);
const scoreOnly = measure(withDerived, initialRuleSet());
console.log(`${SNAPSHOTS} snapshots x ${STRIKES} strikes, ${rules.active.length} active rules, single thread, median of ${RUNS} runs`);
console.log(line('decide(): score + 20 rules (derived totals)', full));
console.log(line('decide(): score + 20 rules (totals from strikes)', strikeSums));
console.log(line('decide(): score only (no rules)', scoreOnly));
if (sink === 42) console.log('');
