// Owns the strike rows as columns (pure): what the projector hands to DuckDB, one typed array per column, in chunks of
// DuckDB's vector size, so the store copies each column once instead of appending cell by cell. A strike row is
// stored narrow: the snapshot it belongs to is an integer key (snapKey), not its request id, ticker and date again.
import { STRIKE_COLUMNS } from '../strikeColumns.js';
import type { DoubleRun, StrikeColumnsView } from './strikeColumnsReader.js';
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

/** The DOUBLE columns of a strike row, in stored order (priors excluded): the index space of StrikeChunk.values. */
export const STRIKE_DOUBLES = STRIKE_STORED.filter((c) => c.type === 'DOUBLE').map((c) => c.name);

/** Where each STRIKE_DOUBLES column comes from in a StrikeColumnsView: -1 the strike, else its index in view.columns. */
const SOURCE_OF_DOUBLE = STRIKE_DOUBLES.map((name) => (name === 'strike' ? -1 : (STRIKE_COLUMNS as readonly string[]).indexOf(name)));
if (SOURCE_OF_DOUBLE.some((x, j) => x === -1 && STRIKE_DOUBLES[j] !== 'strike') || SOURCE_OF_DOUBLE.some((x) => x < -1)) {
  throw new Error(`a stored strike column is not a StrikeColumns column: ${STRIKE_DOUBLES.join(', ')}`);
}

export interface StrikeChunk {
  rows: number;
  /** snapKey of each row's snapshot. */
  readonly snap: Float64Array;
  /** One array per STRIKE_DOUBLES column; a NULL cell holds 0 and has its bit in nulls. */
  readonly values: readonly Float64Array[];
  /** Per column, a bit per row (bit i of word i >> 5) set where the cell is NULL; null when the column has none. */
  readonly nulls: (Uint32Array | null)[];
  /** End (exclusive) of row i's priors in priorValues; row i starts where row i - 1 ends. */
  readonly priorEnds: Uint32Array;
  priorValues: Float64Array;
}

const newChunk = (): StrikeChunk => ({
  rows: 0,
  snap: new Float64Array(CHUNK_ROWS),
  values: STRIKE_DOUBLES.map(() => new Float64Array(CHUNK_ROWS)),
  nulls: STRIKE_DOUBLES.map(() => null),
  priorEnds: new Uint32Array(CHUNK_ROWS),
  priorValues: new Float64Array(CHUNK_ROWS * 4),
});

/** Fills chunks row by row: row() starts a row, set() and priors() fill its cells. */
export interface StrikeColumnsBuilder {
  /** Starts a row of the snapshot with this key; returns its index in the current chunk. */
  readonly row: (snap: number) => number;
  /** Sets DOUBLE column `col` (index into STRIKE_DOUBLES) of row i of the current chunk. */
  readonly set: (col: number, i: number, v: number | null) => void;
  /** Sets the priors of row i of the current chunk (call once per row, after row()). */
  readonly priors: (i: number, values: readonly number[]) => void;
  /**
   * Appends a snapshot's strikes from their view: each present column is one byte copy into the chunk (split where a
   * chunk fills up), NaN cells and absent columns become NULL bits, priors one copy plus the ends.
   */
  readonly view: (snap: number, v: StrikeColumnsView) => void;
  readonly chunks: () => readonly StrikeChunk[];
  readonly rows: () => number;
}

/** Sets the NULL bits of rows at..at+n of column j. */
const setNulls = (c: StrikeChunk, j: number, at: number, n: number): void => {
  const bits = c.nulls[j] ?? (c.nulls[j] = new Uint32Array(CHUNK_ROWS >>> 5));
  let i = at;
  const end = at + n;
  for (; i < end && (i & 31) !== 0; i++) bits[i >>> 5] = (bits[i >>> 5] as number) | (1 << (i & 31));
  for (; i + 32 <= end; i += 32) bits[i >>> 5] = 0xffffffff;
  for (; i < end; i++) bits[i >>> 5] = (bits[i >>> 5] as number) | (1 << (i & 31));
};

export const createStrikeColumns = (): StrikeColumnsBuilder => {
  const chunks: StrikeChunk[] = [];
  let c = newChunk();
  let total = 0;
  let priorCount = 0;
  chunks.push(c);
  return {
    row: (snap) => {
      if (c.rows === CHUNK_ROWS) {
        c = newChunk();
        chunks.push(c);
        priorCount = 0;
      }
      const i = c.rows++;
      c.snap[i] = snap;
      c.priorEnds[i] = priorCount;
      total++;
      return i;
    },
    set: (col, i, v) => {
      if (v === null) {
        const bits = c.nulls[col] ?? (c.nulls[col] = new Uint32Array(CHUNK_ROWS >>> 5));
        bits[i >>> 5] = (bits[i >>> 5] as number) | (1 << (i & 31));
      } else (c.values[col] as Float64Array)[i] = v;
    },
    priors: (i, values) => {
      const n = values.length;
      if (priorCount + n > c.priorValues.length) {
        const grown = new Float64Array(Math.max(c.priorValues.length * 2, priorCount + n));
        grown.set(c.priorValues.subarray(0, priorCount));
        c.priorValues = grown;
      }
      for (let k = 0; k < n; k++) c.priorValues[priorCount + k] = values[k] as number;
      priorCount += n;
      c.priorEnds[i] = priorCount;
    },
    view: (snap, v) => {
      for (let from = 0; from < v.count; ) {
        if (c.rows === CHUNK_ROWS) {
          c = newChunk();
          chunks.push(c);
          priorCount = 0;
        }
        const at = c.rows;
        const n = Math.min(v.count - from, CHUNK_ROWS - at);
        c.snap.fill(snap, at, at + n);
        for (let j = 0; j < STRIKE_DOUBLES.length; j++) {
          const src = SOURCE_OF_DOUBLE[j] as number;
          const run: DoubleRun | null = src === -1 ? v.strike : (v.columns[src] ?? null);
          if (run === null) {
            setNulls(c, j, at, n);
            continue;
          }
          const values = c.values[j] as Float64Array;
          const start = run.at + from * 8;
          new Uint8Array(values.buffer, values.byteOffset + at * 8, n * 8).set(run.bytes.subarray(start, start + n * 8));
          for (let i = at; i < at + n; i++) {
            const x = values[i] as number;
            if (x !== x) {
              values[i] = 0;
              setNulls(c, j, i, 1);
            }
          }
        }
        // priors: one copy of this part's values, ends shifted to the chunk's
        const ends = v.priorsEnds;
        const base = ends === null || from === 0 ? 0 : (ends[from - 1] as number);
        const last = ends === null ? 0 : (ends[from + n - 1] as number);
        const k = last - base;
        if (priorCount + k > c.priorValues.length) {
          const grown = new Float64Array(Math.max(c.priorValues.length * 2, priorCount + k));
          grown.set(c.priorValues.subarray(0, priorCount));
          c.priorValues = grown;
        }
        if (k > 0) {
          const start = v.priorsValues.at + base * 8;
          new Uint8Array(c.priorValues.buffer, c.priorValues.byteOffset + priorCount * 8, k * 8).set(v.priorsValues.bytes.subarray(start, start + k * 8));
        }
        for (let i = 0; i < n; i++) c.priorEnds[at + i] = priorCount + (ends === null ? 0 : (ends[from + i] as number) - base);
        priorCount += k;
        c.rows += n;
        total += n;
        from += n;
      }
    },
    chunks: () => chunks.filter((x) => x.rows > 0),
    rows: () => total,
  };
};

/** Wide strike rows (as the pure fold makes them, with their src_partition and src_offset) into columns. */
export const appendStrikeRows = (b: StrikeColumnsBuilder, rows: readonly Row[]): void => {
  for (const r of rows) {
    const partition = r['src_partition'];
    const offset = r['src_offset'];
    if (typeof partition !== 'number' || typeof offset !== 'number') throw new Error(`strike row of ${String(r['request_id'])} without its message position`);
    const i = b.row(snapKey(partition, offset));
    STRIKE_DOUBLES.forEach((name, j) => {
      const v = r[name];
      b.set(j, i, typeof v === 'number' ? v : null);
    });
    const p = r['priors'];
    b.priors(i, Array.isArray(p) ? (p as readonly number[]) : []);
  }
};

const isNull = (bits: Uint32Array | null, i: number): boolean => bits !== null && ((bits[i >>> 5] as number) & (1 << (i & 31))) !== 0;

/** A chunk's rows as stored (snap, the DOUBLEs, priors): for tests and comparisons. */
export const chunkRows = (c: StrikeChunk): Array<Record<string, number | null | number[]>> => {
  const out: Array<Record<string, number | null | number[]>> = [];
  for (let i = 0; i < c.rows; i++) {
    const r: Record<string, number | null | number[]> = { snap: c.snap[i] as number };
    STRIKE_DOUBLES.forEach((name, j) => {
      r[name] = isNull(c.nulls[j] ?? null, i) ? null : ((c.values[j] as Float64Array)[i] as number);
    });
    r['priors'] = Array.from(c.priorValues.subarray(i === 0 ? 0 : (c.priorEnds[i - 1] as number), c.priorEnds[i] as number));
    out.push(r);
  }
  return out;
};
