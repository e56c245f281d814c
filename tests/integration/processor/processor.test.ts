// The level processors against the real broker: a critical snapshot overtakes a 100k low backlog, low keeps its minimum share
// under continuous critical traffic; retries with backoff end in the DLQ; the breaker holds one source only and closes again.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeadLetter } from '../../../src/domain/deadLetter.js';
import type { JobEvent } from '../../../src/domain/prioritized.js';
import type { Level } from '../../../src/domain/priority/level.js';
import { readToEnd } from '../../../src/kafka/reader.js';
import { createLogger } from '../../../src/log.js';
import { createProcessor, type ProcessingStep } from '../../../src/pipelines/process.js';
import { eventually, kafka, unique } from '../../support/env.js';
import { registry } from '../../support/pipeline.js';
import { isolatedLanes, prioritized, readProcessed, sendPrioritized, type Lanes } from '../../support/processing.js';

const logger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
const start = async (lanes: Lanes, extra: Partial<Parameters<typeof createProcessor>[0]> = {}) => {
  const p = await createProcessor({ kafka: kafka(), registry, logger, topology: lanes.topology, groupPrefix: lanes.groupPrefix, instanceId: unique('i'), ...extra });
  await p.start();
  return p;
};

const overtake = suite('processor: critical first (real broker)');
overtake('a critical snapshot published behind a 100k low backlog is processed within a bound; low keeps its minimum share', async () => {
  const lanes = await isolatedLanes('overtake');
  const N = 100_000;
  await sendPrioritized(lanes.topicOf('low'), Array.from({ length: N }, (_, i) => prioritized(`low-${i}`, 'low', 'gexbot', 'SPY', Date.now())));
  const p = await start(lanes);
  try {
    await eventually('low processing under way', async () => (p.stats().processed.low >= 2_000 ? true : undefined), 60_000, 50);
    const critical = prioritized('crit-1', 'critical', 'gexbot', 'SPX', Date.now());
    await sendPrioritized(lanes.topicOf('critical'), [critical]);
    await sendPrioritized(lanes.topicOf('low'), [prioritized('low-after', 'low', 'gexbot', 'SPY', Date.now())]);
    await eventually('the critical snapshot', async () => (p.stats().processed.critical >= 1 ? true : undefined), 30_000, 5);
    const lowAtCritical = p.stats().processed.low;
    assert.ok(lowAtCritical < N, `the low backlog was not drained first (${lowAtCritical} of ${N})`);

    // continuous critical traffic for 3 s: low must still progress (minimum share)
    const lowBefore = p.stats().processed.low;
    const until = Date.now() + 3_000;
    let sent = 0;
    while (Date.now() < until) {
      await sendPrioritized(lanes.topicOf('critical'), [prioritized(`crit-flow-${sent++}`, 'critical', 'gexbot', 'SPX', Date.now())]);
      await new Promise((r) => setTimeout(r, 10));
    }
    await eventually('the critical flow', async () => (p.stats().processed.critical >= sent + 1 ? true : undefined), 30_000, 20);
    const lowProgress = p.stats().processed.low - lowBefore;
    assert.ok(lowProgress > 0, `low made progress during continuous critical traffic (${lowProgress} snapshots)`);
    await p.stop();
    const out = await readProcessed(lanes.processed);
    const crit = out.find((x) => x.request_id === 'crit-1');
    assert.ok(crit, 'the critical snapshot is on the processed topic');
    const latency = crit.processed_at_ms - crit.published_at_ms;
    console.log(`    critical publish -> processed behind a ${N} low backlog: ${latency} ms; low processed meanwhile during 3 s of critical flow: ${lowProgress}; critical flow ${sent} msgs`);
    assert.ok(latency < 5_000, `critical latency ${latency} ms under the 5 s bound`);
    const after = out.find((x) => x.request_id === 'low-after');
    assert.ok(!after || after.processed_at_ms > crit.processed_at_ms, 'no low published after the critical was processed before it');
    const flow = out.filter((x) => x.request_id.startsWith('crit-flow-')).map((x) => x.processed_at_ms - x.published_at_ms).sort((a, b) => a - b);
    console.log(`    critical under continuous load: p50 ${flow[Math.floor(flow.length / 2)]} ms, p99 ${flow[Math.floor(flow.length * 0.99)]} ms over ${flow.length}`);
  } finally {
    await p.stop().catch(() => undefined);
    await lanes.cleanup();
  }
});
overtake.run();

const failures = suite('processor: retries, DLQ and circuit breaker (real broker)');
failures('3 retries with backoff then the DLQ; the breaker holds the failing source only and closes after recovery', async () => {
  const lanes = await isolatedLanes('breaker');
  let failing = true;
  const step: ProcessingStep = (s, { source }) => {
    if (source === 'flaky' && failing) throw Object.assign(new Error('vendor timeout'), { name: 'TimeoutError', retriable: true });
    return s;
  };
  const p = await start(lanes, {
    step,
    retry: { maxRetries: 3, baseMs: 20, factor: 2, capMs: 200, jitterRatio: 0.2 },
    breaker: { failureThreshold: 3, failureRatio: null, cooldownMs: 1_000, halfOpenProbes: 1, probeTimeoutMs: 5_000 },
  });
  const level: Level = 'high';
  const id = unique('flaky');
  try {
    await sendPrioritized(lanes.topicOf(level), [prioritized(`${id}-0`, level, 'flaky')]);
    await eventually('the dead letter', async () => (p.stats().deadLetters >= 1 ? true : undefined), 30_000, 20);
    assert.is(p.stats().breakers.get('flaky')?.status, 'open', 'repeated failures opened the breaker of that source');
    // while it is open: flaky messages wait, the others flow
    await sendPrioritized(lanes.topicOf(level), [1, 2, 3].map((i) => prioritized(`${id}-${i}`, level, 'flaky')));
    await sendPrioritized(lanes.topicOf(level), [1, 2, 3, 4, 5].map((i) => prioritized(`${id}-good-${i}`, level, 'steady')));
    await eventually('the other source flowing', async () => (p.stats().processed.high >= 5 ? true : undefined), 30_000, 20);
    assert.ok(p.stats().held > 0, 'flaky messages were held');
    assert.is(p.stats().breakers.get('steady')?.status ?? 'closed', 'closed', 'the other source is unaffected');
    failing = false; // the source recovers
    await eventually('the held messages after recovery', async () => (p.stats().processed.high >= 8 ? true : undefined), 30_000, 50);
    assert.is(p.stats().breakers.get('flaky')?.status, 'closed', 'a successful probe closed the breaker');
    await p.stop();

    const jobs: JobEvent[] = [];
    await readToEnd(kafka(), lanes.jobs, async (m) => {
      const j = m.value ? await registry.decode<JobEvent>(m.value) : null; // job events are keyed by ticker
      if (j?.request_id === `${id}-0`) jobs.push(j);
    }, { idleMs: 800 });
    const sequence = jobs.sort((a, b) => a.at_ms - b.at_ms || a.retry_count - b.retry_count).map((j) => `${j.status}:${j.retry_count}`);
    assert.equal(sequence, ['PROCESSING:0', 'FAILED:0', 'QUEUED:1', 'PROCESSING:1', 'FAILED:1', 'QUEUED:2', 'PROCESSING:2', 'FAILED:2', 'QUEUED:3', 'PROCESSING:3', 'FAILED:3'], 'QUEUED -> PROCESSING -> FAILED -> QUEUED ... at most 3 retries');
    const queued = jobs.filter((j) => j.status === 'QUEUED');
    const waits = queued.map((q) => (q.next_attempt_at_ms ?? 0) - q.at_ms);
    assert.ok(waits[2]! > waits[0]!, `backoff grows: ${waits.join(', ')} ms`);
    assert.match(jobs.at(-1)?.error_message ?? '', 'vendor timeout');
    const letters: DeadLetter[] = [];
    await readToEnd(kafka(), lanes.dlq, async (m) => {
      if (m.value) {
        const d = await registry.decode<DeadLetter>(m.value);
        if (d.request_id === `${id}-0`) letters.push(d);
      }
    }, { idleMs: 800 });
    assert.is(letters.length, 1);
    assert.is(letters[0]?.stage, 'process');
    assert.is(letters[0]?.attempts, 4);
    assert.match(letters[0]?.reason ?? '', 'vendor timeout');
    assert.ok(p.stats().retried >= 3, 'each retry is a re-queued message');
    const out = await readProcessed(lanes.processed);
    assert.equal(out.map((x) => x.request_id).filter((r) => r.startsWith(`${id}-`) && !r.includes('good')).sort(), [`${id}-1`, `${id}-2`, `${id}-3`], 'held messages were processed after recovery, once each');
  } finally {
    await p.stop().catch(() => undefined);
    await lanes.cleanup();
  }
});
failures('a retry read early waits for its time: under a clock that reads up to 5 ms early, 2 failures then success end COMPLETED, processed once', async () => {
  const lanes = await isolatedLanes('early');
  const attempts = new Map<string, number>();
  const step: ProcessingStep = (s) => {
    const n = (attempts.get(s.ticker) ?? 0) + 1;
    attempts.set(s.ticker, n);
    if (n <= 2) throw Object.assign(new Error('vendor timeout'), { name: 'TimeoutError', retriable: true });
    return s;
  };
  // timers and fetches wake early: every reading of this clock may be behind by up to 5 ms
  const p = await start(lanes, { step, clock: () => Date.now() - Math.floor(Math.random() * 6), retry: { maxRetries: 3, baseMs: 5, factor: 2, capMs: 50, jitterRatio: 0 } });
  const id = unique('early');
  try {
    await sendPrioritized(lanes.topicOf('critical'), [prioritized(id, 'critical', 'gexbot', 'SPX', Date.now())]);
    await eventually('the snapshot processed after its retries', async () => (p.stats().processed.critical >= 1 ? true : undefined), 30_000, 20).catch((e: Error) => {
      throw new Error(`${e.message}: attempts ${[...attempts.values()].join(',')}, stats ${JSON.stringify((({ processed, deadLetters, retried, waiting }) => ({ processed, deadLetters, retried, waiting }))(p.stats()))}`);
    });
    assert.is(p.stats().retried, 2, 'two retries scheduled, as re-queued messages');
    assert.is(p.stats().deadLetters, 0);
    await p.stop();
    const jobs: JobEvent[] = [];
    await readToEnd(kafka(), lanes.jobs, async (m) => {
      const j = m.value ? await registry.decode<JobEvent>(m.value) : null; // job events are keyed by ticker
      if (j?.request_id === id) jobs.push(j);
    }, { idleMs: 800 });
    assert.equal(jobs.map((j) => `${j.status}:${j.retry_count}`), ['PROCESSING:0', 'FAILED:0', 'QUEUED:1', 'PROCESSING:1', 'FAILED:1', 'QUEUED:2', 'PROCESSING:2', 'COMPLETED:2'], 'in the order written: never left QUEUED');
    const started = jobs.filter((j) => j.status === 'PROCESSING' && j.retry_count > 0);
    const queued = jobs.filter((j) => j.status === 'QUEUED');
    started.forEach((s, i) => assert.ok(s.at_ms >= (queued[i]?.next_attempt_at_ms ?? Infinity), `retry ${i + 1} started at ${s.at_ms}, not before ${queued[i]?.next_attempt_at_ms}`));
    const out = await readProcessed(lanes.processed);
    assert.equal(out.map((x) => x.request_id).filter((r) => r === id), [id], 'processed exactly once');
  } finally {
    await p.stop().catch(() => undefined);
    await lanes.cleanup();
  }
});
failures.run();
