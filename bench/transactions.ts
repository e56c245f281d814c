// Benchmarks the processor's transaction size on a non-critical level (issue 12 step 4): W-day (23,400 SPX snapshots x
// 100 strikes) as Avro level records on the low level, processed with the former 200 messages per transaction against
// the current default (1,000, or an 8 MiB fetch), alternating, median of RUNS in one run; wall time from start to the
// last snapshot processed, and this process's CPU seconds meanwhile.
//   node dist/bench/transactions.js [RUNS] [COUNT]
import { randomUUID } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeValue } from '../src/domain/decode.js';
import { generatePayloads } from '../src/domain/generator.js';
import type { PrioritizedSnapshot } from '../src/domain/prioritized.js';
import { createLogger } from '../src/log.js';
import { createProcessor } from '../src/pipelines/process.js';
import { isolatedLanes, prioritized, sendPrioritized } from '../tests/support/processing.js';
import { registry } from '../tests/support/pipeline.js';
import { fmt, kafka, median } from './support.js';

const RUNS = Number(process.argv[2] ?? 3);
const N = Number(process.argv[3] ?? 23_400);
const lanes = await isolatedLanes('transactions', 6);
const now = Date.UTC(2030, 0, 1);
const values: PrioritizedSnapshot[] = [];
for (const pl of generatePayloads({ seed: 1, tickers: ['SPX'], count: N, strikes: 100 })) {
  const d = decodeValue(pl, { dataType: 'real_time' }, { nowMs: now, maxSkewMs: 0, maxBytes: 1e7 });
  if (isLeft(d)) throw new Error('bad W-day snapshot');
  values.push({ ...prioritized(`w-${values.length}`, 'low'), snapshot: d.right });
}
await sendPrioritized(lanes.topicOf('low'), values);

const settings = { 'former 200 per transaction': { low: 200 }, 'default (1,000 or 8 MiB)': {} } as const;
type Setting = keyof typeof settings;
const names = Object.keys(settings) as Setting[];
const wall = new Map<Setting, number[]>(names.map((n) => [n, []]));
const cpu = new Map<Setting, number[]>(names.map((n) => [n, []]));
try {
  for (let r = 0; r < RUNS; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const p = await createProcessor({ kafka: kafka(), registry, logger: createLogger('silent'), levels: ['low'], topology: lanes.topology, groupPrefix: `${lanes.groupPrefix}-${randomUUID()}`, instanceId: randomUUID(), chunk: settings[name] });
      const before = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await p.start();
      while (p.stats().processed.low < N) await new Promise((res) => setTimeout(res, 5));
      wall.get(name)?.push(Number(process.hrtime.bigint() - t0) / 1e9);
      const used = process.cpuUsage(before);
      cpu.get(name)?.push((used.user + used.system) / 1e6);
      await p.stop();
      process.stderr.write(`run ${r + 1} ${name}: ${fmt(wall.get(name)?.at(-1) ?? 0, 2)} s, ${fmt(cpu.get(name)?.at(-1) ?? 0, 2)} CPU s\n`);
    }
  }
} finally {
  await lanes.cleanup();
}
console.log(`processor, low level, W-day: ${fmt(N)} snapshots x 100 strikes as Avro level records, median of ${RUNS} runs`);
for (const name of names) {
  const s = median(wall.get(name) ?? []);
  const c = median(cpu.get(name) ?? []);
  console.log(`  ${name.padEnd(30)} ${fmt(N / s).padStart(7)} snapshots/s  ${fmt(s, 2).padStart(6)} s  ${fmt(c, 2).padStart(6)} CPU s (${fmt((c * 1e6) / N)} us/snapshot)   runs ${(wall.get(name) ?? []).map((x) => fmt(x, 2)).join('/')} s, CPU ${(cpu.get(name) ?? []).map((x) => fmt(x, 2)).join('/')}`);
}
const [a, b] = names.map((n) => median(wall.get(n) ?? [])) as [number, number];
const [ca, cb] = names.map((n) => median(cpu.get(n) ?? [])) as [number, number];
console.log(`  default / former: ${(a / b).toFixed(2)}x throughput, ${(ca / cb).toFixed(2)}x less CPU`);
process.exit(0);
