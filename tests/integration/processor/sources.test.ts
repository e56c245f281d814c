// Source stats and breakers survive a restart (real broker): a processor rebuilds them from the sources topic before it
// processes anything, goes on from the recorded totals, and keeps an open breaker open; a second instance takes up
// the first one's newer totals instead of overwriting them with its own.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SourceStats } from '../../../src/domain/processing/sourceStats.js';
import { readToEnd } from '../../../src/kafka/reader.js';
import { createLogger } from '../../../src/log.js';
import { createProcessor, type ProcessingStep } from '../../../src/pipelines/process.js';
import { eventually, kafka, unique } from '../../support/env.js';
import { registry } from '../../support/pipeline.js';
import { isolatedLanes, prioritized, sendPrioritized, type Lanes } from '../../support/processing.js';

const logger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
const start = async (lanes: Lanes, extra: Partial<Parameters<typeof createProcessor>[0]> = {}) => {
  const p = await createProcessor({ kafka: kafka(), registry, logger, levels: ['low'], topology: lanes.topology, groupPrefix: lanes.groupPrefix, instanceId: unique('i'), ...extra });
  await p.start();
  return p;
};

/** The last record of each source on the topic: what a restart reads back. */
const recorded = async (lanes: Lanes): Promise<Map<string, SourceStats>> => {
  const out = new Map<string, SourceStats>();
  await readToEnd(kafka(), lanes.sources, async (m) => {
    if (m.key && m.value) out.set(m.key.toString(), await registry.decode<SourceStats>(m.value));
  }, { idleMs: 800 });
  return out;
};

const test = suite('processor: source stats and breakers rebuilt from the sources topic (real broker)');

test('restart => the same totals, then counting on from them; an open breaker stays open and holds its source', async () => {
  const lanes = await isolatedLanes('sources', 1);
  // the 'flaky' source fails for good: two failures open its breaker (cool-down far beyond the test)
  const step: ProcessingStep = (s, meta) => {
    if (meta.source === 'flaky') throw Object.assign(new Error('vendor broken'), { name: 'VendorError', retriable: false });
    return s;
  };
  const breaker = { failureThreshold: 2, failureRatio: null, cooldownMs: 600_000, halfOpenProbes: 1, probeTimeoutMs: 600_000 };
  const id = unique('src');
  try {
    await sendPrioritized(lanes.topicOf('low'), [
      ...Array.from({ length: 5 }, (_, i) => prioritized(`${id}-a${i}`, 'low', 'feed-a')),
      ...Array.from({ length: 3 }, (_, i) => prioritized(`${id}-b${i}`, 'low', 'feed-b')),
      ...Array.from({ length: 2 }, (_, i) => prioritized(`${id}-f${i}`, 'low', 'flaky')),
    ]);
    const first = await start(lanes, { step, breaker });
    await eventually('the first instance handled all ten', async () => (first.stats().processed.low + first.stats().deadLetters >= 10 ? true : undefined), 60_000);
    const before = first.stats();
    await first.stop();
    assert.equal([before.sources.get('feed-a')?.total_requests, before.sources.get('feed-b')?.total_requests, before.sources.get('flaky')?.total_requests], [5, 3, 2]);
    assert.is(before.breakers.get('flaky')?.status, 'open');

    // a new instance (another process, as after a crash or a deploy): the totals and the open breaker come back
    const second = await start(lanes, { step, breaker });
    try {
      const after = second.stats();
      assert.equal(Object.fromEntries([...after.sources].map(([k, s]) => [k, [s.total_requests, s.successful_requests, s.breaker]])), { 'feed-a': [5, 5, 'closed'], 'feed-b': [3, 3, 'closed'], flaky: [2, 0, 'open'] }, 'rebuilt before anything is processed');
      assert.is(after.sources.get('feed-a')?.ema_latency_ms, before.sources.get('feed-a')?.ema_latency_ms);
      assert.is(after.breakers.get('flaky')?.status, 'open', 'the open breaker is open again');
      assert.is(after.processed.low, 0);

      await sendPrioritized(lanes.topicOf('low'), [...Array.from({ length: 4 }, (_, i) => prioritized(`${id}-a2${i}`, 'low', 'feed-a')), prioritized(`${id}-f2`, 'low', 'flaky')]);
      await eventually('four more from feed-a', async () => (second.stats().processed.low >= 4 ? true : undefined), 60_000);
      await eventually('the flaky one held by its breaker', async () => (second.stats().held >= 1 ? true : undefined), 30_000);
      assert.is(second.stats().sources.get('feed-a')?.total_requests, 9, 'counted on from the recorded 5');
      assert.is(second.stats().sources.get('flaky')?.total_requests, 2, 'a held message is no request to its source');
    } finally {
      await second.stop();
    }
    const onTopic = await recorded(lanes);
    assert.equal([onTopic.get('feed-a')?.total_requests, onTopic.get('feed-b')?.total_requests, onTopic.get('flaky')?.breaker], [9, 3, 'open'], 'the topic holds the totals across both instances');
  } finally {
    await lanes.cleanup();
  }
});

test('a running instance takes up another instance\'s newer totals instead of overwriting them', async () => {
  const lanes = await isolatedLanes('sources2', 1);
  const id = unique('src2');
  // two instances draining different levels, as processes split by --levels do, sharing the sources topic
  const a = await start(lanes, { levels: ['low'] });
  const b = await start(lanes, { levels: ['medium'] });
  try {
    await sendPrioritized(lanes.topicOf('low'), Array.from({ length: 3 }, (_, i) => prioritized(`${id}-l${i}`, 'low', 'feed-c')));
    await eventually('a processed three', async () => (a.stats().processed.low >= 3 ? true : undefined), 60_000);
    await eventually('b took up a\'s totals', async () => (b.stats().sources.get('feed-c')?.total_requests === 3 ? true : undefined), 30_000, 100);
    await sendPrioritized(lanes.topicOf('medium'), Array.from({ length: 2 }, (_, i) => prioritized(`${id}-m${i}`, 'medium', 'feed-c')));
    await eventually('b processed two', async () => (b.stats().processed.medium >= 2 ? true : undefined), 60_000);
    await eventually('a took up b\'s totals', async () => (a.stats().sources.get('feed-c')?.total_requests === 5 ? true : undefined), 30_000, 100);
    assert.is((await recorded(lanes)).get('feed-c')?.total_requests, 5, 'the topic holds both instances\' requests, not the last writer\'s own');
  } finally {
    await a.stop();
    await b.stop();
    await lanes.cleanup();
  }
});

test.run();
