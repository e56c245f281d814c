// Chaos: 100k prioritized snapshots over the four levels, the processor (a child process) killed with SIGKILL at random
// moments and restarted each time; afterwards every request id must be on the processed topic exactly once.
import { LEVELS } from '../src/domain/priority/level.js';
import { groupConsumed } from '../tests/support/pipeline.js';
import { isolatedLanes, prioritized, readProcessed, sendPrioritized } from '../tests/support/processing.js';
import { fmt, median, runWithRandomKills } from './support.js';

const N = Number(process.argv[2] ?? 100_000);
const KILLS = Number(process.argv[3] ?? 8);
const seed = Number(process.argv[4] ?? Date.now() % 100_000);

const lanes = await isolatedLanes('pchaos', 6);
for (const [i, level] of LEVELS.entries()) await sendPrioritized(lanes.topicOf(level), Array.from({ length: N / 4 }, (_, k) => prioritized(`${level}-${k}`, level, 'gexbot', ['SPX', 'NDX', 'QQQ', 'SPY'][(k + i) % 4])));
const consumed = async (): Promise<number> => {
  let n = 0;
  for (const l of LEVELS) n += await groupConsumed(`${lanes.groupPrefix}-${l}`, lanes.topicOf(l));
  return n;
};
const args = ['--role', 'processor', '--topic-prefix', lanes.prefix, '--group-prefix', lanes.groupPrefix, '--instance', 'chaos'];
const { elapsed, recoveries } = await runWithRandomKills({ args, total: N, consumed: consumed, kills: KILLS, seed });
const out = await readProcessed(lanes.processed);
const ids = new Map<string, number>();
for (const o of out) ids.set(o.request_id, (ids.get(o.request_id) ?? 0) + 1);
const duplicates = [...ids.values()].filter((n) => n > 1).length;
const lost = N - ids.size;
await lanes.cleanup();
console.log(`chaos processor: ${fmt(N)} snapshots over 4 levels, ${recoveries.length} SIGKILLs at random moments (seed ${seed})`);
console.log(`  processed ${fmt(out.length)}; distinct request ids ${fmt(ids.size)}; duplicates ${duplicates}; lost ${lost}`);
console.log(`  wall time ${fmt(elapsed, 1)} s incl. restarts; recovery after restart median ${fmt(median(recoveries))} ms, max ${fmt(Math.max(...recoveries))} ms`);
process.exit(duplicates === 0 && lost === 0 ? 0 : 1);
