// Owns a measured speed-up of kafkajs 2.2.4's produce path. Stock kafkajs builds a produce request as nested Encoders
// (record, batch body, batch, record set, partition, topic, request, then the request header twice), each starting at
// 512 bytes, doubling as it grows (a zero-filled allocation and a copy per doubling) and copied whole into the next:
// uncompressed, every value is copied 9 times plus the doublings (compressed: twice, and the codec's output 8 times).
// Here the request is sized first and written once into one allocation that leaves room for the request header: each
// value is copied once (into the records section, which a codec then compresses, or straight into the request). The bytes are the stock encoder's (tests/unit/kafka/fastProduce
// .test.ts compares them, compressed or not). Loaded before kafkajs by fastCrc.ts; applied on kafkajs 2.2.4 only.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** kafkajs' Encoder (protocol/encoder.js): a buffer and a write offset. */
interface Encoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  size(): number;
  writeInt8(v: number): Encoder;
  writeInt16(v: number): Encoder;
  writeInt32(v: number): Encoder;
  writeUInt32(v: number): Encoder;
  writeInt64(v: unknown): Encoder;
  writeString(v: string | null): Encoder;
}
type EncoderClass = new (initialSize?: number) => Encoder;

type Bytes = Buffer | string | null | undefined;
interface Message {
  readonly key?: Bytes;
  readonly value?: Bytes;
  readonly headers?: Record<string, unknown>;
  readonly timestamp?: number | string;
}
interface PartitionData {
  readonly partition: number;
  readonly firstSequence?: number;
  readonly messages: readonly Message[];
}
interface TopicData {
  readonly topic: string;
  readonly partitions: readonly PartitionData[];
}
interface ProduceArgs {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly compression?: number;
  readonly topicData: readonly TopicData[];
}
interface Request {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly apiName: string;
  readonly expectResponse: () => boolean;
  readonly encode: (headroom?: number) => Promise<Encoder>;
}
type CreateRequest = (args: { correlationId: number; clientId: string | null; request: Request }) => Promise<Encoder>;
interface Codec {
  compress(encoder: Encoder): Promise<Buffer>;
}

/** Marks an encode() that can leave room for the request header, and the payload that has it. */
const HEADROOM = Symbol('gexstream.headroom');

/** Off: kafkajs' own encoders (bench/clients compares both in one run). */
let enabled = process.env['GEXSTREAM_KAFKAJS_STOCK_PRODUCE'] !== '1';
export const setFastProduce = (on: boolean): void => {
  enabled = on;
};
/** Produce requests the fast path handed back to kafkajs' encoder (an input shape it does not take, or a size mismatch). */
export const fastProduceStats = { requests: 0, fallbacks: 0 };

// --- varints, as kafkajs writes them (protocol/encoder.js: zig-zag, then 7 bits a byte) -------------------------------
const zigZag = (v: number): number => (v << 1) ^ (v >> 31);
const sizeOfUVarInt = (u: number): number => {
  let bytes = 1;
  while ((u & 0xffffff80) !== 0) {
    bytes += 1;
    u >>>= 7;
  }
  return bytes;
};
const sizeOfVarInt = (v: number): number => sizeOfUVarInt(zigZag(v));
const writeUVarInt = (e: Encoder, u: number): void => {
  const buf = e.buf;
  let at = e.offset;
  while ((u & 0xffffff80) !== 0) {
    buf[at++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[at++] = u & 0x7f;
  e.offset = at;
};
const writeVarInt = (e: Encoder, v: number): void => writeUVarInt(e, zigZag(v));
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
// a long within int32 zig-zags to the same unsigned value as an int; beyond it (deltas over 24 days) through BigInt
const zigZag64 = (v: number): bigint => BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n));
const sizeOfVarLong = (v: number): number => {
  if (v >= INT32_MIN && v <= INT32_MAX) return sizeOfVarInt(v);
  let u = zigZag64(v);
  let bytes = 1;
  while (u >= 0x80n) {
    bytes += 1;
    u >>= 7n;
  }
  return bytes;
};
const writeVarLong = (e: Encoder, v: number): void => {
  if (v >= INT32_MIN && v <= INT32_MAX) return writeVarInt(e, v);
  let u = zigZag64(v);
  while (u >= 0x80n) {
    e.buf[e.offset++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  e.buf[e.offset++] = Number(u);
};

/** Bytes of a key, value or header value, or -1 for null; undefined: a shape kafkajs encodes otherwise (left to it). */
const byteLength = (v: unknown): number | undefined => {
  if (v === null || v === undefined) return -1;
  if (Buffer.isBuffer(v)) return v.length;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  return undefined;
};
const writeBytes = (e: Encoder, v: Bytes, len: number): void => {
  writeVarInt(e, len);
  if (len <= 0) return;
  if (Buffer.isBuffer(v)) v.copy(e.buf, e.offset);
  else e.buf.write(v as string, e.offset, len, 'utf8');
  e.offset += len;
};

interface Header {
  readonly key: string;
  readonly keyLen: number;
  readonly value: Buffer | string;
  readonly valueLen: number;
}
interface Rec {
  readonly m: Message;
  readonly keyLen: number;
  readonly valueLen: number;
  readonly headers: readonly Header[];
  readonly tsDelta: number;
  readonly bodySize: number;
}
interface Batch {
  readonly partition: number;
  readonly firstSequence: number;
  readonly firstTimestamp: unknown;
  readonly maxTimestamp: unknown;
  readonly records: readonly Rec[];
  readonly recordsBytes: number; // uncompressed: the records as written; compressed: unused
  readonly compressed: Buffer | null;
}

const recordSize = (r: Rec): number => sizeOfVarInt(r.bodySize) + r.bodySize;

/** The record of a message, sized, or undefined for a shape left to kafkajs. As recordBatch/record/v0. */
const sizeRecord = (m: Message, offsetDelta: number, tsDelta: number): Rec | undefined => {
  if (!Number.isSafeInteger(tsDelta) || m.headers === null) return undefined;
  const keyLen = byteLength(m.key);
  const valueLen = byteLength(m.value);
  if (keyLen === undefined || valueLen === undefined) return undefined;
  const headers: Header[] = [];
  let headersSize = 0;
  for (const key of Object.keys(m.headers ?? {})) {
    const v = (m.headers as Record<string, unknown>)[key];
    for (const value of Array.isArray(v) ? (v as unknown[]) : [v]) {
      // kafkajs sizes a null header value with Buffer.byteLength (which throws): left to it
      if (!Buffer.isBuffer(value) && typeof value !== 'string') return undefined;
      const h = { key, keyLen: Buffer.byteLength(key, 'utf8'), value, valueLen: byteLength(value) as number };
      headers.push(h);
      headersSize += sizeOfVarInt(h.keyLen) + h.keyLen + sizeOfVarInt(h.valueLen) + h.valueLen;
    }
  }
  const bodySize =
    1 + // attributes
    sizeOfVarLong(tsDelta) +
    sizeOfVarInt(offsetDelta) +
    sizeOfVarInt(keyLen) + Math.max(keyLen, 0) +
    sizeOfVarInt(valueLen) + Math.max(valueLen, 0) +
    sizeOfVarInt(headers.length) + headersSize;
  return { m, keyLen, valueLen, headers, tsDelta, bodySize };
};

const writeRecord = (e: Encoder, r: Rec, offsetDelta: number): void => {
  writeVarInt(e, r.bodySize);
  e.buf[e.offset++] = 0; // attributes
  writeVarLong(e, r.tsDelta);
  writeVarInt(e, offsetDelta);
  writeBytes(e, r.m.key, r.keyLen);
  writeBytes(e, r.m.value, r.valueLen);
  writeVarInt(e, r.headers.length);
  for (const h of r.headers) {
    writeBytes(e, h.key, h.keyLen);
    writeBytes(e, h.value, h.valueLen);
  }
};

const BATCH_BODY_FIXED = 2 + 4 + 8 + 8 + 8 + 2 + 4; // attributes .. firstSequence
const BATCH_FIXED = 8 + 4 + 4 + 1 + 4; // firstOffset, length, partitionLeaderEpoch, magic, crc

/** The patched functions (exported for the byte-equality test, which calls them whatever kafkajs loaded first). */
export interface FastProduce {
  /** produce/v3/request.js (v4-v7 are v3 with another version number). */
  readonly produce: (args: ProduceArgs) => Request;
  /** protocol/request.js: frames a request with its header and size. */
  readonly createRequest: CreateRequest;
  /** Whether kafkajs' connections use them: false when kafkajs was loaded before this module. */
  readonly installed: { readonly produce: boolean; readonly createRequest: boolean };
}

export const fastProduce = ((): FastProduce | null => {
  try {
    const { version } = require('kafkajs/package.json') as { version: string };
    if (version !== '2.2.4') return null; // another release may encode differently: leave it alone
    const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
    const Long = require('kafkajs/src/utils/long.js') as { fromInt: (v: number) => unknown; fromValue: (v: unknown) => unknown };
    const { lookupCodec, COMPRESSION_CODEC_MASK } = require('kafkajs/src/protocol/message/compression/index.js') as {
      lookupCodec: (type: number) => Codec | null;
      COMPRESSION_CODEC_MASK: number;
    };
    const requestPath = require.resolve('kafkajs/src/protocol/request.js');
    const producePath = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');
    const crcPath = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/index.js');
    const loaded = (path: string): boolean => require.cache[require.resolve(path)] !== undefined;
    // connection.js takes protocol/request.js as it loads; produce v4-v7 take v3 when first used
    const installed = {
      createRequest: !loaded('kafkajs/src/network/connection.js'),
      produce: ![4, 5, 6, 7].some((v) => loaded(`kafkajs/src/protocol/requests/produce/v${v}/request.js`)),
    };
    const stockCreateRequest = require(requestPath) as CreateRequest;
    // the stock produce request loads the record batch encoder, which takes crc32C as it finds it: loaded on first use
    // only, so that it gets the native CRC fastCrc.ts installs after this module runs
    let stockProduce = require.cache[producePath]?.exports as ((args: ProduceArgs) => Request) | undefined;
    const stock = (args: ProduceArgs): Request => {
      if (!stockProduce) {
        delete require.cache[producePath];
        stockProduce = require(producePath) as (args: ProduceArgs) => Request;
        require.cache[producePath] = { id: producePath, filename: producePath, loaded: true, exports: produce } as unknown as NodeJS.Module;
      }
      return stockProduce(args);
    };
    const encoderOver = (buf: Buffer, offset: number): Encoder => {
      const e = new Encoder(0);
      e.buf = buf;
      e.offset = offset;
      return e;
    };

    /** The produce request v3 (v4-v7 are v3 with another version number): the stock one unless enabled. */
    const produce = (args: ProduceArgs): Request => {
      const request = stock(args);
      if (!enabled) return request;
      const encode = async (headroom = 0): Promise<Encoder> => {
        fastProduceStats.requests++;
        const out = await encodeProduce(args, headroom);
        if (out) return out;
        fastProduceStats.fallbacks++;
        return request.encode();
      };
      return Object.assign({}, request, { encode, [HEADROOM]: true });
    };

    const encodeProduce = async (args: ProduceArgs, headroom: number): Promise<Encoder | undefined> => {
      const { acks, timeout, transactionalId = null, producerId = Long.fromInt(-1), producerEpoch = 0, compression = 0, topicData } = args;
      const codec = compression === 0 ? null : lookupCodec(compression);
      if (compression !== 0 && !codec) return undefined;
      const crc32C = require(crcPath) as (b: Buffer) => number;
      // 1. size every record; compress each partition's records (the one copy of each value, then the codec's output)
      let size = headroom + 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId, 'utf8')) + 2 + 4 + 4;
      const topics: Array<{ topic: string; batches: Batch[] }> = [];
      for (const { topic, partitions } of topicData) {
        size += 2 + Buffer.byteLength(topic, 'utf8') + 4;
        const batches: Batch[] = [];
        for (const { partition, firstSequence = 0, messages } of partitions) {
          // as produce/v3/request.js: the messages' timestamps sorted as it sorts them (as strings), or now
          const dateNow = Date.now();
          const stamps = messages.map((m) => m.timestamp).filter((t) => t != null).sort();
          const timestamps = stamps.length === 0 ? [dateNow] : stamps;
          const firstTimestamp = timestamps[0] as number;
          const maxTimestamp = timestamps[timestamps.length - 1];
          const records: Rec[] = [];
          let recordsBytes = 0;
          for (let i = 0; i < messages.length; i++) {
            const m = messages[i] as Message;
            const r = sizeRecord(m, i, ((m.timestamp || dateNow) as number) - firstTimestamp);
            if (!r) return undefined;
            records.push(r);
            recordsBytes += recordSize(r);
          }
          let compressed: Buffer | null = null;
          if (codec) {
            const e = encoderOver(Buffer.allocUnsafe(recordsBytes), 0);
            for (let i = 0; i < records.length; i++) writeRecord(e, records[i] as Rec, i);
            if (e.offset !== recordsBytes) return undefined;
            compressed = await codec.compress(e);
            if (!Buffer.isBuffer(compressed)) return undefined;
          }
          batches.push({ partition, firstSequence, firstTimestamp, maxTimestamp, records, recordsBytes, compressed });
          size += 4 + 4 + BATCH_FIXED + BATCH_BODY_FIXED + 4 + (compressed ? compressed.length : recordsBytes);
        }
        topics.push({ topic, batches });
      }
      // 2. one allocation, written front to back (every byte is written: no zero fill needed)
      const e = encoderOver(Buffer.allocUnsafe(size), headroom);
      e.writeString(transactionalId).writeInt16(acks).writeInt32(timeout).writeInt32(topics.length);
      const attributes = (compression & COMPRESSION_CODEC_MASK) | (transactionalId ? 16 : 0);
      for (const { topic, batches } of topics) {
        e.writeString(topic).writeInt32(batches.length);
        for (const b of batches) {
          const batchBody = BATCH_BODY_FIXED + 4 + (b.compressed ? b.compressed.length : b.recordsBytes);
          const batchBytes = 4 + 1 + 4 + batchBody;
          e.writeInt32(b.partition).writeInt32(8 + 4 + batchBytes);
          e.writeInt64(Long.fromInt(0)).writeInt32(batchBytes).writeInt32(0).writeInt8(2); // firstOffset, length, leader epoch, magic
          const crcAt = e.offset;
          e.offset += 4;
          const bodyAt = e.offset;
          e.writeInt16(attributes).writeInt32(b.records.length - 1);
          e.writeInt64(b.firstTimestamp).writeInt64(b.maxTimestamp).writeInt64(producerId).writeInt16(producerEpoch).writeInt32(b.firstSequence);
          e.writeInt32(b.records.length);
          if (b.compressed) {
            b.compressed.copy(e.buf, e.offset);
            e.offset += b.compressed.length;
          } else for (let i = 0; i < b.records.length; i++) writeRecord(e, b.records[i] as Rec, i);
          if (e.offset !== bodyAt + batchBody) return undefined;
          const end = e.offset;
          e.offset = crcAt;
          e.writeUInt32(crc32C(e.buf.subarray(bodyAt, end)));
          e.offset = end;
        }
      }
      if (e.offset !== size || e.buf.length !== size) return undefined; // a sizing slip: kafkajs encodes this one
      return Object.assign(e, { [HEADROOM]: headroom });
    };

    /** protocol/request.js: the header written into the room a fast produce payload left for it, else the stock path. */
    const createRequest: CreateRequest = async (args) => {
      const { correlationId, clientId, request } = args;
      if (!(request as unknown as Record<symbol, unknown>)[HEADROOM]) return stockCreateRequest(args);
      const header = 4 + 2 + 2 + 4 + 2 + (clientId == null ? 0 : Buffer.byteLength(clientId, 'utf8'));
      const payload = await request.encode(header);
      // a fallback to kafkajs' encoder: its payload, framed by the stock function
      if ((payload as unknown as Record<symbol, unknown>)[HEADROOM] !== header) return stockCreateRequest({ ...args, request: { ...request, encode: () => Promise.resolve(payload) } });
      const end = payload.offset;
      payload.offset = 0;
      payload.writeInt32(end - 4).writeInt16(request.apiKey).writeInt16(request.apiVersion).writeInt32(correlationId).writeString(clientId);
      payload.offset = end;
      return payload;
    };
    require.cache[requestPath] = { id: requestPath, filename: requestPath, loaded: true, exports: createRequest } as unknown as NodeJS.Module;
    require.cache[producePath] = { id: producePath, filename: producePath, loaded: true, exports: produce } as unknown as NodeJS.Module;
    return { produce, createRequest, installed };
  } catch {
    return null;
  }
})();
