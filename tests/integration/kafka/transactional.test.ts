// The exactly-once runner (src/kafka/transactional.ts) against the real broker: a batch held back by `mayProceed` (a
// lower level yielding to a higher one) is kept and goes on where it stopped, not dropped and fetched again. Dropping
// it meant fetching up to 8 MiB again each time; on a loaded machine that took longer than the drain plan kept the
// level resumed, and the low level got nothing at all under continuous critical traffic.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createTopicAdmin } from '../../../src/kafka/admin.js';
import { readToEnd } from '../../../src/kafka/reader.js';
import { createTransactionalProcessor } from '../../../src/kafka/transactional.js';
import { applyTopics } from '../../../src/pipelines/topics.js';
import { eventually, kafka, unique } from '../../support/env.js';

const test = suite('transactional runner: held batches (real broker)');
const created: string[] = [];
test.after(async () => {
  const admin = await createTopicAdmin({ kafka: kafka() });
  await admin.deleteTopics(created).catch(() => undefined);
  await admin.close();
});

test('held back by mayProceed: the fetched batch goes on where it stopped, nothing fetched twice, each message once', async () => {
  const input = unique('test.held.in');
  const output = unique('test.held.out');
  created.push(input, output);
  const spec = (name: string) => ({ name, partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'delete' } });
  await applyTopics({ kafka: kafka(), specs: [spec(input), spec(output)] });
  const N = 1_000;
  const producer = kafka().producer();
  await producer.connect();
  await producer.send({ topic: input, messages: Array.from({ length: N }, (_, i) => ({ key: String(i), value: `m-${i}` })) });
  await producer.disconnect();

  let allowance = 100;
  let committed = 0;
  let asked = 0;
  const fetchedFrom: number[] = [];
  const proc = await createTransactionalProcessor({
    kafka: kafka(),
    groupId: unique('test.held.group'),
    topics: [input],
    transactionalId: unique('test.held.tx'),
    transform: async (batch) => [{ topic: output, messages: batch.map((m) => ({ key: m.key, value: m.value ?? Buffer.alloc(0) })) }],
    maxMessagesPerTransaction: 50,
    maxWaitTimeInMs: 100,
    mayProceed: () => {
      asked++;
      if (allowance <= 0) return false;
      allowance--;
      return true;
    },
    onFetched: ({ firstOffset }) => fetchedFrom.push(firstOffset),
    onCommitted: ({ messages }) => (committed += messages),
  });
  try {
    await proc.start();
    await eventually('the first 100 committed', async () => (committed >= 100 ? true : undefined), 60_000, 20);
    // held: it keeps asking (and heartbeating) on the batch it holds
    const askedAtHold = asked;
    await eventually('asked again while held', async () => (asked > askedAtHold + 3 ? true : undefined), 30_000, 10);
    assert.is(committed, 100, 'nothing beyond the allowance');
    allowance = 200;
    await eventually('the next 200 committed', async () => (committed >= 300 ? true : undefined), 60_000, 20);
    assert.is(committed, 300);
    allowance = Infinity;
    await eventually('every message committed', async () => (committed >= N ? true : undefined), 60_000, 20);
    assert.is(committed, N);
    // a held batch is never dropped and fetched again: every fetch starts past the one before
    assert.ok(fetchedFrom.every((o, i) => i === 0 || o > (fetchedFrom[i - 1] as number)), `fetches from offsets ${fetchedFrom.join(', ')}`);
  } finally {
    await proc.stop();
  }
  const keys: string[] = [];
  await readToEnd(kafka(), output, async (m) => void keys.push(m.key?.toString() ?? ''), { idleMs: 1_000 });
  assert.is(keys.length, N, 'each message once on the output topic');
  assert.is(new Set(keys).size, N);
});

test.run();
