// kill -9 the prioritizer in the middle of 20k messages and restart it: each raw message appears exactly once across the
// level topics and has exactly one JobQueued (read_committed).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { generatePayloads } from '../../../src/domain/generator.js';
import { H } from '../../../src/domain/headers.js';
import type { JobEvent } from '../../../src/domain/prioritized.js';
import { createProducer } from '../../../src/kafka/producer.js';
import { readToEnd } from '../../../src/kafka/reader.js';
import { eventually, kafka } from '../../support/env.js';
import { groupConsumed, isolated, prioritizedFrom, registry, spawnRun } from '../../support/pipeline.js';

const test = suite('prioritizer: kill -9 mid-run (real broker)');
const N = 20_000;

test(`${N} messages, SIGKILL after a third, restart: every raw message decided exactly once`, async () => {
  const iso = await isolated('chaos', 3);
  const producer = await createProducer({ kafka: kafka() });
  const tickers = ['SPX', 'NDX', 'QQQ', 'SPY'];
  let batch: Array<{ key: string; value: Buffer; headers: Record<string, string> }> = [];
  let i = 0;
  for (const p of generatePayloads({ seed: 11, tickers, count: N, strikes: 10, ratePerSecond: 1 })) {
    batch.push({ key: String(p['ticker']), value: Buffer.from(JSON.stringify(p)), headers: { [H.dataType]: i % 3 === 0 ? 'historical' : 'real_time', [H.source]: 'chaos' } });
    i++;
    if (batch.length === 2000) {
      await producer.send([{ topic: iso.rawTopic, messages: batch }]);
      batch = [];
    }
  }
  if (batch.length) await producer.send([{ topic: iso.rawTopic, messages: batch }]);
  await producer.close();
  assert.is(i, N);

  const args = ['--role', 'prioritizer', '--topic-prefix', iso.prefix, '--group', iso.group, '--instance', iso.instance];
  const first = spawnRun(args);
  const atKill = await eventually('a third of the messages', async () => {
    const c = await groupConsumed(iso.group, iso.rawTopic);
    return c >= N / 3 ? c : undefined;
  }, 120_000, 100);
  first.kill('SIGKILL');
  await once(first, 'exit');
  assert.ok(atKill < N, `killed mid-run after ${atKill} committed`);

  const second = spawnRun(args);
  try {
    await eventually('all messages committed after the restart', async () => ((await groupConsumed(iso.group, iso.rawTopic)) >= N ? true : undefined), 180_000, 500);
  } finally {
    second.kill('SIGTERM');
    const [code] = (await once(second, 'exit')) as [number | null];
    assert.is(code, 0, 'SIGTERM stops the prioritizer cleanly');
  }
  const decided = await prioritizedFrom(iso);
  const positions = new Set(decided.map((d) => `${d.raw.partition}/${d.raw.offset}`));
  const ids = new Set(decided.map((d) => d.request_id));
  assert.is(decided.length, N, 'no duplicate and no loss across the level topics');
  assert.is(positions.size, N);
  assert.is(ids.size, N);
  const queued = new Map<string, number>();
  await readToEnd(kafka(), iso.jobsTopic, async (m) => {
    if (!m.value) return;
    const j = await registry.decode<JobEvent>(m.value); // job events are keyed by ticker
    if (!ids.has(j.request_id)) return;
    if (j.status === 'QUEUED') queued.set(j.request_id, (queued.get(j.request_id) ?? 0) + 1);
  }, { idleMs: 1000 });
  assert.is(queued.size, N, 'every request has a JobQueued');
  assert.ok([...queued.values()].every((n) => n === 1), 'exactly one JobQueued per request');
  await iso.cleanup();
});

test.run();
