// Owns the Kafka headers gexstream reads and writes on raw messages (any client may set them, or not) and their decoding.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { Lineage } from './deadLetter.js';
import { describeValue, type PathError } from './errors.js';
import { readEpochTime } from './fieldCodecs.js';
import { DataType } from './snapshot.js';

export const H = {
  source: 'gex-source',
  dataType: 'gex-data-type',
  kind: 'gex-kind',
  category: 'gex-category',
  requestId: 'gex-request-id',
  requestedLevel: 'gex-requested-level',
  marketEvent: 'gex-market-event',
  lineageFile: 'gex-lineage-file',
  lineageSha256: 'gex-lineage-sha256',
  lineageIndex: 'gex-lineage-index',
  importBatch: 'gex-import-batch',
  publishedAt: 'gex-published-at',
  contentType: 'content-type',
} as const;

export type RawHeaders = Readonly<Record<string, string>>;

/** kafkajs-style headers (Buffer | string | arrays) to plain strings; the first value wins. */
export const headersToStrings = (h: Record<string, unknown> | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first === undefined || first === null) continue;
    out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
};

/** The gexstream headers of one raw message, decoded; absent or empty headers are null. */
export interface MessageHeaders {
  readonly source: string | null;
  readonly dataType: DataType | null;
  readonly kind: string | null;
  readonly category: string | null;
  /** The publisher's request id when usable (8-64 characters A-Z, a-z, 0-9, "-"); else null and one is derived from the position. */
  readonly requestId: string | null;
  readonly lineage: Lineage | null;
  /** Integer epoch ms. */
  readonly publishedAtMs: number | null;
}

/** Longest value of a free-text gexstream header (source, file name, batch, kind...). */
export const MAX_HEADER_TEXT = 256;
const REQUEST_ID = /^[A-Za-z0-9-]{8,64}$/;
const DIGITS = /^\d{1,16}$/;

const present = (headers: RawHeaders, name: string): string | null => {
  const v = headers[name];
  return v === undefined || v === '' ? null : v;
};

/**
 * Decodes every gexstream header of a raw message, each error located at `headers.<name>`.
 *
 * Lenient, because publishers legitimately differ:
 * - an absent or empty header is no header;
 * - `gex-published-at` in epoch ms or epoch seconds (told apart by magnitude, as snapshot timestamps), with a
 *   fraction (Python's `str(time.time() * 1000)`) floored to whole ms;
 * - a `gex-request-id` that is not an id is replaced by one derived from the message's position;
 * - lineage is kept only when file, sha256 and index are all there.
 * A dead letter (refused), because the message cannot be handled as its publisher meant: a data type that is
 * not one of the three, a published-at that is not a plausible time, a lineage index that is not a whole
 * number >= 0 below 2^53, and a free-text header over MAX_HEADER_TEXT characters or with control characters.
 */
export const decodeHeaders = (headers: RawHeaders): Either<PathError[], MessageHeaders> => {
  const errors: PathError[] = [];
  const at = (name: string, message: string): void => void errors.push({ path: `headers.${name}`, message });
  const text = (name: string): string | null => {
    const v = present(headers, name);
    if (v === null) return null;
    if (v.length > MAX_HEADER_TEXT) at(name, `expected at most ${MAX_HEADER_TEXT} characters, got ${v.length}`);
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001f\u007f]/.test(v)) at(name, `expected text without control characters, got ${describeValue(v)}`);
    else return v;
    return null;
  };
  const source = text(H.source);
  const kind = text(H.kind);
  const category = text(H.category);
  const file = text(H.lineageFile);
  const sha256 = text(H.lineageSha256);
  const batch = text(H.importBatch);

  let dataType: DataType | null = null;
  const dt = present(headers, H.dataType);
  if (dt !== null) {
    if (DataType.is(dt)) dataType = dt;
    else at(H.dataType, `expected real_time, historical or snapshot, got ${describeValue(dt)}`);
  }

  let index: number | null = null;
  const ix = present(headers, H.lineageIndex);
  if (ix !== null) {
    const n = Number(ix);
    if (DIGITS.test(ix) && Number.isSafeInteger(n)) index = n;
    else at(H.lineageIndex, `expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER} in decimal digits, got ${describeValue(ix)}`);
  }

  let publishedAtMs: number | null = null;
  const pa = present(headers, H.publishedAt);
  if (pa !== null) {
    const n = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(pa) ? Number(pa) : Number.NaN;
    const t = Number.isNaN(n) ? { issue: `expected epoch milliseconds or seconds as a decimal number, got ${describeValue(pa)}` } : readEpochTime(n);
    if ('ms' in t) publishedAtMs = Math.floor(t.ms);
    else at(H.publishedAt, t.issue);
  }

  const rid = present(headers, H.requestId);
  if (errors.length > 0) return left(errors);
  return right({
    source,
    dataType,
    kind,
    category,
    requestId: rid !== null && REQUEST_ID.test(rid) ? rid : null,
    lineage: file !== null && sha256 !== null && index !== null ? { file, sha256, index, batch } : null,
    publishedAtMs,
  });
};

/**
 * Raw headers whose content a prioritized record carries in its own fields: `source`, `request_id`, `published_at_ms`,
 * the snapshot's `data_type`, `kind` and `category`, and `lineage` (when the record has one). content-type describes
 * the raw JSON bytes, which the record no longer holds.
 */
const CARRIED = new Set<string>([H.source, H.requestId, H.publishedAt, H.dataType, H.kind, H.category, H.contentType]);
const LINEAGE = new Set<string>([H.lineageFile, H.lineageSha256, H.lineageIndex, H.importBatch]);

/**
 * The headers a prioritized record keeps: those its fields do not already carry (a requested level, a market event,
 * a re-drive mark, any publisher's own). Real raw messages carry about ten headers; a record of ours repeated them all.
 */
export const recordHeaders = (headers: RawHeaders, hasLineage: boolean): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!CARRIED.has(k) && !(hasLineage && LINEAGE.has(k))) out[k] = v;
  return out;
};

const META_HEADERS: Readonly<Record<string, string>> = { 'meta.kind': H.kind, 'meta.category': H.category, 'meta.data_type': H.dataType };

/** Decode errors about the hints (`meta.kind`...) located at the headers that carried them, for a consumed message. */
export const locateInHeaders = (errors: readonly PathError[]): PathError[] =>
  errors.map((e) => {
    const header = META_HEADERS[e.path];
    return header === undefined ? e : { path: `headers.${header}`, message: e.message };
  });
