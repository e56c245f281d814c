// dlq redrive against the real broker: a dead letter's original bytes and headers go back to the raw topic and, after the
// fix, are prioritized like any good message.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { H } from '../../../src/domain/headers.js';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { createProducer } from '../../../src/kafka/producer.js';
import { createLogger } from '../../../src/log.js';
import { REDRIVE_HEADER, readDeadLetters, redrive } from '../../../src/pipelines/deadLetters.js';
import { createPrioritizer } from '../../../src/pipelines/prioritize.js';
import { generatePayloads } from '../../../src/domain/generator.js';
import { eventually, kafka } from '../../support/env.js';
import { deadLettersFrom, isolated, prioritizedFrom, registry } from '../../support/pipeline.js';

const test = suite('dlq redrive (real broker)');

test('a snapshot dead-lettered for a future timestamp is re-driven after the clock is fixed and then prioritized', async () => {
  const iso = await isolated('redrive');
  const [payload] = [...generatePayloads({ seed: 21, tickers: ['NDX'], day: '2025-11-07', startTime: '12:00:00', count: 1, strikes: 10 })];
  const snapshotMs = Date.UTC(2025, 10, 7, 17, 0, 0);
  let clockMs = snapshotMs - 10 * 60_000; // a publisher clock 10 minutes behind: the snapshot looks 10 minutes ahead
  const p = await createPrioritizer({ kafka: kafka(), registry, logger: createLogger('silent'), priority: defaultPriorityConfig, ...iso.topics, groupId: iso.group, instanceId: iso.instance, clock: () => clockMs });
  await p.start();
  try {
    const producer = await createProducer({ kafka: kafka() });
    const bytes = Buffer.from(JSON.stringify(payload));
    await producer.send([{ topic: iso.rawTopic, messages: [{ key: 'NDX', value: bytes, headers: { [H.dataType]: 'real_time', [H.source]: 'vendor-x', [H.requestId]: 'redrive-test-0001' } }] }]);
    const [letter] = await eventually('the dead letter', async () => {
      const d = await deadLettersFrom(iso);
      return d.length > 0 ? d : undefined;
    }, 30_000, 500);
    assert.ok(letter);
    assert.match(letter.reason, 'timestamp');
    clockMs = snapshotMs + 5_000; // the fix: the clock is right again

    const all = await readDeadLetters({ kafka: kafka(), registry, topic: iso.dlqTopic });
    const chosen = await redrive({ producer, letters: all, filter: { id: letter.dead_letter_id }, rawTopic: iso.rawTopic });
    await producer.close();
    assert.is(chosen.length, 1, 'the filter picks exactly that dead letter');
    const [decided] = await eventually('the re-driven snapshot', async () => {
      const x = await prioritizedFrom(iso);
      return x.length > 0 ? x : undefined;
    }, 30_000, 500);
    assert.ok(decided);
    assert.is(decided.request_id, 'redrive-test-0001', 'the original request id travels with the re-drive');
    assert.is(decided.headers[REDRIVE_HEADER], letter.dead_letter_id);
    assert.is(decided.source, 'vendor-x');
    assert.is(decided.snapshot.ticker, 'NDX');
  } finally {
    await p.stop();
    await iso.cleanup();
  }
});

test.run();
