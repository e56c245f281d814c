// Owns `publish`: stream files' snapshot records to the raw topic as their exact bytes, with lineage headers.
import { createHash, randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { deadLetter, type DeadLetter, type Lineage } from '../domain/deadLetter.js';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeHeaders, H } from '../domain/headers.js';
import { requestIdForLineage } from '../domain/ids.js';
import { isProblem, peekTicker, scanRecords, type FileFormat } from '../domain/records.js';
import type { GexProducer, OutMessage } from '../kafka/producer.js';
import type { Topology } from '../domain/topology.js';

/** Problems of one file listed in its summary; the rest are counted. */
const MAX_LISTED_PROBLEMS = 100;

export interface PublishOptions {
  readonly source: string;
  readonly dataType: 'real_time' | 'historical' | 'snapshot';
  readonly kind?: string;
  readonly category?: string;
  /** Requested level (gex-requested-level): a manual override the prioritizer records with its decision. */
  readonly level?: 'critical' | 'high' | 'medium' | 'low';
  /** Import batch id written with every record's lineage; one per `publish` run by default. */
  readonly batch?: string;
  /** Records go to raw; records that cannot go there, to dlq. */
  readonly topology: Pick<Topology, 'raw' | 'dlq'>;
  /** Records larger than this go straight to the dead-letter topic (the raw topic would refuse them). */
  readonly maxRecordBytes?: number; // bytes
  /** Bytes per producer batch. */
  readonly batchBytes?: number; // bytes
  readonly now?: () => number; // epoch ms
}

export interface FileSummary {
  readonly file: string;
  readonly sha256: string;
  readonly format: FileFormat;
  readonly published: number;
  readonly deadLettered: number;
  readonly bytes: number;
  readonly problems: string[];
}

export interface Progress {
  readonly file: string;
  readonly published: number;
  readonly deadLettered: number;
  readonly bytes: number;
}

/** Encodes a dead letter for the DLQ topic (Avro via the registry, provided by the caller). */
export type DeadLetterEncoder = (d: DeadLetter) => Buffer;

/**
 * Largest file held in memory, after gzip inflation (default 512 MiB: a trading day of one feed at 100 strikes is
 * about 120 MB). A .gz that inflates past it (a 1 MB gzip bomb expands to 1 GiB) is refused once the limit is reached,
 * not after inflating all of it.
 */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

/** A file that cannot be read as input (too large, a gzip bomb, broken gzip): not retriable, the file must change. */
export class FileInputError extends Error {
  readonly retriable = false;
}

export const readFileBytes = async (path: string, { maxBytes = MAX_FILE_BYTES }: { maxBytes?: number } = {}): Promise<{ bytes: Buffer; sha256: string }> => {
  const size = (await stat(path)).size;
  if (size > maxBytes) throw new FileInputError(`${path}: ${size} bytes, over the ${maxBytes}-byte limit of one input file; split it`);
  const onDisk = await readFile(path);
  const sha256 = createHash('sha256').update(onDisk).digest('hex');
  const gz = onDisk.length > 2 && onDisk[0] === 0x1f && onDisk[1] === 0x8b;
  if (!gz) return { bytes: onDisk, sha256 };
  try {
    return { bytes: gunzipSync(onDisk, { maxOutputLength: maxBytes }), sha256 };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new FileInputError(`${path}: the gzip data of ${onDisk.length} bytes inflates to more than the ${maxBytes}-byte limit of one input file (refused before inflating the rest; a gzip bomb, or split the file)`);
    }
    throw new FileInputError(`${path}: not valid gzip data: ${e.message}`);
  }
};

export const publishFiles = async (
  files: readonly string[],
  { producer, encodeDeadLetter, onProgress }: { producer: GexProducer; encodeDeadLetter: DeadLetterEncoder; onProgress?: (p: Progress) => void },
  opts: PublishOptions,
): Promise<FileSummary[]> => {
  const topic = opts.topology.raw;
  const dlqTopic = opts.topology.dlq;
  const maxRecordBytes = opts.maxRecordBytes ?? 8 * 1024 * 1024 - 64 * 1024;
  const batchBytes = opts.batchBytes ?? 1024 * 1024;
  const now = opts.now ?? Date.now;
  const batch = opts.batch ?? randomUUID();
  const out: FileSummary[] = [];
  for (const file of files) {
    const { bytes, sha256 } = await readFileBytes(file);
    const { format, pieces } = scanRecords(bytes);
    const problems: string[] = [];
    let moreProblems = 0;
    const name = basename(file);
    let published = 0;
    let deadLettered = 0;
    let sentBytes = 0;
    let pending: OutMessage[] = [];
    let pendingDlq: OutMessage[] = [];
    let pendingBytes = 0;
    let pendingDlqBytes = 0; // a dead letter may be 8 MiB: flushed before a second one could join it in one request
    // One batch in flight while the next is built: record splitting and headers overlap the broker round trip.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async (): Promise<void> => {
      if (pending.length === 0 && pendingDlq.length === 0) return;
      const b = [...(pending.length ? [{ topic, messages: pending }] : []), ...(pendingDlq.length ? [{ topic: dlqTopic, messages: pendingDlq }] : [])];
      const counts = { records: pending.length, dlq: pendingDlq.length, bytes: pendingBytes };
      pending = [];
      pendingDlq = [];
      pendingBytes = 0;
      pendingDlqBytes = 0;
      await inFlight;
      inFlight = producer.send(b).then(() => {
        published += counts.records;
        deadLettered += counts.dlq;
        sentBytes += counts.bytes;
        onProgress?.({ file: name, published, deadLettered, bytes: sentBytes });
      });
    };
    const headersFor = (index: number): Record<string, string> => ({
      [H.source]: opts.source,
      [H.dataType]: opts.dataType,
      ...(opts.kind ? { [H.kind]: opts.kind } : {}),
      ...(opts.category ? { [H.category]: opts.category } : {}),
      ...(opts.level ? { [H.requestedLevel]: opts.level } : {}),
      [H.requestId]: requestIdForLineage(sha256, index),
      [H.lineageFile]: name,
      [H.lineageSha256]: sha256,
      [H.lineageIndex]: String(index),
      [H.importBatch]: batch,
      [H.publishedAt]: String(now()),
      [H.contentType]: 'application/json',
    });
    const toDlq = (index: number, value: Buffer, message: string): void => {
      const lineage: Lineage = { file: name, sha256, index, batch };
      const headers = headersFor(index);
      const d = deadLetter({ stage: 'publish', errors: [{ path: '$', message }], value, headers, source: opts.source, ticker: peekTicker(value) ?? null, requestId: headers[H.requestId] ?? null, lineage }, now());
      const encoded = encodeDeadLetter(d);
      pendingDlq.push({ key: d.dead_letter_id, value: encoded });
      pendingDlqBytes += encoded.length;
    };
    // the prioritizer dead-letters a message whose gexstream headers it cannot decode: refuse them here, before sending
    const checked = decodeHeaders(headersFor(0));
    if (isLeft(checked)) throw new FileInputError(`${file}: ${checked.left.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    for (const r of pieces) {
      if (isProblem(r)) {
        // every problem is a dead letter; the summary lists the first ones and counts the rest
        if (problems.length < MAX_LISTED_PROBLEMS) problems.push(`line ${r.line}: ${r.message}`);
        else moreProblems++;
        if (r.bytes.length > 0) toDlq(r.index, r.bytes, `line ${r.line}: ${r.message}`);
      } else if (r.bytes.length > maxRecordBytes) toDlq(r.index, r.bytes, `record of ${r.bytes.length} bytes exceeds the ${maxRecordBytes}-byte limit of ${topic}`);
      else {
        pending.push({ key: peekTicker(r.bytes) ?? null, value: r.bytes, headers: headersFor(r.index) });
        pendingBytes += r.bytes.length;
      }
      if (pendingBytes + pendingDlqBytes >= batchBytes || pending.length + pendingDlq.length >= 2000) await flush();
    }
    await flush();
    await inFlight;
    if (moreProblems > 0) problems.push(`... and ${moreProblems} more problems (each one is in ${dlqTopic})`);
    out.push({ file, sha256, format, published, deadLettered, bytes: sentBytes, problems });
  }
  return out;
};
