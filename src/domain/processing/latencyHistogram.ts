// Owns a bounded, mergeable latency histogram with log buckets (5 % wide): quantiles within 5 % of the truth, in constant memory.

/** Bucket 0 holds [0, 1) ms; bucket i >= 1 holds [GROWTH^(i-1), GROWTH^i) ms; the last one also takes everything above. */
export const BUCKET_GROWTH = 1.05;
/** 1.05^430 ms is about 16 days: longer than any back-fill waits. */
export const BUCKET_COUNT = 431;

export interface LatencyHistogram {
  readonly count: number;
  readonly sumMs: number;
  /** Exact extremes; null while empty. */
  readonly minMs: number | null;
  readonly maxMs: number | null;
  readonly buckets: readonly number[];
}

export const emptyHistogram = (): LatencyHistogram => ({ count: 0, sumMs: 0, minMs: null, maxMs: null, buckets: new Array<number>(BUCKET_COUNT).fill(0) });

const LN_GROWTH = Math.log(BUCKET_GROWTH);

export const bucketIndex = (ms: number): number => (ms < 1 ? 0 : Math.min(BUCKET_COUNT - 1, 1 + Math.floor(Math.log(ms) / LN_GROWTH)));

/** The exclusive upper bound of a bucket, in ms. */
export const bucketUpperMs = (i: number): number => Math.pow(BUCKET_GROWTH, i);

/** Adds one latency; negative values (clock skew between hosts) count as 0, non-finite ones are ignored. */
export const recordLatency = (h: LatencyHistogram, ms: number): LatencyHistogram => {
  if (!Number.isFinite(ms)) return h;
  const v = Math.max(0, ms);
  const buckets = h.buckets.slice();
  const i = bucketIndex(v);
  buckets[i] = (buckets[i] ?? 0) + 1;
  return {
    count: h.count + 1,
    sumMs: h.sumMs + v,
    minMs: h.minMs === null ? v : Math.min(h.minMs, v),
    maxMs: h.maxMs === null ? v : Math.max(h.maxMs, v),
    buckets,
  };
};

export const mergeHistograms = (a: LatencyHistogram, b: LatencyHistogram): LatencyHistogram => ({
  count: a.count + b.count,
  sumMs: a.sumMs + b.sumMs,
  minMs: a.minMs === null ? b.minMs : b.minMs === null ? a.minMs : Math.min(a.minMs, b.minMs),
  maxMs: a.maxMs === null ? b.maxMs : b.maxMs === null ? a.maxMs : Math.max(a.maxMs, b.maxMs),
  buckets: a.buckets.map((n, i) => n + (b.buckets[i] ?? 0)),
});

/**
 * The q-quantile (q in [0, 1]): the ceil(q * count)-th smallest latency, read as the upper bound of its bucket and
 * kept within the exact min and max (the first and the last are exact). Null while empty. At most 5 % above the
 * true value, below the overflow bucket.
 */
export const latencyQuantile = (h: LatencyHistogram, q: number): number | null => {
  if (h.count === 0 || h.minMs === null || h.maxMs === null) return null;
  const qq = Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 1;
  const rank = Math.max(1, Math.ceil(qq * h.count - 1e-9));
  // The smallest and the largest are known exactly.
  if (rank === 1) return h.minMs;
  if (rank >= h.count) return h.maxMs;
  let seen = 0;
  for (let i = 0; i < h.buckets.length - 1; i++) {
    seen += h.buckets[i] ?? 0;
    if (seen >= rank) return Math.min(Math.max(bucketUpperMs(i), h.minMs), h.maxMs);
  }
  // The overflow bucket has no upper bound.
  return h.maxMs;
};

export const meanLatency = (h: LatencyHistogram): number | null => (h.count === 0 ? null : h.sumMs / h.count);
