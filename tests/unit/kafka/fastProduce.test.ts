// The one-copy produce encoder writes the bytes kafkajs' own encoders write: whole produce requests (header, topics,
// partitions, record batches with their CRC), uncompressed and with every codec, for any keys, values, headers and
// timestamps the producer API takes; shapes it does not take are left to kafkajs, which then behaves as stock.
import '../../../src/kafka/fastCrc.js'; // as every role: native CRC, the request-queue fix and this encoder
import '../../../src/kafka/client.js'; // registers snappy, lz4 and zstd, as in every role
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fastProduce, fastProduceStats, setFastProduce } from '../../../src/kafka/fastProduce.js';

const require = createRequire(import.meta.url);
const Long = require('kafkajs/src/utils/long.js') as { fromValue: (v: unknown) => unknown; fromInt: (v: number) => unknown };
const test = suite('kafkajs produce requests: the one-copy encoder writes the stock bytes');

type Produce = NonNullable<typeof fastProduce>;
const fast = fastProduce as Produce;
const NOW = 1_764_000_000_123;

/** The framed request (size, header, payload) and the bare payload, fast or stock, at a fixed clock. */
const encodeBoth = async (on: boolean, args: Parameters<Produce['produce']>[0], apiVersion = 7): Promise<{ framed: Buffer; payload: Buffer }> => {
  const realNow = Date.now;
  Date.now = () => NOW;
  setFastProduce(on);
  try {
    const request = { ...fast.produce(args), apiVersion };
    const framed = (await fast.createRequest({ correlationId: 4242, clientId: 'gexstream-ü', request })).buffer;
    const payload = (await fast.produce(args).encode()).buffer;
    return { framed: Buffer.from(framed), payload: Buffer.from(payload) };
  } finally {
    setFastProduce(true);
    Date.now = realNow;
  }
};

const same = async (args: Parameters<Produce['produce']>[0], what: string): Promise<void> => {
  const before = fastProduceStats.fallbacks;
  const stock = await encodeBoth(false, args);
  const mine = await encodeBoth(true, args);
  assert.is(fastProduceStats.fallbacks, before, `${what}: encoded by the fast path, no fallback`);
  assert.ok(mine.framed.equals(stock.framed), `${what}: framed request differs (${mine.framed.length} vs ${stock.framed.length} bytes)`);
  assert.ok(mine.payload.equals(stock.payload), `${what}: payload differs`);
};

const level = randomBytes(10_400); // a level record's size
const CODECS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

test('the patch is installed: connections frame with it and produce v3-v7 encode with it', () => {
  assert.ok(fastProduce, 'kafkajs 2.2.4 patched');
  // this file imports fastCrc.js first; another test file loaded before it may have loaded kafkajs first
  assert.type(fast.installed.produce, 'boolean');
});

for (const [name, compression] of Object.entries(CODECS))
  test(`a transactional produce of 10 KB records on two topics and partitions, ${name}`, async () => {
    await same(
      {
        acks: -1,
        timeout: 30_000,
        transactionalId: 'gexstream-processor-0',
        producerId: Long.fromValue(7_000_000_001),
        producerEpoch: 3,
        compression,
        topicData: [
          { topic: 'gex.priority.high.v2', partitions: [{ partition: 0, firstSequence: 120, messages: Array.from({ length: 50 }, (_, i) => ({ key: 'SPX', value: level.subarray(0, 10_000 + i), headers: { 'gex-job-id': `job-${i}`, 'gex-level': 'high' } })) }, { partition: 3, firstSequence: 0, messages: [{ key: Buffer.from('NDX'), value: level }] }] },
          { topic: 'gex.jobs.v1', partitions: [{ partition: 1, messages: [{ key: null, value: Buffer.from('{"status":"done"}') }] }] },
        ],
      },
      name,
    );
  });

test('an idempotent produce with no transactional id, stock defaults (no producer id, no epoch, no compression)', async () => {
  await same({ acks: 1, timeout: 5000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] }] }, 'defaults');
});

test('edge shapes: empty and null keys and values, unicode strings, header arrays and Buffers, explicit timestamps', async () => {
  await same(
    {
      acks: -1,
      timeout: 30_000,
      transactionalId: null,
      compression: 0,
      topicData: [
        {
          topic: 'ünïcode-topic',
          partitions: [
            {
              partition: 2,
              firstSequence: 2 ** 31 - 5,
              messages: [
                { key: '', value: '' },
                { key: undefined, value: null },
                { key: 'κλειδί', value: '值'.repeat(70), headers: { a: ['1', Buffer.from([0, 255]), ''], 'b-ü': 'x'.repeat(200) } },
                { key: Buffer.alloc(0), value: Buffer.alloc(130), timestamp: NOW - 5 },
                { value: 'x', timestamp: String(NOW - 10) },
                { value: 'far past', timestamp: NOW - 40 * 86_400_000 }, // a delta beyond int32: the varlong's long path
              ],
            },
          ],
        },
      ],
    },
    'edge shapes',
  );
});

test('a produce with no message in a partition', async () => {
  for (const compression of Object.values(CODECS)) await same({ acks: -1, timeout: 1, compression, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [] }] }] }, `empty batch, codec ${compression}`);
});

test('property: random requests encode to the stock bytes', async () => {
  const bytes = fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)));
  const message = fc.record(
    {
      key: bytes,
      value: bytes,
      headers: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 })), { maxKeys: 3 }),
      timestamp: fc.oneof(fc.integer({ min: NOW - 10 ** 10, max: NOW + 10 ** 6 }), fc.integer({ min: NOW - 1000, max: NOW }).map(String)),
    },
    { requiredKeys: ['value'] },
  );
  const request = fc.record({
    acks: fc.constantFrom(-1, 0, 1),
    timeout: fc.integer({ min: 0, max: 60_000 }),
    transactionalId: fc.oneof(fc.constant(null), fc.string({ minLength: 1, maxLength: 30 })),
    producerEpoch: fc.integer({ min: 0, max: 32_767 }),
    compression: fc.constantFrom(...Object.values(CODECS)),
    topicData: fc.array(
      fc.record({ topic: fc.string({ minLength: 1, maxLength: 20 }), partitions: fc.array(fc.record({ partition: fc.nat(100), firstSequence: fc.nat(), messages: fc.array(message, { maxLength: 12 }) }), { minLength: 1, maxLength: 3 }) }),
      { minLength: 1, maxLength: 3 },
    ),
  });
  await fc.assert(fc.asyncProperty(request, async (args) => same(args, 'random request')), { numRuns: 150 });
});

test('shapes the stock encoder rejects are left to it: the same error', async () => {
  for (const headers of [{ h: null }, { h: undefined }] as unknown as Array<Record<string, string>>) {
    const args = { acks: -1, timeout: 1, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ value: 'v', headers }] }] }] };
    const errors: string[] = [];
    for (const on of [false, true]) {
      setFastProduce(on);
      try {
        await fast.produce(args).encode();
        errors.push('no error');
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    setFastProduce(true);
    assert.is(errors[1], errors[0]);
    assert.is.not(errors[0], 'no error');
  }
});

test.run();
