// The prioritizer against the real broker: bad input to the DLQ with bytes intact, guideline levels, explainable decisions,
// hot reload without a pause.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { MAX_DEAD_LETTER_VALUE } from '../../../src/domain/deadLetter.js';
import { generatePayloads } from '../../../src/domain/generator.js';
import { H } from '../../../src/domain/headers.js';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { disableRule } from '../../../src/domain/priority/ruleCommands.js';
import type { RuleEvent } from '../../../src/domain/priority/ruleSet.js';
import type { JobEvent } from '../../../src/domain/prioritized.js';
import { createProducer } from '../../../src/kafka/producer.js';
import { readToEnd } from '../../../src/kafka/reader.js';
import { createLogger } from '../../../src/log.js';
import { createPrioritizer, type Prioritizer } from '../../../src/pipelines/prioritize.js';
import { CASES, caseBytes } from '../../unit/domain/malformedCases.js';
import { NOW_MS, OPTS, fixtureText } from '../../unit/domain/support.js';
import { eventually, kafka } from '../../support/env.js';
import { deadLettersFrom, isolated, prioritizedFrom, registry, type Isolated } from '../../support/pipeline.js';

const logger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
const start = async (iso: Isolated, clock: () => number, maxBytes?: number): Promise<Prioritizer> => {
  const p = await createPrioritizer({ kafka: kafka(), registry, logger, priority: defaultPriorityConfig, ...iso.topics, groupId: iso.group, instanceId: iso.instance, clock, ...(maxBytes ? { maxBytes } : {}) });
  await p.start();
  return p;
};
const produce = async (topic: string, messages: Array<{ key?: string; value: Buffer | Uint8Array; headers?: Record<string, string> }>) => {
  // gzip, as a client may: the table's 20 MB payload only fits the raw topic compressed
  const producer = await createProducer({ kafka: kafka(), compression: 'gzip' });
  try {
    await producer.send([{ topic, messages: messages.map((m) => ({ key: m.key ?? null, value: Buffer.from(m.value), ...(m.headers ? { headers: m.headers } : {}) })) }]);
  } finally {
    await producer.close();
  }
};

const dlq = suite('prioritizer: bad input to the DLQ (real broker)');
dlq('every malformed payload of the table lands in the DLQ with its bytes and path-precise errors; good ones around it are prioritized', async () => {
  const iso = await isolated('dlq');
  const p = await start(iso, () => NOW_MS, OPTS.maxBytes); // the table's errors are relative to its clock and limits
  try {
    const bytesCases = CASES.filter((c) => !('value' in c.input) && c.meta?.dataType !== ('live' as never));
    assert.ok(bytesCases.length >= 40, `${bytesCases.length} byte-level cases`);
    const good = fixtureText();
    const msgs: Array<{ value: Uint8Array; headers: Record<string, string> }> = [];
    for (const c of bytesCases) {
      msgs.push({ value: Buffer.from(good), headers: { [H.dataType]: 'real_time', [H.source]: 'gexbot' } });
      msgs.push({ value: caseBytes(c.input), headers: { [H.dataType]: c.meta?.dataType ?? 'real_time', [H.source]: 'gexbot', [H.requestId]: `case-${bytesCases.indexOf(c)}-0000`, ...(c.meta?.kind ? { [H.kind]: c.meta.kind } : {}) } });
    }
    msgs.push({ value: Buffer.from(good), headers: { [H.dataType]: 'real_time' } });
    await produce(iso.rawTopic, msgs);
    const letters = await eventually('all dead letters', async () => {
      const d = await deadLettersFrom(iso);
      return d.length >= bytesCases.length ? d : undefined;
    }, 60_000, 1000);
    assert.is(letters.length, bytesCases.length, 'exactly one dead letter per malformed payload');
    for (const [i, c] of bytesCases.entries()) {
      const d = letters.find((x) => x.request_id === `case-${i}-0000`);
      assert.ok(d, `dead letter for ${c.name}`);
      assert.equal([...Buffer.from(d.original_value)], [...caseBytes(c.input)].slice(0, d.original_value.length), `${c.name}: original bytes intact`);
      // kept whole up to the dead-letter limit, else only its sha256 and length (issue 13 item 7)
      assert.is(d.original_value.length, caseBytes(c.input).length <= MAX_DEAD_LETTER_VALUE ? caseBytes(c.input).length : 0);
      // a hint that came in a header is located at that header
      assert.equal(d.errors.map((e) => `${e.path}: ${e.message}`), c.expected.map((e) => e.replace(/^meta\.kind:/, `headers.${H.kind}:`)), `${c.name}: path-precise errors`);
      assert.is(d.original_topic, iso.rawTopic);
      assert.ok(d.original_offset !== null && d.original_offset >= 0);
    }
    const decided = await eventually('the good messages', async () => {
      const x = await prioritizedFrom(iso);
      return x.length >= bytesCases.length + 1 ? x : undefined;
    }, 30_000, 1000);
    assert.is(decided.length, bytesCases.length + 1, 'every good message was prioritized, none lost');
    assert.is(p.stats().deadLetters, bytesCases.length);
  } finally {
    await p.stop();
    await iso.cleanup();
  }
});
dlq('a record over the level topic limit once encoded is a dead letter at prioritize, with no job; the message behind it is prioritized', async () => {
  const iso = await isolated('oversize', 1);
  const p = await start(iso, () => NOW_MS);
  try {
    // a valid snapshot under the raw limit (8 MiB) whose unknown field, kept in extras_json, makes its record over 7 MiB
    const good = fixtureText();
    const big = Buffer.from(`${good.trimEnd().slice(0, -1)}, "desk_notes": "${'x'.repeat(7_500_000)}"}`);
    await produce(iso.rawTopic, [
      { key: 'SPX', value: big, headers: { [H.dataType]: 'real_time', [H.source]: 'gexbot', [H.requestId]: 'oversize-0001' } },
      { key: 'SPX', value: Buffer.from(good), headers: { [H.dataType]: 'real_time', [H.source]: 'gexbot', [H.requestId]: 'behind-0001' } },
    ]);
    const decided = await eventually('the message behind it', async () => {
      const x = await prioritizedFrom(iso);
      return x.length >= 1 ? x : undefined;
    }, 60_000, 1000);
    assert.equal(decided.map((d) => d.request_id), ['behind-0001']);
    const [d, ...more] = await deadLettersFrom(iso);
    assert.is(more.length, 0, 'one dead letter');
    assert.ok(d);
    assert.is(d.stage, 'prioritize');
    assert.is(d.request_id, 'oversize-0001');
    assert.equal(d.errors.map((e) => e.path), ['$']);
    assert.match(d.reason, new RegExp(`^\\$: the prioritized record of \\d+ bytes exceeds the ${7 * 1024 * 1024}-byte limit of ${iso.levelTopic(decided[0]?.level ?? 'high').replace(/\./g, '\\.')}$`));
    assert.is(d.original_value.length, big.length, 'its bytes kept whole');
    assert.equal([d.original_topic, d.original_offset], [iso.rawTopic, 0]);
    assert.equal(p.stats().deadLetters, 1);
    assert.equal(p.stats().tally.total, 1, 'the refused record is not counted as a decision');
    const jobs: JobEvent[] = [];
    await readToEnd(kafka(), iso.jobsTopic, async (m) => {
      if (m.value) jobs.push(await registry.decode<JobEvent>(m.value));
    }, { idleMs: 800 });
    assert.equal(jobs.map((j) => [j.request_id, j.status]), [['behind-0001', 'QUEUED']], 'a job for the record written only');
  } finally {
    await p.stop();
    await iso.cleanup();
  }
});
dlq.run();

const levels = suite('prioritizer: guideline levels through Kafka');
levels('front index real-time -> critical, other real-time -> high, snapshot -> medium, historical -> low; decisions name rules and version', async () => {
  const iso = await isolated('levels');
  const now = Date.UTC(2025, 10, 7, 20, 15, 0); // Fri 2025-11-07 15:15 ET: regular hours, not yet the last 30 minutes
  const t0 = Date.now();
  const p = await start(iso, () => now + (Date.now() - t0));
  try {
    const feed = (ticker: string, dataType: string, n: number) =>
      [...generatePayloads({ seed: 5, tickers: [ticker], day: '2025-11-07', startTime: '15:14:50', count: n, strikes: 20 })].map((pl) => ({ key: ticker, value: Buffer.from(JSON.stringify(pl)), headers: { [H.dataType]: dataType, [H.source]: 'gexbot' } }));
    await produce(iso.rawTopic, [...feed('SPX', 'real_time', 4), ...feed('QQQ', 'real_time', 3), ...feed('SPY', 'snapshot', 2), ...feed('NDX', 'historical', 2)]);
    const got = await eventually('11 decisions', async () => {
      const x = await prioritizedFrom(iso);
      return x.length >= 11 ? x : undefined;
    }, 30_000, 500);
    const by = (t: string) => got.filter((g) => g.snapshot.ticker === t);
    assert.equal([...new Set(by('SPX').map((g) => g.level))], ['critical']);
    assert.equal([...new Set(by('QQQ').map((g) => g.level))], ['high']);
    assert.equal([...new Set(by('SPY').map((g) => g.level))], ['medium']);
    assert.equal([...new Set(by('NDX').map((g) => g.level))], ['low']);
    for (const g of got) {
      assert.ok(g.matched_rules.length > 0, 'every decision names the rules that matched');
      assert.is(g.rule_set_version, 7, 'and the rule-set version (7 seeded guidelines)');
      assert.ok(g.score >= 0 && g.score <= 1);
      assert.is(g.raw.topic, iso.rawTopic);
      assert.ok(g.prioritized_at_ms >= g.received_at_ms);
    }
    assert.ok(by('SPX').every((g) => g.matched_rules.includes('default.front-index-regular-hours')));
  } finally {
    await p.stop();
    await iso.cleanup();
  }
});
levels.run();

const reload = suite('prioritizer: hot reload');
reload('disabling a rule changes the very next decisions, without restart or pause', async () => {
  const iso = await isolated('reload');
  const now = Date.UTC(2025, 10, 7, 17, 0, 0); // 12:00 ET
  const t0 = Date.now();
  const clock = () => now + (Date.now() - t0);
  const p = await start(iso, clock);
  const producer = await createProducer({ kafka: kafka() });
  let sent = 0;
  let flowing = true;
  const payloads = [...generatePayloads({ seed: 9, tickers: ['QQQ'], day: '2025-11-07', startTime: '11:50:00', count: 400, strikes: 10 })];
  // A steady flow of real-time QQQ (levelled by `default.real-time`) while that rule is disabled.
  const flow = (async () => {
    while (flowing && sent < payloads.length) {
      await producer.send([{ topic: iso.rawTopic, messages: [{ key: 'QQQ', value: Buffer.from(JSON.stringify(payloads[sent])), headers: { [H.dataType]: 'real_time', [H.lineageIndex]: String(sent) } }] }]);
      sent++;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await eventually('some decisions before the change', async () => (p.stats().tally.total >= 30 ? true : undefined), 30_000, 100);
    const before = p.ruleSet();
    const ev = disableRule({ type: 'DisableRule', rule_id: 'default.real-time', actor: 'test' }, before, clock());
    if (isLeft(ev)) throw new Error(JSON.stringify(ev.left));
    const enc = await registry.encoder<RuleEvent>(`${iso.rulesTopic}-value`);
    await produce(iso.rulesTopic, [{ key: 'default.real-time', value: enc.encode(ev.right) }]);
    await eventually('the rule set to change', async () => (p.ruleSet().version === before.version + 1 ? true : undefined), 10_000, 5);
    const decidedAtChange = p.stats().tally.total;
    await eventually('decisions after the change', async () => (p.stats().tally.total >= decidedAtChange + 30 ? true : undefined), 30_000, 100);
    flowing = false;
    await flow;
    const got = await eventually('all decisions', async () => {
      const x = await prioritizedFrom(iso);
      return x.length >= sent ? x : undefined;
    }, 30_000, 500);
    const ordered = got.sort((a, b) => a.prioritized_at_ms - b.prioritized_at_ms);
    const oldV = ordered.filter((g) => g.rule_set_version === before.version);
    const newV = ordered.filter((g) => g.rule_set_version === before.version + 1);
    assert.ok(oldV.length >= 30 && newV.length >= 30, `${oldV.length} before, ${newV.length} after`);
    assert.ok(oldV.every((g) => g.matched_rules.includes('default.real-time')), 'before: the rule matched every decision');
    assert.ok(newV.every((g) => !g.matched_rules.includes('default.real-time')), 'the disabled rule no longer matches');
    const firstNew = ordered.findIndex((g) => g.rule_set_version === before.version + 1);
    assert.ok(ordered.slice(firstNew).every((g) => g.rule_set_version === before.version + 1), 'every decision after the change uses the new version');
    // no pause: the gap between consecutive decisions around the change stays small
    const gaps = ordered.slice(Math.max(1, firstNew - 5), firstNew + 5).map((g, i, a) => (i === 0 ? 0 : g.prioritized_at_ms - (a[i - 1]?.prioritized_at_ms ?? 0)));
    assert.ok(Math.max(...gaps) < 1500, `largest gap around the change ${Math.max(...gaps)} ms`);
  } finally {
    flowing = false;
    await flow;
    await producer.close();
    await p.stop();
    await iso.cleanup();
  }
});
reload.run();
