// Chaos: 100k raw snapshots, the prioritizer (a child process) killed with SIGKILL at random moments and restarted each
// time; afterwards every raw message must appear exactly once across the level topics (read_committed).
import { generatePayloads } from '../src/domain/generator.js';
import { H } from '../src/domain/headers.js';
import { createProducer } from '../src/kafka/producer.js';
import { groupConsumed, isolated, prioritizedFrom } from '../tests/support/pipeline.js';
import { fmt, kafka, median, runWithRandomKills } from './support.js';

const N = Number(process.argv[2] ?? 100_000);
const KILLS = Number(process.argv[3] ?? 8);
const seed = Number(process.argv[4] ?? Date.now() % 100_000);

const iso = await isolated('chaos', 6);
const producer = await createProducer({ kafka: kafka() });
let batch: Array<{ key: string; value: Buffer; headers: Record<string, string> }> = [];
for (const p of generatePayloads({ seed: 3, tickers: ['SPX', 'NDX', 'QQQ', 'SPY', 'ES_SPX', 'NQ_NDX'], count: N, strikes: 20 })) {
  batch.push({ key: String(p['ticker']), value: Buffer.from(JSON.stringify(p)), headers: { [H.dataType]: 'real_time', [H.source]: 'chaos' } });
  if (batch.length === 5000) {
    await producer.send([{ topic: iso.rawTopic, messages: batch }]);
    batch = [];
  }
}
if (batch.length) await producer.send([{ topic: iso.rawTopic, messages: batch }]);
await producer.close();

const args = ['--role', 'prioritizer', '--topic-prefix', iso.prefix, '--group', iso.group, '--instance', iso.instance];
const { elapsed, recoveries } = await runWithRandomKills({ args, total: N, consumed: () => groupConsumed(iso.group, iso.rawTopic), kills: KILLS, seed });
const decided = await prioritizedFrom(iso);
const positions = new Map<string, number>();
for (const d of decided) positions.set(`${d.raw.partition}/${d.raw.offset}`, (positions.get(`${d.raw.partition}/${d.raw.offset}`) ?? 0) + 1);
const duplicates = [...positions.values()].filter((n) => n > 1).length;
const lost = N - positions.size;
await iso.cleanup();
console.log(`chaos prioritizer: ${fmt(N)} snapshots x 20 strikes, ${recoveries.length} SIGKILLs at random moments (seed ${seed})`);
console.log(`  decided ${fmt(decided.length)}; distinct raw messages ${fmt(positions.size)}; duplicates ${duplicates}; lost ${lost}`);
console.log(`  wall time ${fmt(elapsed, 1)} s incl. restarts; recovery after restart median ${fmt(median(recoveries))} ms, max ${fmt(Math.max(...recoveries))} ms`);
process.exit(duplicates === 0 && lost === 0 ? 0 : 1);
