// Owns reading a snapshot's StrikeColumns (io.gexstream.v2, Avro binary) in place (pure): each column is found where
// it lies in the message buffer, and the projector copies its bytes straight into its DuckDB chunk arrays. No object
// and no number per strike is made here; only priors_ends (varints) is decoded.
import type { ProcessedSnapshot } from '../processed.js';
import type { ProcessedSnapshotV1 } from '../v1Strikes.js';
import type { CanonicalSnapshot, Strike } from '../snapshot.js';
import { STRIKE_COLUMNS, columnsOfRows, type StrikeColumns } from '../strikeColumns.js';

/** `count` little-endian doubles at byte `at` of `bytes` (not aligned: copy them, never view them as a Float64Array). */
export interface DoubleRun {
  readonly bytes: Uint8Array;
  readonly at: number;
  readonly count: number;
}

/** A snapshot's strikes as runs of doubles, in the schema's column order. */
export interface StrikeColumnsView {
  readonly count: number;
  readonly strike: DoubleRun;
  /** One per STRIKE_COLUMNS name; null when the column is absent (every cell NULL). A NaN cell is NULL. */
  readonly columns: readonly (DoubleRun | null)[];
  readonly priorsValues: DoubleRun;
  /** End (exclusive) of each row's priors in priorsValues; null when no row has priors. */
  readonly priorsEnds: Int32Array | null;
}

/** A processed snapshot as the projector keeps it: the envelope and snapshot fields, the strikes as a view. */
export type ProcessedColumnar = Omit<ProcessedSnapshot, 'snapshot'> & {
  readonly snapshot: Omit<CanonicalSnapshot, 'strikes'> & { readonly strikes: StrikeColumnsView };
};

/** Malformed StrikeColumns bytes, with the path of the field that is wrong. */
export class StrikeColumnsError extends Error {
  override readonly name = 'StrikeColumnsError';
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}

const PATH = 'snapshot.strikes';
const MAX_VARINT_BYTES = 10;

/** A cursor over Avro binary: zig-zag varints, and arrays of doubles located, not decoded. */
class Cursor {
  constructor(readonly buf: Uint8Array, public pos: number) {}

  long(path: string): number {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new StrikeColumnsError(path, 'truncated');
      n += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
      mul *= 128;
    }
    throw new StrikeColumnsError(path, 'varint longer than 10 bytes');
  }

  /** An array<double>: one run when it is one block (the usual case), else its blocks copied together. */
  doubles(path: string): DoubleRun {
    const start = this.pos;
    const blocks: { at: number; count: number }[] = [];
    let total = 0;
    for (;;) {
      let count = this.long(path);
      if (count === 0) break;
      if (count < 0) {
        count = -count; // a block with its byte size (Java writers may emit it): the size is not needed here
        this.long(path);
      }
      const bytes = count * 8;
      if (this.pos + bytes > this.buf.length) throw new StrikeColumnsError(path, `truncated: ${count} doubles announced`);
      blocks.push({ at: this.pos, count });
      total += count;
      this.pos += bytes;
    }
    const first = blocks[0];
    if (blocks.length === 1 && first) return { bytes: this.buf, at: first.at, count: total };
    if (blocks.length === 0) return { bytes: this.buf, at: start, count: 0 };
    const out = new Uint8Array(total * 8);
    let o = 0;
    for (const b of blocks) {
      out.set(this.buf.subarray(b.at, b.at + b.count * 8), o);
      o += b.count * 8;
    }
    return { bytes: out, at: 0, count: total };
  }

  ints(path: string): Int32Array {
    const out: number[] = [];
    for (;;) {
      let count = this.long(path);
      if (count === 0) break;
      if (count < 0) {
        count = -count;
        this.long(path);
      }
      for (let i = 0; i < count; i++) out.push(this.long(`${path}[${out.length}]`));
    }
    return Int32Array.from(out);
  }
}

/**
 * Reads io.gexstream.v2.StrikeColumns at `pos` of `buf`; returns its view and the position after it. Every present
 * column must have one cell per strike, and priors_ends one end per strike (or none), ascending, within priors_values.
 */
export const readStrikeColumns = (buf: Uint8Array, pos: number): { readonly view: StrikeColumnsView; readonly end: number } => {
  const c = new Cursor(buf, pos);
  const strike = c.doubles(`${PATH}.strike`);
  const count = strike.count;
  const columns: (DoubleRun | null)[] = [];
  for (const name of STRIKE_COLUMNS) {
    const path = `${PATH}.${name}`;
    const branch = c.long(path);
    if (branch === 0) columns.push(null);
    else if (branch === 1) {
      const run = c.doubles(path);
      if (run.count !== count) throw new StrikeColumnsError(path, `${run.count} values for ${count} strikes`);
      columns.push(run);
    } else throw new StrikeColumnsError(path, `union branch ${branch} out of range`);
  }
  const priorsValues = c.doubles(`${PATH}.priors_values`);
  const ends = c.ints(`${PATH}.priors_ends`);
  let priorsEnds: Int32Array | null = null;
  if (ends.length > 0) {
    if (ends.length !== count) throw new StrikeColumnsError(`${PATH}.priors_ends`, `${ends.length} ends for ${count} strikes`);
    let prev = 0;
    for (let i = 0; i < count; i++) {
      const e = ends[i] as number;
      if (e < prev || e > priorsValues.count) throw new StrikeColumnsError(`${PATH}.priors_ends[${i}]`, `${e} is not in ${prev}..${priorsValues.count}`);
      prev = e;
    }
    if (prev !== priorsValues.count) throw new StrikeColumnsError(`${PATH}.priors_ends[${count - 1}]`, `ends at ${prev}, priors_values has ${priorsValues.count}`);
    priorsEnds = ends;
  } else if (priorsValues.count > 0) throw new StrikeColumnsError(`${PATH}.priors_ends`, `empty, priors_values has ${priorsValues.count}`);
  return { view: { count, strike, columns, priorsValues, priorsEnds }, end: c.pos };
};

const runOf = (a: Float64Array): DoubleRun => ({ bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at: 0, count: a.length });

/** The view of in-memory columns (or strike rows, for v1 records and tests): cold paths only. */
export const viewOfStrikes = (strikes: readonly Strike[] | StrikeColumns): StrikeColumnsView => {
  const s = Array.isArray(strikes) ? columnsOfRows(strikes as readonly Strike[]) : (strikes as StrikeColumns);
  return {
    count: s.count,
    strike: runOf(s.strike),
    columns: STRIKE_COLUMNS.map((name) => {
      const col = s.columns[name];
      return col === null ? null : runOf(col);
    }),
    priorsValues: runOf(s.priorsValues),
    priorsEnds: s.priorsEnds,
  };
};

/** The doubles of a run in a fresh (aligned) array. */
export const runValues = (r: DoubleRun): Float64Array => {
  const out = new Float64Array(r.count);
  new Uint8Array(out.buffer).set(r.bytes.subarray(r.at, r.at + r.count * 8));
  return out;
};

/** A view's rows as Strike objects (the API's latest snapshot, tests): cold paths only. */
export const strikeRowsOfView = (v: StrikeColumnsView): Strike[] => {
  const strike = runValues(v.strike);
  const cols = v.columns.map((r) => (r === null ? null : runValues(r)));
  const priors = runValues(v.priorsValues);
  return Array.from({ length: v.count }, (_, i) => {
    const row: Record<string, unknown> = { strike: strike[i] };
    STRIKE_COLUMNS.forEach((name, j) => {
      const x = cols[j]?.[i];
      row[name] = x === undefined || Number.isNaN(x) ? null : x;
    });
    row['priors'] = v.priorsEnds === null ? [] : Array.from(priors.subarray(i === 0 ? 0 : (v.priorsEnds[i - 1] as number), v.priorsEnds[i] as number));
    return row as unknown as Strike;
  });
};

/** A view that owns its bytes (copied out of a message buffer that Kafka's client may reuse). */
export const ownedView = (v: StrikeColumnsView): StrikeColumnsView => {
  const own = (r: DoubleRun): DoubleRun => ({ bytes: r.bytes.slice(r.at, r.at + r.count * 8), at: 0, count: r.count });
  return { count: v.count, strike: own(v.strike), columns: v.columns.map((r) => (r === null ? null : own(r))), priorsValues: own(v.priorsValues), priorsEnds: v.priorsEnds };
};

/** A processed record with its strikes as rows or in-memory columns, as the projector keeps it. */
export const columnarOf = (p: ProcessedSnapshot | ProcessedSnapshotV1): ProcessedColumnar =>
  ({ ...p, snapshot: { ...p.snapshot, strikes: viewOfStrikes(p.snapshot.strikes as readonly Strike[] | StrikeColumns) } }) as unknown as ProcessedColumnar;
