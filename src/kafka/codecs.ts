// Owns the record-batch codecs kafkajs lacks (snappy, lz4, zstd): registered with kafkajs when this module loads, so
// every role reads batches from any producer (Java, librdkafka, Go) and our producers can write them. Imported by client.ts.
import kafkajs from 'kafkajs';
import lz4 from 'lz4-napi';
import snappy from 'snappy';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/** What kafkajs asks of a codec: compress an encoder's bytes, decompress a batch's records section. */
export interface BatchCodec {
  readonly compress: (encoder: { buffer: Buffer }) => Promise<Buffer>;
  readonly decompress: (buffer: Buffer) => Promise<Buffer>;
}

// --- snappy --------------------------------------------------------------------------------------------------------
// The Java producer writes xerial's SnappyOutputStream framing: a 16-byte header (magic, version 1, compatible 1) and
// then blocks of [int32 big-endian length][raw snappy], 32 KiB of input each. librdkafka writes one raw snappy block
// (and reads both); the Java consumer reads raw snappy too (SnappyInputStream falls back when the magic is missing).
// We write the Java framing, so a batch of ours reads as one from the reference client.
export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]); // \x82SNAPPY\0
const XERIAL_HEADER_BYTES = 16;
const XERIAL_BLOCK_BYTES = 32 * 1024; // SnappyOutputStream's default block

const isXerialHeader = (b: Buffer, at: number): boolean => b.length - at >= XERIAL_HEADER_BYTES && b.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, at, at + XERIAL_MAGIC.length) === 0;

const unsnappy = async (raw: Buffer): Promise<Buffer> => (await snappy.uncompress(raw, { asBuffer: true })) as Buffer;

export const snappyXerialCompress = async (input: Buffer): Promise<Buffer> => {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  const slices: Buffer[] = [];
  for (let at = 0; at < input.length; at += XERIAL_BLOCK_BYTES) slices.push(input.subarray(at, at + XERIAL_BLOCK_BYTES));
  // the blocks are independent: compressed on the thread pool at once, off the event loop
  const blocks = await Promise.all(slices.map((b) => snappy.compress(b)));
  const parts: Buffer[] = [header];
  for (const block of blocks) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
};

/** Reads xerial-framed snappy (Java producers; also several framed streams back to back) and raw snappy (librdkafka). */
export const snappyDecompress = async (input: Buffer): Promise<Buffer> => {
  if (!isXerialHeader(input, 0)) return unsnappy(input);
  const out: Buffer[] = [];
  let at = 0;
  while (at < input.length) {
    if (isXerialHeader(input, at)) {
      at += XERIAL_HEADER_BYTES;
      continue;
    }
    if (input.length - at < 4) throw new Error(`snappy (xerial): truncated block length at byte ${at} of ${input.length}`);
    const len = input.readInt32BE(at);
    at += 4;
    if (len < 0 || at + len > input.length) throw new Error(`snappy (xerial): block of ${len} bytes at byte ${at} overruns the ${input.length}-byte batch`);
    out.push(await unsnappy(input.subarray(at, at + len)));
    at += len;
  }
  return Buffer.concat(out);
};

// --- lz4 -----------------------------------------------------------------------------------------------------------
// Record batches (magic 2, the only format of Kafka 3+) carry a standard LZ4 frame; the wrong header checksum of Kafka's
// old LZ4 (magic 0, KIP-57) never reaches a v2 reader. lz4_flex writes independent blocks without a content checksum,
// which the Java reader (KafkaLZ4BlockInputStream: no dependent blocks, no dictionary) requires.
export const lz4Compress = (input: Buffer): Promise<Buffer> => lz4.compressFrame(input);
export const lz4Decompress = (input: Buffer): Promise<Buffer> => lz4.decompressFrame(input);

// --- zstd ----------------------------------------------------------------------------------------------------------
// Node 24's zlib speaks zstd; level 3 is Kafka's and librdkafka's default.
const zstdCompressAsync = promisify(zlib.zstdCompress) as (b: Buffer, o: zlib.ZstdOptions) => Promise<Buffer>;
const zstdDecompressAsync = promisify(zlib.zstdDecompress) as (b: Buffer) => Promise<Buffer>;
export const zstdCompress = (input: Buffer): Promise<Buffer> => zstdCompressAsync(input, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } });
export const zstdDecompress = (input: Buffer): Promise<Buffer> => zstdDecompressAsync(input);

const codec = (name: string, compress: (b: Buffer) => Promise<Buffer>, decompress: (b: Buffer) => Promise<Buffer>): BatchCodec => ({
  compress: (encoder) => compress(encoder.buffer),
  // a batch that does not decompress is named, so the log says which codec failed rather than a bare native error
  decompress: (buffer) => decompress(buffer).catch((err: unknown) => {
    throw Object.assign(new Error(`${name}: cannot decompress a ${buffer.length}-byte record batch: ${(err as Error).message}`), { cause: err, retriable: false });
  }),
});

export const batchCodecs = {
  snappy: codec('snappy', snappyXerialCompress, snappyDecompress),
  lz4: codec('lz4', lz4Compress, lz4Decompress),
  zstd: codec('zstd', zstdCompress, zstdDecompress),
} as const;

CompressionCodecs[CompressionTypes.Snappy] = () => batchCodecs.snappy;
CompressionCodecs[CompressionTypes.LZ4] = () => batchCodecs.lz4;
CompressionCodecs[CompressionTypes.ZSTD] = () => batchCodecs.zstd;

/** The kafkajs compression type of each producer setting. */
export const compressionType = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const;
