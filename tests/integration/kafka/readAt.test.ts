// readAt against the real broker: the messages at given offsets, each partition seeked to what it wants; offsets with
// no message (past the end, or deleted by retention) come back as missing instead of being waited for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTopicAdmin } from '../../../src/kafka/admin.js';
import { readAt } from '../../../src/kafka/reader.js';
import { applyTopics } from '../../../src/pipelines/topics.js';
import { kafka, unique } from '../../support/env.js';

test('readAt: the wanted offsets of several partitions, far apart; the missing ones reported', async () => {
  const topic = unique('test.readat');
  await applyTopics({ kafka: kafka(), specs: [{ name: topic, partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'delete' } }] });
  const admin = await createTopicAdmin({ kafka: kafka() });
  try {
    const producer = kafka().producer();
    await producer.connect();
    // 2,000 messages on partitions 0 and 1 (partition 2 stays empty): values name their partition and index
    for (const partition of [0, 1]) await producer.send({ topic, messages: Array.from({ length: 2_000 }, (_, i) => ({ partition, value: `p${partition}-${i}` })) });
    await producer.disconnect();
    const got: string[] = [];
    const wanted = [
      { partition: 0, offset: 3 },
      { partition: 0, offset: 1_500 }, // far from the first: read by a seek, not by reading what lies between
      { partition: 0, offset: 1_999 },
      { partition: 1, offset: 0 },
      { partition: 1, offset: 5_000 }, // past the end
      { partition: 2, offset: 0 }, // an empty partition
    ];
    const r = await readAt(kafka(), topic, wanted, (m) => void got.push(`${m.partition}:${m.offset}=${m.value?.toString()}`), { timeoutMs: 60_000 });
    assert.equal(got.sort(), ['0:1500=p0-1500', '0:1999=p0-1999', '0:3=p0-3', '1:0=p1-0']);
    assert.is(r.found, 4);
    assert.equal(r.missing.sort((a, b) => a.partition - b.partition), [{ partition: 1, offset: 5_000 }, { partition: 2, offset: 0 }]);
    // nothing wanted: no consumer at all
    assert.equal(await readAt(kafka(), topic, [], () => undefined), { found: 0, missing: [] });
  } finally {
    await admin.deleteTopics([topic]).catch(() => undefined);
    await admin.close();
  }
});

test.run();
