// Owns deterministic identifiers: the same input always gets the same id, so a re-publish or replay never duplicates.
import { createHash } from 'node:crypto';

/** A UUID-formatted id (version nibble 8: custom, RFC 9562) derived from the given parts. */
export const deterministicId = (...parts: ReadonlyArray<string | number>): string => {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x80;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
};

/** The request id of a raw message: from its lineage when published from a file, else from its position in the raw topic. */
export const requestIdForLineage = (sha256: string, index: number): string => deterministicId('lineage', sha256, index);
export const requestIdForPosition = (topic: string, partition: number, offset: string | number): string => deterministicId('raw', topic, partition, offset);
