// Benchmarks the duplicate-key check against the JSON.parse it follows, on 100-strike GEXBot classic snapshots and
// 100-row option chains (the check's two paths: one object, and objects in rows). Interleaved rounds, median of 3 and
// the fastest round (the machine may be shared).
import { generatePayloads } from '../src/domain/generator.js';
import { duplicateKeyIssue } from '../src/domain/jsonText.js';

const N = Number(process.argv[2] ?? 2000);
const classic = [...generatePayloads({ seed: 7, tickers: ['SPX', 'NDX'], count: N, strikes: 100 })].map((p) => JSON.stringify(p));
const row = (k: number) => ({ strike: 5000 + 5 * k, call_open_interest: 10 + k, put_open_interest: 20, call_volume: 1, put_volume: 2, call_bid: 1.1, call_ask: 1.2, put_bid: 2.1, put_ask: 2.2, gamma: 0.001, delta: 0.5, theta: -1, vega: 2 });
const chain = Array.from({ length: N / 4 }, (_, i) => JSON.stringify({ ticker: 'SPY', timestamp: 1777492800 + i, spot: 5100, strikes: Array.from({ length: 100 }, (_, k) => row(k)) }));

let sink = 0;
const parseOnly = (texts: string[]) => () => {
  for (const t of texts) sink += (JSON.parse(t) as { spot: number }).spot;
};
const parseAndCheck = (texts: string[]) => () => {
  for (const t of texts) {
    const v = JSON.parse(t) as { spot: number };
    if (duplicateKeyIssue(t, v) !== null) throw new Error('unexpected duplicate');
    sink += v.spot;
  }
};
const time = (f: () => void): number => {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

for (const [name, texts] of [['classic, 100 strikes', classic], ['option chain, 100 rows', chain]] as const) {
  const a: number[] = [];
  const b: number[] = [];
  parseOnly([...texts])();
  parseAndCheck([...texts])();
  for (let r = 0; r < 3; r++) {
    a.push(time(parseOnly([...texts])));
    b.push(time(parseAndCheck([...texts])));
  }
  const [ma, mb] = [median(a), median(b)];
  const [fa, fb] = [Math.min(...a), Math.min(...b)];
  process.stdout.write(`${name} (${texts.length} payloads): JSON.parse ${ma.toFixed(1)} ms, with the duplicate-key check ${mb.toFixed(1)} ms (median of 3): +${((mb / ma - 1) * 100).toFixed(1)} %; fastest rounds ${fa.toFixed(1)} / ${fb.toFixed(1)} ms: +${((fb / fa - 1) * 100).toFixed(1)} %\n`);
}
if (sink === 0) process.stdout.write('\n');
