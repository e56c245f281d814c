// Benchmarks the raw-payload decoder against plain JSON.parse of the same bytes (the ceiling), on 100-strike GEXBot classic snapshots.
import { decodeRaw, type DecodeOptions } from '../src/domain/decode.js';
import { generatePayloads } from '../src/domain/generator.js';

const SNAPSHOTS = Number(process.argv[2] ?? 2000);
const RUNS = 5;
const STRIKES = 100;

const encoder = new TextEncoder();
const payloads = [...generatePayloads({ seed: 7, tickers: ['SPX', 'NDX', 'SPY', 'QQQ'], count: SNAPSHOTS, strikes: STRIKES })].map((p) =>
  encoder.encode(JSON.stringify(p)),
);
const totalBytes = payloads.reduce((a, b) => a + b.byteLength, 0);
const opts: DecodeOptions = { nowMs: Date.parse('2030-01-01T00:00:00Z'), maxSkewMs: 5_000, maxBytes: 10 * 1024 * 1024 };
const meta = { dataType: 'real_time' as const };
const textDecoder = new TextDecoder();

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

const measure = (fn: () => void): { perSecond: number; mbPerSecond: number; usPerSnapshot: number } => {
  fn(); // warm-up: let the JIT settle before timing
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const s = median(times);
  return { perSecond: payloads.length / s, mbPerSecond: totalBytes / 1e6 / s, usPerSnapshot: (s * 1e6) / payloads.length };
};

const line = (name: string, r: ReturnType<typeof measure>): string =>
  `${name.padEnd(34)} ${r.perSecond.toFixed(0).padStart(8)} snapshots/s  ${r.mbPerSecond.toFixed(1).padStart(7)} MB/s  ${r.usPerSnapshot.toFixed(1).padStart(7)} us/snapshot`;

const ceiling = measure(jsonParse);
const full = measure(decode);
console.log(`${payloads.length} GEXBot classic snapshots x ${STRIKES} strikes, ${(totalBytes / payloads.length / 1024).toFixed(1)} KiB each, median of ${RUNS} runs`);
console.log(line('(a) UTF-8 + JSON.parse (ceiling)', ceiling));
console.log(line('(b) decodeRaw (all steps)', full));
console.log(`ratio decodeRaw / JSON.parse: ${(ceiling.perSecond / full.perSecond).toFixed(2)}x the time`);
if (sink === 42) console.log('');
