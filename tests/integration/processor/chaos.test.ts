// kill -9 the processor in the middle of 20k messages and restart it: every request id appears exactly once on the processed
// topic (read_committed) and its job ends COMPLETED exactly once.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import type { JobEvent } from '../../../src/domain/prioritized.js';
import { LEVELS } from '../../../src/domain/priority/level.js';
import { readToEnd } from '../../../src/kafka/reader.js';
import { eventually, kafka } from '../../support/env.js';
import { groupConsumed, registry, spawnRun } from '../../support/pipeline.js';
import { isolatedLanes, prioritized, readProcessed, sendPrioritized } from '../../support/processing.js';

const test = suite('processor: kill -9 mid-run (real broker)');
const N = 20_000;

test(`${N} messages over the four levels, SIGKILL after a third, restart: each processed exactly once, COMPLETED once`, async () => {
  const lanes = await isolatedLanes('pchaos');
  const tag = lanes.prefix.split('.').at(-1);
  for (const [i, level] of LEVELS.entries())
    await sendPrioritized(lanes.topicOf(level), Array.from({ length: N / 4 }, (_, k) => prioritized(`${tag}-${level}-${k}`, level, 'gexbot', ['SPX', 'NDX', 'QQQ', 'SPY'][(k + i) % 4])));
  const consumed = async () => {
    let n = 0;
    for (const l of LEVELS) n += await groupConsumed(`${lanes.groupPrefix}-${l}`, lanes.topicOf(l));
    return n;
  };
  const args = ['--role', 'processor', '--topic-prefix', lanes.prefix, '--group-prefix', lanes.groupPrefix, '--instance', `${tag}`];
  const first = spawnRun(args);
  const atKill = await eventually('a third processed', async () => {
    const c = await consumed();
    return c >= N / 3 ? c : undefined;
  }, 120_000, 100);
  first.kill('SIGKILL');
  await once(first, 'exit');
  assert.ok(atKill < N, `killed mid-run at ${atKill}`);
  const second = spawnRun(args);
  try {
    await eventually('everything committed after the restart', async () => ((await consumed()) >= N ? true : undefined), 180_000, 500);
  } finally {
    second.kill('SIGTERM');
    const [code] = (await once(second, 'exit')) as [number | null];
    assert.is(code, 0, 'SIGTERM stops the processor cleanly');
  }
  const out = await readProcessed(lanes.processed);
  const ids = new Map<string, number>();
  for (const o of out) ids.set(o.request_id, (ids.get(o.request_id) ?? 0) + 1);
  assert.is(out.length, N, 'no duplicate, no loss on the processed topic');
  assert.is(ids.size, N);
  const completed = new Map<string, number>();
  await readToEnd(kafka(), lanes.jobs, async (m) => {
    if (!m.value) return;
    const j = await registry.decode<JobEvent>(m.value); // job events are keyed by ticker
    if (!j.request_id.startsWith(`${tag}-`)) return;
    if (j.status === 'COMPLETED') completed.set(j.request_id, (completed.get(j.request_id) ?? 0) + 1);
  }, { idleMs: 1000 });
  assert.is(completed.size, N, 'every job COMPLETED');
  assert.ok([...completed.values()].every((n) => n === 1), 'exactly once');
  await lanes.cleanup();
});

test.run();
