// Owns the names of the Kafka headers gexstream reads and writes on raw messages (any client may set them, or not).
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
