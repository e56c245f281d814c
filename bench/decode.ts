// Benchmarks the raw-payload decoder (decodeRaw, what the prioritizer calls) against plain UTF-8 + JSON.parse of the same
// bytes (the ceiling), on W-day-like 100-strike GEXBot classic snapshots. Figures are CPU time of this process
// (process.cpuUsage, user + system) per snapshot, not wall time: the machine is shared, and CPU is what a role spends.
// The two are measured alternately, RUNS rounds each, and the median of each is printed with their difference.
// Usage: node dist/bench/decode.js [snapshots=2000] [runs=3]
import { decodeRaw, type DecodeOptions } from '../src/domain/decode.js';
import { generatePayloads } from '../src/domain/generator.js';

const SNAPSHOTS = Number(process.argv[2] ?? 2000);
const RUNS = Number(process.argv[3] ?? 3);
const STRIKES = 100;

const encoder = new TextEncoder();
const payloads = [...generatePayloads({ seed: 7, tickers: ['SPX'], count: SNAPSHOTS, strikes: STRIKES })].map((p) => encoder.encode(JSON.stringify(p)));
const totalBytes = payloads.reduce((a, b) => a + b.byteLength, 0);
const opts: DecodeOptions = { nowMs: Date.parse('2030-01-01T00:00:00Z'), maxSkewMs: 5_000, maxBytes: 10 * 1024 * 1024 };
const meta = { dataType: 'real_time' as const };
const textDecoder = new TextDecoder('utf-8', { fatal: true });

let sink = 0;
const jsonParse = (): void => {
  for (const b of payloads) sink += (JSON.parse(textDecoder.decode(b)) as { spot: number }).spot;
};
const decode = (): void => {
  for (const b of payloads) {
    const r = decodeRaw(b, meta, opts);
    if (r._tag === 'Left') throw new Error(`generated payload rejected: ${JSON.stringify(r.left[0])}`);
    sink += r.right.derived?.quality_score ?? 0;
  }
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** CPU microseconds of this process spent in fn, per snapshot. */
const cpuUsPerSnapshot = (fn: () => void): number => {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / payloads.length;
};

// warm-up: let the JIT settle before timing
for (let i = 0; i < 2; i++) {
  jsonParse();
  decode();
}
const parseUs: number[] = [];
const decodeUs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  parseUs.push(cpuUsPerSnapshot(jsonParse));
  decodeUs.push(cpuUsPerSnapshot(decode));
}
const p = median(parseUs);
const d = median(decodeUs);
const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(1)).join(' / ');
console.log(`${payloads.length} GEXBot classic SPX snapshots x ${STRIKES} strikes, ${(totalBytes / payloads.length / 1024).toFixed(1)} KiB each; CPU us per snapshot, median of ${RUNS} (runs: ...)`);
console.log(`(a) UTF-8 + JSON.parse (ceiling)   ${p.toFixed(1).padStart(7)} us   (${fmt(parseUs)})`);
console.log(`(b) decodeRaw (all steps)          ${d.toFixed(1).padStart(7)} us   (${fmt(decodeUs)})`);
console.log(`decodeRaw - JSON.parse: ${(d - p).toFixed(1)} us per snapshot; decodeRaw / JSON.parse: ${(d / p).toFixed(2)}x`);
if (sink === 42) console.log('');
