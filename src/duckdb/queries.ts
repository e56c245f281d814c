// Owns the reads the API makes on the projector's DuckDB file: one request's decision, job history and timings;
// sources; recent dead letters; how often each rule matched.
import type { DuckDBConnection } from '@duckdb/node-api';

type Obj = Record<string, unknown>;

const plain = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array ? v.length : v);
const objects = async (c: DuckDBConnection, sql: string, params: Record<string, string | number> = {}): Promise<Obj[]> => {
  const r = await c.runAndReadAll(sql, params);
  return r.getRowObjects().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plain(v)])));
};
const iso = (ms: unknown): string | null => (typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : null);

/** The request as the state knows it: null when neither a decision nor a job event has been projected yet. */
export const requestView = async (c: DuckDBConnection, id: string): Promise<Obj | null> => {
  const [req] = await objects(c, 'SELECT * FROM priority_requests WHERE request_id = $id', { id });
  const jobs = await objects(c, 'SELECT status, level, ticker, source, at_ms, retry_count, error_message, next_attempt_at_ms, duration_ms, records_processed FROM processing_jobs WHERE request_id = $id ORDER BY retry_count, at_ms, CASE status WHEN \'QUEUED\' THEN 0 WHEN \'PROCESSING\' THEN 1 ELSE 2 END', { id });
  if (!req && jobs.length === 0) return null;
  const last = jobs[jobs.length - 1];
  const [lin] = await objects(c, 'SELECT file, sha256, idx AS "index", batch FROM lineage WHERE request_id = $id', { id });
  const published = req?.['published_at_ms'];
  const processed = req?.['processed_at_ms'];
  return {
    request_id: id,
    ticker: req?.['ticker'] ?? last?.['ticker'] ?? null,
    source: req?.['source'] ?? last?.['source'] ?? null,
    data_type: req?.['data_type'] ?? null,
    level: req?.['level'] ?? last?.['level'] ?? null,
    score: req?.['score'] ?? null,
    components:
      req && req['market_impact'] !== null
        ? { market_impact: req['market_impact'], freshness: req['freshness'], source_reliability: req['source_reliability'], urgency: req['urgency'] }
        : null,
    matched_rules: req ? (JSON.parse(String(req['matched_rules'] ?? '[]')) as string[]) : [],
    rule_set_version: req?.['rule_set_version'] ?? null,
    job: last ? { status: last['status'], retry_count: last['retry_count'], error_message: last['error_message'], history: jobs.map((j) => ({ status: j['status'], at: iso(j['at_ms']), retry_count: j['retry_count'], error_message: j['error_message'] })) } : null,
    timings: {
      published_at: iso(published),
      prioritized_at: iso(req?.['prioritized_at_ms']),
      processed_at: iso(processed),
      publish_to_processed_ms: typeof published === 'number' && typeof processed === 'number' ? processed - published : null,
    },
    lineage: lin ?? null,
  };
};

export const sourceRows = (c: DuckDBConnection): Promise<Obj[]> => objects(c, 'SELECT * FROM data_sources ORDER BY source');

export const deadLetterRows = (c: DuckDBConnection, q: { limit: number; stage?: string; ticker?: string }): Promise<Obj[]> =>
  objects(
    c,
    `SELECT dead_letter_id, stage, reason, errors, original_topic, original_partition, original_offset, octet_length(original_value) AS original_bytes,
       source, ticker, request_id, failed_at_ms, attempts, lineage_file, lineage_index, import_batch
     FROM dead_letters WHERE ($stage = '' OR stage = $stage) AND ($ticker = '' OR ticker = $ticker) ORDER BY failed_at_ms DESC, dead_letter_id LIMIT ${Math.max(1, Math.trunc(q.limit))}`,
    { stage: q.stage ?? '', ticker: q.ticker ?? '' },
  ).then((rows) => rows.map((r) => ({ ...r, errors: JSON.parse(String(r['errors'] ?? '[]')) as unknown })));

/** How many projected decisions each rule matched (rule id -> count); rules that never matched are absent. */
export const ruleMatchCounts = async (c: DuckDBConnection): Promise<Map<string, number>> => {
  const rows = await objects(
    c,
    `SELECT rule_id, count(*) AS n FROM (SELECT unnest(from_json(matched_rules, '["VARCHAR"]')) AS rule_id FROM priority_requests WHERE matched_rules <> '[]') GROUP BY rule_id`,
  );
  return new Map(rows.map((r) => [String(r['rule_id']), Number(r['n'])]));
};

/**
 * Where the newest stored snapshot of each ticker and kind came from (its processed message), the ties broken as the
 * live view breaks them as far as the rows tell: for rebuilding the projector's latest-snapshot view at start.
 */
export const latestSnapshotPositions = async (c: DuckDBConnection): Promise<Array<{ requestId: string; partition: number; offset: number }>> => {
  const r = await c.runAndReadAll(
    `SELECT request_id, src_partition, src_offset FROM gex_snapshots
     QUALIFY row_number() OVER (PARTITION BY ticker, kind ORDER BY timestamp_ms DESC, processed_at_ms DESC, src_partition DESC, src_offset DESC) = 1`,
  );
  return r.getRows().map(([id, p, o]) => ({ requestId: String(id), partition: Number(p), offset: Number(o) }));
};
