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
