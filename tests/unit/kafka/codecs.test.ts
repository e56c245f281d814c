// Record-batch codecs: each round-trips, and batches compressed by librdkafka (Python confluent-kafka) and by the Java
// producer (fixtures/codecs, captured from the broker by tests/interop/captureBatches.ts) decompress through kafkajs.
import kafkajs from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import snappy from 'snappy';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generatePayloads } from '../../../src/domain/generator.js';
import '../../../src/kafka/client.js'; // registers the codecs, as in every role
import { compressionType, snappyDecompress, snappyXerialCompress, XERIAL_MAGIC } from '../../../src/kafka/codecs.js';

const { CompressionCodecs } = kafkajs;
type Codec = { compress: (e: { buffer: Buffer }) => Promise<Buffer>; decompress: (b: Buffer) => Promise<Buffer> };
const codecOf = (name: 'gzip' | 'snappy' | 'lz4' | 'zstd'): Codec => (CompressionCodecs as unknown as Record<number, () => Codec>)[compressionType[name]]!();
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

const json = Buffer.from([...generatePayloads({ seed: 3, tickers: ['SPX'], count: 30, strikes: 100 })].map((p) => JSON.stringify(p)).join('\n'));
const inputs: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  'one byte': Buffer.from([7]),
  'incompressible 100 KB': randomBytes(100_000),
  [`snapshot JSON ${Math.round(json.length / 1000)} KB (many 32 KiB snappy blocks)`]: json,
  'exactly one 32 KiB block': json.subarray(0, 32 * 1024),
};

const roundTrip = suite('codecs: round trip through the codecs kafkajs uses');
for (const name of CODECS)
  for (const [what, input] of Object.entries(inputs))
    roundTrip(`${name}: ${what}`, async () => {
      const c = codecOf(name);
      const z = await c.compress({ buffer: input });
      assert.ok((await c.decompress(z)).equals(input), 'decompresses to the input');
      if (input === json) assert.ok(z.length < input.length * 0.6, `${name} compresses JSON (${input.length} -> ${z.length} bytes)`);
    });
roundTrip.run();

const framing = suite('codecs: snappy framing');
framing('we write the Java (xerial) framing; raw snappy (librdkafka) and back-to-back xerial streams are read', async () => {
  const framed = await snappyXerialCompress(json);
  assert.ok(framed.subarray(0, 8).equals(XERIAL_MAGIC), 'xerial magic');
  assert.equal([framed.readInt32BE(8), framed.readInt32BE(12)], [1, 1], 'version 1, compatible 1');
  assert.ok((await snappyDecompress(snappy.compressSync(json))).equals(json), 'raw snappy');
  const a = json.subarray(0, 40_000);
  const b = json.subarray(40_000);
  const twice = Buffer.concat([await snappyXerialCompress(a), await snappyXerialCompress(b)]);
  assert.ok((await snappyDecompress(twice)).equals(json), 'two streams back to back');
});
framing('a corrupt batch is an error naming the codec, not a crash', async () => {
  const framed = await snappyXerialCompress(json);
  for (const [name, bad] of [['snappy', framed.subarray(0, 100)], ['lz4', Buffer.from('04224d18604082ffffffff', 'hex')], ['zstd', Buffer.from('28b52ffd00580d09aaaaaa', 'hex')]] as const) {
    try {
      await codecOf(name).decompress(bad);
      assert.unreachable(`${name} accepted a corrupt batch`);
    } catch (err) {
      assert.match((err as Error).message, new RegExp(`^${name}: cannot decompress a \\d+-byte record batch`));
      assert.is((err as { retriable?: boolean }).retriable, false);
    }
  }
});
framing('the lz4 frame is what the Java reader accepts: independent blocks, a 64 KiB-4 MiB block size, no dictionary', async () => {
  const z = await codecOf('lz4').compress({ buffer: json });
  assert.is(z.readUInt32LE(0), 0x184d2204, 'LZ4 frame magic');
  const flg = z[4] ?? 0;
  assert.is(flg >> 6, 1, 'frame version 01');
  assert.ok((flg & 0x20) !== 0, 'block independence');
  assert.is(flg & 0x01, 0, 'no dictionary id');
  assert.ok([4, 5, 6, 7].includes(((z[5] ?? 0) >> 4) & 0x07), 'block max size 64 KiB..4 MiB');
});
framing.run();

// The fixtures hold the compressed records section of a batch of 20 JSON lines; decompressed, it is the records in
// Kafka's varint encoding, so each line appears in it byte for byte, in order.
const fixtures = suite('codecs: batches compressed by other clients');
const dir = join(process.cwd(), 'fixtures', 'codecs');
const lines = readFileSync(join(dir, 'lines.jsonl'), 'utf8').trim().split('\n');
for (const who of ['librdkafka', 'java'] as const)
  for (const name of CODECS)
    fixtures(`${who} ${name}`, async () => {
      const records = await codecOf(name).decompress(readFileSync(join(dir, `${who}-${name}.bin`)));
      let at = 0;
      for (const [i, line] of lines.entries()) {
        const found = records.indexOf(line, at);
        assert.ok(found >= at, `line ${i} is in the batch, after line ${i - 1}`);
        at = found + line.length;
      }
    });
fixtures('librdkafka writes raw snappy, the Java producer xerial-framed snappy (both read above)', () => {
  assert.not.ok(readFileSync(join(dir, 'librdkafka-snappy.bin')).subarray(0, 8).equals(XERIAL_MAGIC));
  assert.ok(readFileSync(join(dir, 'java-snappy.bin')).subarray(0, 8).equals(XERIAL_MAGIC));
});
fixtures.run();
