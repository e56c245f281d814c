// Benchmarks the level processors on the local broker:
//  1. critical publish -> processed latency (p50/p99/p999) while 2,000 snapshots/s of medium/low traffic flows on top of a
//     large low backlog (1,000,000 by default), and the priority-inversion rate;
//  2. processor throughput on W-day (23,400 snapshots x 100 strikes) next to a bare consume + produce of the same bytes.
import { randomUUID } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeValue } from '../src/domain/decode.js';
import { generatePayloads } from '../src/domain/generator.js';
import type { PrioritizedSnapshot } from '../src/domain/prioritized.js';
import type { Level } from '../src/domain/priority/level.js';
import { createProducer } from '../src/kafka/producer.js';
import { createLogger } from '../src/log.js';
import { createProcessor } from '../src/pipelines/process.js';
import { isolatedLanes, prioritized, prioritizedEncoder, readProcessed, sendPrioritized } from '../tests/support/processing.js';
import { registry } from '../tests/support/pipeline.js';
import { fmt, kafka, median, rssMb } from './support.js';

const BACKLOG = Number(process.argv[2] ?? 1_000_000);
const FLOW_SECONDS = Number(process.argv[3] ?? 20);
const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

// ---- 1. latency under load -------------------------------------------------------------------------------------
{
  const lanes = await isolatedLanes('bench', 6);
  const t0 = Date.now();
  const chunk = 50_000;
  for (let i = 0; i < BACKLOG; i += chunk) await sendPrioritized(lanes.topicOf('low'), Array.from({ length: Math.min(chunk, BACKLOG - i) }, (_, k) => prioritized(`backlog-${i + k}`, 'low', 'gexbot', 'SPY', 0)));
  process.stderr.write(`backlog of ${fmt(BACKLOG)} low snapshots queued in ${fmt((Date.now() - t0) / 1000, 1)} s\n`);
  const p = await createProcessor({ kafka: kafka(), registry, logger: createLogger('silent'), topology: lanes.topology, groupPrefix: lanes.groupPrefix, instanceId: randomUUID() });
  await p.start();
  const enc = await prioritizedEncoder();
  const producer = await createProducer({ kafka: kafka() });
  const until = Date.now() + FLOW_SECONDS * 1000;
  let n = 0;
  let crit = 0;
  // 2,000/s of medium and low in 100 ms ticks of 200, one critical every 100 ms
  while (Date.now() < until) {
    const tick = Date.now();
    const flow = Array.from({ length: 200 }, (_, k) => prioritized(`flow-${n++}`, k % 2 ? 'medium' : 'low', 'gexbot', 'QQQ', Date.now()));
    await producer.send([
      { topic: lanes.topicOf('medium'), messages: flow.filter((f) => f.level === 'medium').map((f) => ({ key: 'QQQ', value: enc.encode(f) })) },
      { topic: lanes.topicOf('low'), messages: flow.filter((f) => f.level === 'low').map((f) => ({ key: 'QQQ', value: enc.encode(f) })) },
      { topic: lanes.topicOf('critical'), messages: [{ key: 'SPX', value: enc.encode(prioritized(`crit-${crit++}`, 'critical', 'gexbot', 'SPX', Date.now())) }] },
    ]);
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
  }
  await producer.close();
  while (p.stats().processed.critical < crit) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1000));
  const stats = p.stats();
  const rss = rssMb();
  await p.stop();
  const out = await readProcessed(lanes.processed);
  const crits = out.filter((o) => o.level === 'critical');
  const lat = crits.map((c) => c.processed_at_ms - c.published_at_ms).sort((a, b) => a - b);
  // inversion: a lower-level snapshot published after a critical one was processed before it
  const lowerFlow = out.filter((o) => o.request_id.startsWith('flow-')).map((o) => [o.published_at_ms, o.processed_at_ms] as const).sort((a, b) => a[1] - b[1]);
  let inverted = 0;
  for (const c of crits) if (lowerFlow.some(([pub, proc]) => pub > c.published_at_ms && proc < c.processed_at_ms)) inverted++;
  console.log(`critical under load: ${fmt(crits.length)} critical at 10/s with ${fmt(n / FLOW_SECONDS)} medium+low snapshots/s for ${FLOW_SECONDS} s, on a ${fmt(BACKLOG)} low backlog`);
  console.log(`  publish -> processed  p50 ${lat.length ? fmt(q(lat, 0.5)) : '-'} ms  p99 ${fmt(q(lat, 0.99))} ms  p999 ${fmt(q(lat, 0.999))} ms  max ${fmt(lat.at(-1) ?? NaN)} ms`);
  console.log(`  priority inversions: ${inverted} of ${crits.length} critical (${fmt((100 * inverted) / Math.max(1, crits.length), 2)} %)`);
  console.log(`  processed meanwhile: medium ${fmt(stats.processed.medium)}, low ${fmt(stats.processed.low)} (min share keeps low moving); RSS ${fmt(rss)} MB`);
  await lanes.cleanup();
}

// ---- 2. W-day throughput ------------------------------------------------------------------------------------------
{
  const RUNS = 3;
  const lanes = await isolatedLanes('wday', 6);
  const now = Date.UTC(2030, 0, 1);
  const values: PrioritizedSnapshot[] = [];
  for (const pl of generatePayloads({ seed: 1, tickers: ['SPX'], count: 23_400, strikes: 100 })) {
    const d = decodeValue(pl, { dataType: 'real_time' }, { nowMs: now, maxSkewMs: 0, maxBytes: 1e7 });
    if (isLeft(d)) throw new Error('bad W-day snapshot');
    values.push({ ...prioritized(`w-${values.length}`, 'high'), snapshot: d.right });
  }
  await sendPrioritized(lanes.topicOf('high'), values);
  const bare: number[] = [];
  const proc: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const consumer = kafka().consumer({ groupId: `bench-bare-${randomUUID()}`, maxBytesPerPartition: 8 * 1024 * 1024 });
    const relay = await createProducer({ kafka: kafka() });
    await consumer.connect();
    await consumer.subscribe({ topic: lanes.topicOf('high'), fromBeginning: true });
    let seen = 0;
    let s = Date.now();
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          await relay.send([{ topic: lanes.processed, messages: batch.messages.map((m) => ({ key: m.key, value: m.value ?? Buffer.alloc(0) })) }]);
          seen += batch.messages.length;
          if (seen >= values.length) resolve();
        },
      });
    });
    bare.push((Date.now() - s) / 1000);
    await consumer.disconnect();
    await relay.close();
    const levels: Level[] = ['high'];
    const p = await createProcessor({ kafka: kafka(), registry, logger: createLogger('silent'), levels, topology: lanes.topology, groupPrefix: `${lanes.groupPrefix}-${r}`, instanceId: randomUUID() });
    s = Date.now();
    await p.start();
    while (p.stats().processed.high < values.length) await new Promise((res) => setTimeout(res, 5));
    proc.push((Date.now() - s) / 1000);
    await p.stop();
  }
  console.log(`processor W-day: ${fmt(values.length)} snapshots x 100 strikes, median of ${RUNS} runs`);
  console.log(`  bare consume + produce same bytes  ${fmt(values.length / median(bare)).padStart(7)} snapshots/s  ${fmt(median(bare), 2)} s`);
  console.log(`  processor (Avro decode, normalise, encode, job events, EOS) ${fmt(values.length / median(proc)).padStart(7)} snapshots/s ${fmt((values.length * 100) / median(proc))} strike rows/s  ${fmt(median(proc), 2)} s  (${(median(proc) / median(bare)).toFixed(2)}x)`);
  await lanes.cleanup();
}
process.exit(0);
