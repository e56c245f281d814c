// Owns `publish`: stream files' snapshot records to the raw topic as their exact bytes, with lineage headers.
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { deadLetter, type DeadLetter, type Lineage } from '../domain/deadLetter.js';
import { H } from '../domain/headers.js';
import { requestIdForLineage } from '../domain/ids.js';
import { peekTicker, splitRecords, type FileFormat } from '../domain/records.js';
import type { GexProducer, OutMessage } from '../kafka/producer.js';

export const RAW_TOPIC = 'gex.raw.v1';
export const DLQ_TOPIC = 'gex.dlq.v1';

export interface PublishOptions {
  readonly source: string;
  readonly dataType: 'real_time' | 'historical' | 'snapshot';
  readonly kind?: string;
  readonly category?: string;
  /** Requested level (gex-requested-level): a manual override the prioritizer records with its decision. */
  readonly level?: 'critical' | 'high' | 'medium' | 'low';
  /** Import batch id written with every record's lineage; one per `publish` run by default. */
  readonly batch?: string;
  readonly topic?: string;
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

export const readFileBytes = async (path: string): Promise<{ bytes: Buffer; sha256: string }> => {
  const onDisk = await readFile(path);
  const sha256 = createHash('sha256').update(onDisk).digest('hex');
  const gz = onDisk.length > 2 && onDisk[0] === 0x1f && onDisk[1] === 0x8b;
  return { bytes: gz ? gunzipSync(onDisk) : onDisk, sha256 };
};

export const publishFiles = async (
  files: readonly string[],
  { producer, encodeDeadLetter, onProgress }: { producer: GexProducer; encodeDeadLetter: DeadLetterEncoder; onProgress?: (p: Progress) => void },
  opts: PublishOptions,
): Promise<FileSummary[]> => {
  const topic = opts.topic ?? RAW_TOPIC;
  const maxRecordBytes = opts.maxRecordBytes ?? 8 * 1024 * 1024 - 64 * 1024;
  const batchBytes = opts.batchBytes ?? 1024 * 1024;
  const now = opts.now ?? Date.now;
  const batch = opts.batch ?? randomUUID();
  const out: FileSummary[] = [];
  for (const file of files) {
    const { bytes, sha256 } = await readFileBytes(file);
    const { format, records, problems } = splitRecords(bytes);
    const name = basename(file);
    let published = 0;
    let deadLettered = 0;
    let sentBytes = 0;
    let pending: OutMessage[] = [];
    let pendingDlq: OutMessage[] = [];
    let pendingBytes = 0;
    // One batch in flight while the next is built: record splitting and headers overlap the broker round trip.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async (): Promise<void> => {
      if (pending.length === 0 && pendingDlq.length === 0) return;
      const b = [...(pending.length ? [{ topic, messages: pending }] : []), ...(pendingDlq.length ? [{ topic: DLQ_TOPIC, messages: pendingDlq }] : [])];
      const counts = { records: pending.length, dlq: pendingDlq.length, bytes: pendingBytes };
      pending = [];
      pendingDlq = [];
      pendingBytes = 0;
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
      pendingDlq.push({ key: d.dead_letter_id, value: encodeDeadLetter(d) });
    };
    for (const r of records) {
      if (r.bytes.length > maxRecordBytes) toDlq(r.index, r.bytes, `record of ${r.bytes.length} bytes exceeds the ${maxRecordBytes}-byte limit of ${topic}`);
      else {
        pending.push({ key: peekTicker(r.bytes) ?? null, value: r.bytes, headers: headersFor(r.index) });
        pendingBytes += r.bytes.length;
      }
      if (pendingBytes >= batchBytes || pending.length >= 2000) await flush();
    }
    for (const p of problems) {
      if (p.bytes.length > 0) toDlq(p.index, p.bytes, `line ${p.line}: ${p.message}`);
    }
    await flush();
    await inFlight;
    out.push({ file, sha256, format, published, deadLettered, bytes: sentBytes, problems: problems.map((p) => `line ${p.line}: ${p.message}`) });
  }
  return out;
};
