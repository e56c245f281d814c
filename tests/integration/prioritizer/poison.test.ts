// Poison messages from a non-Node client (Python confluent-kafka / librdkafka): each bad header or body is a dead letter
// with its path-precise reason, and the good snapshot behind it on the same partition is prioritized (issue 13: 1, 7, 12).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H } from '../../../src/domain/headers.js';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { createLogger } from '../../../src/log.js';
import { createPrioritizer } from '../../../src/pipelines/prioritize.js';
import { loadSchemas, schemaJson } from '../../../src/registry/schemas.js';
import { schemasDir } from '../../../src/resources.js';
import { fixture, fixtureText } from '../../unit/domain/support.js';
import { config, eventually, kafka } from '../../support/env.js';
import { deadLettersFrom, isolated, prioritizedFrom, registry } from '../../support/pipeline.js';

const logger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');

interface PyMessage {
  readonly value: string | null;
  readonly key?: string;
  readonly headers?: Record<string, string>;
  readonly partition?: number;
  readonly compression?: 'none' | 'gzip' | 'lz4' | 'snappy' | 'zstd';
}

/** Publishes with tests/interop/produce_raw.py, in order, on partition 0 unless told. */
const producePython = async (topic: string, messages: readonly PyMessage[]): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'gex-poison-'));
  try {
    const file = join(dir, 'messages.json');
    writeFileSync(file, JSON.stringify(messages));
    const code = await new Promise<number>((resolve, reject) => {
      const py = spawn('python3', [join(process.cwd(), 'tests', 'interop', 'produce_raw.py'), config.brokers.join(','), topic, file], { stdio: ['ignore', 'ignore', 'inherit'] });
      py.on('error', reject);
      py.on('exit', (c) => resolve(c ?? 1));
    });
    assert.is(code, 0, 'produce_raw.py delivered every message');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const good = (requestId: string, headers: Record<string, string> = {}): PyMessage => ({ key: 'SPX', value: fixtureText(), headers: { [H.dataType]: 'historical', [H.source]: 'python', [H.requestId]: requestId, ...headers } });
const bad = (requestId: string, value: string, headers: Record<string, string> = {}): PyMessage => ({ key: 'SPX', value, headers: { [H.dataType]: 'historical', [H.source]: 'python', [H.requestId]: requestId, ...headers } });
const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

const test = suite('prioritizer: poison messages from Python confluent-kafka (real broker)');

test('bad headers, duplicate keys, implausible times, overflow and a dead letter that would exceed the DLQ limit: each dead-lettered, the good ones behind them prioritized', async () => {
  const iso = await isolated('poison', 1);
  // the shipped DeadLetter schema (with original_value_bytes / _sha256), as `gexstream schemas register` registers it
  await registry.register(`${iso.dlqTopic}-value`, schemaJson(loadSchemas(schemasDir), 'io.gexstream.DeadLetter'));
  const p = await createPrioritizer({ kafka: kafka(), registry, logger, priority: defaultPriorityConfig, ...iso.topics, groupId: iso.group, instanceId: iso.instance });
  await p.start();
  try {
    const f = fixture();
    const chainRow = { strike: 5000, call_open_interest: 1e10, put_open_interest: 20, gamma: 1e300 };
    // Issue 13 item 7: a 7 MB record whose 100 unknown keys of 70,000 characters each hold junk nested too deep; the
    // dead letter (original + 50 errors located at those keys) used to be 10.7 MB, over the DLQ topic's 10 MiB.
    const longKeys = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`${String(i).padStart(3, '0')}${'k'.repeat(70_000)}`, '@']));
    const sevenMb = JSON.stringify({ ...f, ...longKeys }).replace(/"@"/g, nested(40));
    const messages: PyMessage[] = [
      // Python's str(time.time() * 1000): lenient, floored to whole ms
      good('good-published-fraction', { [H.publishedAt]: '1764758400123.5' }),
      bad('bad-lineage-1e300', fixtureText(), { [H.lineageFile]: 'h.json', [H.lineageSha256]: 'ab'.repeat(32), [H.lineageIndex]: '1e300' }),
      good('good-after-lineage'),
      bad('bad-published-words', fixtureText(), { [H.publishedAt]: 'yesterday' }),
      bad('bad-duplicate-key', fixtureText().replace('"spot":', '"spot": 1, "spot":')),
      bad('bad-timestamp-1', JSON.stringify({ ...f, timestamp: 1 })),
      bad('bad-seconds-9999', JSON.stringify({ ...f, timestamp: 253402300799 })),
      bad('bad-overflow', JSON.stringify({ ticker: 'SPX', timestamp: f['timestamp'], spot: 5000, strikes: [chainRow] })),
      { ...bad('bad-huge-dead-letter', sevenMb), compression: 'gzip' },
      // a state profile without --kind: recognised by its zeros
      good('good-state-profile', {}),
      { ...bad('bad-too-large', JSON.stringify({ ...f, pad: 'x'.repeat(9 * 1024 * 1024) })), compression: 'gzip' },
      good('good-last'),
    ];
    const state = { ...f, zero_gamma: 0, major_pos_oi: 0, major_neg_oi: 0, sum_gex_oi: 0, strikes: (f['strikes'] as unknown[][]).map((r) => [r[0], r[1], 0, r[3]]) };
    messages[9] = { ...messages[9], value: JSON.stringify(state) } as PyMessage;
    await producePython(iso.rawTopic, messages);

    const expectedGood = messages.filter((m) => m.headers?.[H.requestId]?.startsWith('good-')).length;
    const expectedBad = messages.length - expectedGood;
    const letters = await eventually('every dead letter', async () => {
      const d = await deadLettersFrom(iso);
      return d.length >= expectedBad ? d : undefined;
    }, 90_000, 1000);
    const decided = await eventually('every good snapshot', async () => {
      const x = await prioritizedFrom(iso);
      return x.length >= expectedGood ? x : undefined;
    }, 60_000, 1000);
    assert.equal(decided.map((d) => d.request_id).sort(), ['good-after-lineage', 'good-last', 'good-published-fraction', 'good-state-profile']);
    assert.is(letters.length, expectedBad, 'one dead letter per bad message, none twice');

    const reason = (id: string): string => {
      const d = letters.find((l) => l.request_id === id);
      assert.ok(d, `a dead letter for ${id}`);
      assert.is(d.original_topic, iso.rawTopic);
      assert.is(d.original_partition, 0);
      return d.errors.map((e) => `${e.path}: ${e.message}`).join('\n');
    };
    assert.is(reason('bad-lineage-1e300'), 'headers.gex-lineage-index: expected a whole number from 0 to 9007199254740991 in decimal digits, got "1e300"');
    assert.is(reason('bad-published-words'), 'headers.gex-published-at: expected epoch milliseconds or seconds as a decimal number, got "yesterday"');
    assert.ok(reason('bad-duplicate-key').startsWith('spot: duplicate key "spot"'));
    assert.ok(reason('bad-timestamp-1').startsWith('timestamp: expected a time from 1990-01-01 to 2100-01-01'));
    assert.ok(reason('bad-seconds-9999').includes('9999-12-31T23:59:59.000Z as seconds'));
    assert.ok(reason('bad-overflow').startsWith('strikes[0].call_gex: the computed GEX overflows to Infinity'));
    assert.ok(reason('bad-huge-dead-letter').includes('expected a value nested at most 32 levels deep'));
    assert.ok(reason('bad-too-large').startsWith('$: expected at most'));

    const huge = letters.find((l) => l.request_id === 'bad-huge-dead-letter');
    assert.is(huge?.original_value.length, Buffer.byteLength(sevenMb), 'the 7 MB original is kept whole');
    const tooLarge = letters.find((l) => l.request_id === 'bad-too-large');
    assert.is(tooLarge?.original_value.length, 0, 'an original over the 8 MiB limit is not kept...');
    assert.ok((tooLarge?.original_value_bytes ?? 0) > 9 * 1024 * 1024, '...its length is');
    assert.match(tooLarge?.original_value_sha256 ?? '', /^[0-9a-f]{64}$/);

    const byId = new Map(decided.map((d) => [d.request_id, d]));
    assert.is(byId.get('good-published-fraction')?.published_at_ms, 1764758400123, 'a fractional published-at is floored');
    assert.is(byId.get('good-state-profile')?.snapshot.kind, 'gexbot_state');
    assert.is(byId.get('good-state-profile')?.snapshot.zero_gamma, null, 'the vendor zeros are not data');
    assert.is(p.stats().deadLetters, expectedBad);
  } finally {
    await p.stop();
    await iso.cleanup();
  }
});

test.run();
