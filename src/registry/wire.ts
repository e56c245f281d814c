// Owns the Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro binary body.
export const MAGIC = 0;
export const HEADER_BYTES = 5;

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

export const frame = (schemaId: number, body: Buffer): Buffer => {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out[0] = MAGIC;
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, HEADER_BYTES);
  return out;
};

export const unframe = (buf: Buffer): { schemaId: number; body: Buffer } => {
  if (buf.length < HEADER_BYTES) throw new WireFormatError(`message of ${buf.length} bytes is shorter than the 5-byte Confluent header`);
  if (buf[0] !== MAGIC) throw new WireFormatError(`magic byte ${buf[0]} is not 0: not Confluent Avro`);
  return { schemaId: buf.readUInt32BE(1), body: buf.subarray(HEADER_BYTES) };
};

/** The part of an avsc type the framer needs: encode into a buffer at a position (avsc's `Type.encode`). */
export interface BodyWriter<T> {
  encode(value: T, buf: Buffer, pos: number): number;
}

/**
 * A framer that encodes each value once, straight after the 5-byte header in a scratch buffer kept between calls, and
 * copies the framed bytes out once. avsc's `toBuffer` encodes into a 1 KiB scratch and, for anything larger (a
 * 100-strike snapshot is about 10 KiB), encodes the whole value a second time; `frame` then copies it again.
 */
export const createFramer = <T>(schemaId: number, type: BodyWriter<T>, initialBytes = 64 * 1024): ((value: T) => Buffer) => {
  let scratch = Buffer.allocUnsafe(initialBytes);
  scratch[0] = MAGIC;
  scratch.writeUInt32BE(schemaId, 1);
  return (value: T): Buffer => {
    for (;;) {
      const pos = type.encode(value, scratch, HEADER_BYTES);
      if (pos >= 0) return Buffer.from(scratch.subarray(0, pos));
      // avsc returns minus the bytes missing: grow to at least what this value needs, and keep it for the next
      const grown = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - pos));
      scratch.copy(grown, 0, 0, HEADER_BYTES);
      scratch = grown;
    }
  };
};
