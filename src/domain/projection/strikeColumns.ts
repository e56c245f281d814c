// Owns the strike rows as columns (pure): what the projector hands to DuckDB, in chunks of DuckDB's vector size, each
// chunk a list of parts of snapshots' strike columns as they lie in their messages, so the store copies each column of
// a part straight from the message buffer into the DuckDB vector (one copy, no JS array in between), with the NULL
// masks, snapshot keys and priors offsets computed here. A strike row is stored narrow: the snapshot it belongs to is
// an integer key (snapKey), not its request id, ticker and date again.
import type { Strike } from '../snapshot.js';
import { STRIKE_COLUMNS } from '../strikeColumns.js';
import { viewOfStrikes, type DoubleRun, type StrikeColumnsView } from './strikeColumnsReader.js';
import { TABLES, type Row } from './tables.js';

/** Rows per chunk: DuckDB's standard vector size (a data chunk holds at most this many rows). */
export const CHUNK_ROWS = 2048;

/** Offsets per partition in a snapshot key: partition * 2^40 + offset stays exact in a double for 8,192 partitions. */
export const SNAP_PARTITION_STRIDE = 2 ** 40;

/** A processed message's key: its partition and offset, which no other message of the topic has. */
export const snapKey = (partition: number, offset: number): number => partition * SNAP_PARTITION_STRIDE + offset;

/** The same key in SQL over gex_snapshots' position columns (the join of the wide view). */
export const SNAP_KEY_SQL = (alias: string): string => `(${alias}.src_partition::BIGINT * ${SNAP_PARTITION_STRIDE} + ${alias}.src_offset)`;

/** Columns a strike row takes from its snapshot rather than storing them itself. */
export const FROM_SNAPSHOT = ['request_id', 'ticker', 'snapshot_date'] as const;

/** The stored strike columns after the key, in the wide table's order: DOUBLEs and the priors DOUBLE[]. */
export const STRIKE_STORED = TABLES.gex_strikes.columns.filter((c) => !(FROM_SNAPSHOT as readonly string[]).includes(c.name));

/** The DOUBLE columns of a strike row, in stored order (priors excluded). */
export const STRIKE_DOUBLES = STRIKE_STORED.filter((c) => c.type === 'DOUBLE').map((c) => c.name);

/** Where each STRIKE_DOUBLES column comes from in a StrikeColumnsView: -1 the strike, else its index in view.columns. */
const SOURCE_OF_DOUBLE = STRIKE_DOUBLES.map((name) => (name === 'strike' ? -1 : (STRIKE_COLUMNS as readonly string[]).indexOf(name)));
if (SOURCE_OF_DOUBLE.some((x, j) => x === -1 && STRIKE_DOUBLES[j] !== 'strike') || SOURCE_OF_DOUBLE.some((x) => x < -1)) {
  throw new Error(`a stored strike column is not a StrikeColumns column: ${STRIKE_DOUBLES.join(', ')}`);
}

/** Rows from..from+n of one snapshot's strikes. */
export interface StrikePart {
  readonly snap: number;
  readonly view: StrikeColumnsView;
  readonly from: number;
  readonly n: number;
}

/** Up to CHUNK_ROWS strike rows: the parts in row order. */
export interface StrikeChunk {
  readonly rows: number;
  readonly parts: readonly StrikePart[];
}

/** Fills chunks with the strikes of snapshots, as views of their messages. */
export interface StrikeColumnsBuilder {
  /** Appends a snapshot's strikes (split where a chunk fills up); nothing is copied until the store writes the chunk. */
  readonly view: (snap: number, v: StrikeColumnsView) => void;
  readonly chunks: () => readonly StrikeChunk[];
  readonly rows: () => number;
}

export const createStrikeColumns = (): StrikeColumnsBuilder => {
  const chunks: { rows: number; parts: StrikePart[] }[] = [];
  let c = { rows: 0, parts: [] as StrikePart[] };
  chunks.push(c);
  let total = 0;
  return {
    view: (snap, v) => {
      for (let from = 0; from < v.count; ) {
        if (c.rows === CHUNK_ROWS) {
          c = { rows: 0, parts: [] };
          chunks.push(c);
        }
        const n = Math.min(v.count - from, CHUNK_ROWS - c.rows);
        c.parts.push({ snap, view: v, from, n });
        c.rows += n;
        total += n;
        from += n;
      }
    },
    chunks: () => chunks.filter((x) => x.rows > 0),
    rows: () => total,
  };
};

/** The run of STRIKE_DOUBLES column j in a view, or null when the column is absent. */
export const runOfDouble = (v: StrikeColumnsView, j: number): DoubleRun | null => {
  const src = SOURCE_OF_DOUBLE[j] as number;
  return src === -1 ? v.strike : (v.columns[src] ?? null);
};

/** A little-endian double's bytes at i are a NaN (exponent all ones, mantissa not zero): a NULL cell. */
const isNaNAt = (b: Uint8Array, i: number): boolean =>
  ((b[i + 7] as number) & 0x7f) === 0x7f &&
  ((b[i + 6] as number) & 0xf0) === 0xf0 &&
  (((b[i + 6] as number) & 0x0f) | (b[i + 5] as number) | (b[i + 4] as number) | (b[i + 3] as number) | (b[i + 2] as number) | (b[i + 1] as number) | (b[i] as number)) !== 0;

/**
 * DuckDB's validity mask of column j of a chunk into `out` (bit i set: row i is valid): absent columns and NaN cells
 * are NULL. Returns false when every row is valid (the store then leaves the vector without a mask).
 */
export const chunkValidity = (c: StrikeChunk, j: number, out: Uint32Array): boolean => {
  const words = (c.rows + 31) >>> 5;
  out.fill(0xffffffff, 0, words);
  let nulls = false;
  let row = 0;
  const clear = (i: number): void => {
    out[i >>> 5] = (out[i >>> 5] as number) & ~(1 << (i & 31));
  };
  for (const p of c.parts) {
    const run = runOfDouble(p.view, j);
    if (run === null) {
      for (let i = row; i < row + p.n; i++) clear(i);
      nulls = true;
    } else {
      const b = run.bytes;
      for (let k = 0, at = run.at + p.from * 8; k < p.n; k++, at += 8)
        if (isNaNAt(b, at)) {
          clear(row + k);
          nulls = true;
        }
    }
    row += p.n;
  }
  return nulls;
};

/** The chunk's snapshot keys as little-endian int64 words (low, high) into `out`, no BigInt per row. */
export const chunkKeys = (c: StrikeChunk, out: Uint32Array): void => {
  let row = 0;
  for (const p of c.parts) {
    const lo = p.snap % 0x100000000;
    const hi = Math.floor(p.snap / 0x100000000);
    for (let i = row; i < row + p.n; i++) {
      out[2 * i] = lo;
      out[2 * i + 1] = hi;
    }
    row += p.n;
  }
};

/**
 * The chunk's priors as a DuckDB list vector: `entries` gets (offset, length) as uint64 word pairs per row, and the
 * returned runs are the child doubles in order (one per part that has priors). Returns the child length too.
 */
export const chunkPriors = (c: StrikeChunk, entries: Uint32Array): { readonly size: number; readonly runs: readonly DoubleRun[] } => {
  let row = 0;
  let size = 0;
  const runs: DoubleRun[] = [];
  for (const p of c.parts) {
    const ends = p.view.priorsEnds;
    if (ends === null) {
      for (let i = row; i < row + p.n; i++) {
        entries[4 * i] = size;
        entries[4 * i + 1] = 0;
        entries[4 * i + 2] = 0;
        entries[4 * i + 3] = 0;
      }
    } else {
      const base = p.from === 0 ? 0 : (ends[p.from - 1] as number);
      let prev = base;
      for (let k = 0; k < p.n; k++) {
        const e = ends[p.from + k] as number;
        entries[4 * (row + k)] = size + (prev - base);
        entries[4 * (row + k) + 1] = 0;
        entries[4 * (row + k) + 2] = e - prev;
        entries[4 * (row + k) + 3] = 0;
        prev = e;
      }
      const count = prev - base;
      if (count > 0) runs.push({ bytes: p.view.priorsValues.bytes, at: p.view.priorsValues.at + base * 8, count });
      size += count;
    }
    row += p.n;
  }
  return { size, runs };
};

/** Wide strike rows (as the pure fold makes them, with their src_partition and src_offset) into columns. */
export const appendStrikeRows = (b: StrikeColumnsBuilder, rows: readonly Row[]): void => {
  let group: Row[] = [];
  let key = NaN;
  const flush = (): void => {
    if (group.length === 0) return;
    const strikes = group.map((r) => {
      const s: Record<string, unknown> = { strike: r['strike'], priors: Array.isArray(r['priors']) ? r['priors'] : [] };
      for (const name of STRIKE_DOUBLES) if (name !== 'strike') s[name] = typeof r[name] === 'number' ? r[name] : null;
      return s as unknown as Strike;
    });
    b.view(key, viewOfStrikes(strikes));
    group = [];
  };
  for (const r of rows) {
    const partition = r['src_partition'];
    const offset = r['src_offset'];
    if (typeof partition !== 'number' || typeof offset !== 'number') throw new Error(`strike row of ${String(r['request_id'])} without its message position`);
    const k = snapKey(partition, offset);
    if (k !== key) flush();
    key = k;
    group.push(r);
  }
  flush();
};

/** A chunk's rows as stored (snap, the DOUBLEs, priors): for tests and comparisons. */
export const chunkRows = (c: StrikeChunk): Array<Record<string, number | null | number[]>> => {
  const out: Array<Record<string, number | null | number[]>> = [];
  for (const p of c.parts) {
    const dv = (r: DoubleRun, i: number): number => new DataView(r.bytes.buffer, r.bytes.byteOffset).getFloat64(r.at + i * 8, true);
    for (let i = p.from; i < p.from + p.n; i++) {
      const r: Record<string, number | null | number[]> = { snap: p.snap };
      STRIKE_DOUBLES.forEach((name, j) => {
        const run = runOfDouble(p.view, j);
        const x = run === null ? NaN : dv(run, i);
        r[name] = Number.isNaN(x) ? null : x;
      });
      const ends = p.view.priorsEnds;
      const from = ends === null || i === 0 ? 0 : (ends[i - 1] as number);
      const to = ends === null ? 0 : (ends[i] as number);
      r['priors'] = Array.from({ length: to - from }, (_, k) => dv(p.view.priorsValues, from + k));
      out.push(r);
    }
  }
  return out;
};
