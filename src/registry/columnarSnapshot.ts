// Owns the v2 wire format of a snapshot (io.gexstream.v2.ColumnarSnapshot) and of the envelopes that carry it last:
// a hand-rolled Avro codec, because avsc builds a JS array per column and encodes twice when its 1 KiB scratch
// overflows, and because a hop that does not change the snapshot should copy its bytes, not decode them. The bytes are
// exactly avsc's (one block per non-empty array); the reader also accepts what other writers may emit (several blocks,
// negative block counts with a byte size).
import { endianness } from 'node:os';
import { STRIKE_COLUMNS, type ColumnarSnapshot, type StrikeColumnName, type StrikeColumns } from '../domain/strikeColumns.js';
import { DATA_TYPES, MAX_PRIOR_INTERVALS, type Derived, type MaxPriors, type SnapshotKind, type StrikeChange } from '../domain/snapshot.js';
import { avroType, loadSchemas, schemaJson, type AvroJson, type AvroType } from './schemas.js';
import { HEADER_BYTES, MAGIC, unframe } from './wire.js';
import { RegistryError, type Registry } from './registry.js';
import { schemasDir } from '../resources.js';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** A v2 message that is not what its schema says (truncated, a count beyond the bytes, columns of unequal lengths). */
export class ColumnarFormatError extends Error {
  override readonly name = 'ColumnarFormatError';
  readonly retriable = false;
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** A growable byte sink kept between messages: one allocation for the life of an encoder once it has seen the largest. */
export class Sink {
  buf: Buffer;
  pos = 0;
  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }
  /** Room for n more bytes, keeping what is written. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
  long(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    if (n >= -1073741824 && n < 1073741824) {
      let m = n >= 0 ? n << 1 : (~n << 1) | 1;
      while (m > 0x7f) {
        buf[pos++] = (m & 0x7f) | 0x80;
        m >>>= 7;
      }
      buf[pos++] = m;
    } else {
      // past 31 bits: floating arithmetic, exact up to 2^53 (avsc's way)
      let f = n >= 0 ? n * 2 : -n * 2 - 1;
      while (f >= 128) {
        buf[pos++] = (f % 128) | 0x80;
        f = Math.floor(f / 128);
      }
      buf[pos++] = f;
    }
    this.pos = pos;
  }
  double(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.pos);
    this.pos += 8;
  }
  string(s: string): void {
    // short ASCII strings (tickers, kinds, notes) byte by byte; anything else through Buffer's UTF-8 writer
    const n = s.length;
    if (n < 64) {
      let ascii = true;
      for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) { ascii = false; break; }
      if (ascii) {
        this.long(n);
        this.ensure(n);
        const buf = this.buf;
        let pos = this.pos;
        for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
        this.pos = pos;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.long(len);
    this.ensure(len);
    this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }
  nullableDouble(d: number | null): void {
    if (d === null) this.long(0);
    else {
      this.long(1);
      this.double(d);
    }
  }
  /** An array of doubles as one block (count, the values, 0); an empty array is just the 0. */
  doubles(xs: Float64Array, count = xs.length): void {
    if (count > 0) {
      this.long(count);
      this.ensure(count * 8);
      if (LITTLE_ENDIAN_HOST) {
        // the column's own bytes are the Avro bytes: one copy
        this.buf.set(new Uint8Array(xs.buffer, xs.byteOffset, count * 8), this.pos);
        this.pos += count * 8;
      } else for (let i = 0; i < count; i++) this.double(xs[i]!);
    }
    this.long(0);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /**
   * What is written, copied out of the sink into a slice of a shared 1 MiB slab (Node's own pool does that for small
   * buffers only): a fresh ArrayBuffer per 8 KiB message costs more than encoding it. A slab lives as long as any of
   * its messages.
   */
  copyOut(): Buffer {
    const n = this.pos;
    if (this.slabAt + n > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, n));
      this.slabAt = 0;
    }
    const out = this.slab.subarray(this.slabAt, this.slabAt + n);
    this.buf.copy(out, 0, 0, n);
    this.slabAt += (n + 7) & ~7;
    return out;
  }
  private slab: Buffer = Buffer.alloc(0);
  private slabAt = 0;
}

const SLAB_BYTES = 1024 * 1024;

const DATA_TYPE_INDEX = new Map<string, number>(DATA_TYPES.map((d, i) => [d, i]));

const writeStrikeChange = (w: Sink, c: StrikeChange | null | undefined): void => {
  if (c === null || c === undefined) w.long(0);
  else {
    w.long(1);
    w.double(c.strike);
    w.double(c.change);
  }
};

const writeColumns = (w: Sink, s: StrikeColumns): void => {
  const count = s.count;
  if (s.strike.length < count) throw new Error(`strikes.strike: ${s.strike.length} values for ${count} strikes`);
  w.doubles(s.strike, count);
  for (const c of STRIKE_COLUMNS) {
    const col = s.columns[c];
    if (col === null) w.long(0);
    else {
      if (col.length < count) throw new Error(`strikes.${c}: ${col.length} values for ${count} strikes`);
      w.long(1);
      w.doubles(col, count);
    }
  }
  w.doubles(s.priorsValues, s.priorsValues.length);
  const ends = s.priorsEnds;
  if (ends === null || count === 0) w.long(0);
  else {
    w.long(count);
    for (let i = 0; i < count; i++) w.long(ends[i]!);
    w.long(0);
  }
};

/** Appends the Avro binary of a ColumnarSnapshot to the sink. */
export const writeSnapshot = (w: Sink, s: ColumnarSnapshot): void => {
  w.string(s.ticker);
  w.string(s.kind);
  if (s.category === null) w.long(0);
  else {
    w.long(1);
    w.string(s.category);
  }
  const dt = DATA_TYPE_INDEX.get(s.data_type);
  if (dt === undefined) throw new Error(`data_type: ${String(s.data_type)} is not one of ${DATA_TYPES.join(', ')}`);
  w.long(dt);
  w.long(s.timestamp_ms);
  w.nullableDouble(s.spot);
  for (const v of [s.min_dte, s.sec_min_dte]) {
    if (v === null) w.long(0);
    else {
      w.long(1);
      w.long(v);
    }
  }
  w.nullableDouble(s.zero_gamma);
  w.nullableDouble(s.major_pos_vol);
  w.nullableDouble(s.major_pos_oi);
  w.nullableDouble(s.major_neg_vol);
  w.nullableDouble(s.major_neg_oi);
  w.nullableDouble(s.major_positive);
  w.nullableDouble(s.major_negative);
  w.nullableDouble(s.major_long_gamma);
  w.nullableDouble(s.major_short_gamma);
  w.nullableDouble(s.sum_gex_vol);
  w.nullableDouble(s.sum_gex_oi);
  w.nullableDouble(s.net_gex_vol);
  w.nullableDouble(s.net_gex_oi);
  w.nullableDouble(s.delta_risk_reversal);
  const mp = s.max_priors;
  if (mp === null) w.long(0);
  else {
    w.long(1);
    for (const k of MAX_PRIOR_INTERVALS) writeStrikeChange(w, mp[k]);
  }
  writeColumns(w, s.strikes);
  const of = s.orderflow;
  if (of === null) w.long(0);
  else {
    w.long(1);
    const keys = Object.keys(of);
    if (keys.length > 0) {
      w.long(keys.length);
      for (const k of keys) {
        w.string(k);
        w.double(of[k]!);
      }
    }
    w.long(0);
  }
  if (s.extras_json === null) w.long(0);
  else {
    w.long(1);
    w.string(s.extras_json);
  }
  const d = s.derived;
  if (d === null) w.long(0);
  else {
    w.long(1);
    w.string(d.convention);
    w.string(d.unit);
    w.nullableDouble(d.net_gex);
    w.nullableDouble(d.net_gex_vol);
    w.nullableDouble(d.net_gex_oi);
    w.nullableDouble(d.major_pos_vol);
    w.nullableDouble(d.major_neg_vol);
    w.nullableDouble(d.major_pos_oi);
    w.nullableDouble(d.major_neg_oi);
    w.nullableDouble(d.zero_gamma);
    w.nullableDouble(d.total_call_oi);
    w.nullableDouble(d.total_put_oi);
    w.nullableDouble(d.total_volume);
    w.double(d.quality_score);
    const notes = d.quality_notes;
    if (notes.length > 0) {
      w.long(notes.length);
      for (const n of notes) w.string(n);
    }
    w.long(0);
  }
};

/** The Avro binary of a ColumnarSnapshot alone (tests, benches; the hot paths write into a framed sink). */
export const encodeSnapshot = (s: ColumnarSnapshot): Buffer => {
  const w = new Sink(4096);
  writeSnapshot(w, s);
  return Buffer.from(w.buf.subarray(0, w.pos));
};

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** A cursor over Avro binary with bounds checks; every error names the field being read. */
class Cursor {
  constructor(readonly buf: Buffer, public pos: number) {}
  fail(path: string, message: string): never {
    throw new ColumnarFormatError(path, message);
  }
  long(path: string): number {
    const buf = this.buf;
    let pos = this.pos;
    let b = 0;
    let n = 0;
    let shift = 0;
    // up to 28 bits with integer arithmetic, beyond with floating (exact to 2^53)
    do {
      if (pos >= buf.length) this.fail(path, 'truncated (the message ends inside a number)');
      b = buf[pos++]!;
      if (shift < 28) n |= (b & 0x7f) << shift;
      else n += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 63) this.fail(path, 'a variable-length number longer than 10 bytes');
    } while (b & 0x80);
    this.pos = pos;
    // zig-zag
    if (shift <= 28) return (n >>> 1) ^ -(n & 1);
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
  int(path: string): number {
    const n = this.long(path);
    if (n < -2147483648 || n > 2147483647) this.fail(path, `${n} is out of the int range`);
    return n;
  }
  double(path: string): number {
    if (this.pos + 8 > this.buf.length) this.fail(path, 'truncated (the message ends inside a double)');
    const d = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return d;
  }
  string(path: string): string {
    const len = this.long(path);
    if (len < 0 || this.pos + len > this.buf.length) this.fail(path, `a string of ${len} bytes past the end of the message`);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  skipString(path: string): void {
    const len = this.long(path);
    if (len < 0 || this.pos + len > this.buf.length) this.fail(path, `a string of ${len} bytes past the end of the message`);
    this.pos += len;
  }
  branch(path: string, branches: number): number {
    const i = this.long(path);
    if (i < 0 || i >= branches) this.fail(path, `union branch ${i} of ${branches}`);
    return i;
  }
  nullableDouble(path: string): number | null {
    return this.branch(path, 2) === 0 ? null : this.double(path);
  }
  /** The next block's item count (0 ends the array); a negative count is followed by the block's size in bytes. */
  blockCount(path: string): number {
    let n = this.long(path);
    if (n < 0) {
      n = -n;
      this.long(path);
    }
    return n;
  }
  /**
   * The blocks of an array of doubles as [byte offset, count] pairs and the total count, checked against the bytes
   * there are (a count beyond the message never allocates).
   */
  doubleBlocks(path: string): { total: number; blocks: number[] } {
    const blocks: number[] = [];
    let total = 0;
    for (;;) {
      const n = this.blockCount(path);
      if (n === 0) return { total, blocks };
      if (this.pos + n * 8 > this.buf.length) this.fail(path, `${n} doubles past the end of the message`);
      blocks.push(this.pos, n);
      total += n;
      this.pos += n * 8;
    }
  }
  doubles(path: string): Float64Array {
    if (LITTLE_ENDIAN_HOST) {
      // the usual shape, one block then the end: one allocation and one native copy, no block list
      const start = this.pos;
      const n = this.long(path);
      if (n > 0) {
        const from = this.pos;
        if (from + n * 8 > this.buf.length) this.fail(path, `${n} doubles past the end of the message`);
        if (this.buf[from + n * 8] === 0) {
          const out = new Float64Array(n);
          // doubles sit unaligned in the message: their bytes go into the array's own (aligned) buffer
          this.buf.copy(new Uint8Array(out.buffer), 0, from, from + n * 8);
          this.pos = from + n * 8 + 1;
          return out;
        }
      } else if (n === 0) return new Float64Array(0);
      this.pos = start;
    }
    const { total, blocks } = this.doubleBlocks(path);
    const out = new Float64Array(total);
    if (LITTLE_ENDIAN_HOST) {
      const bytes = new Uint8Array(out.buffer);
      let at = 0;
      for (let k = 0; k < blocks.length; k += 2) {
        const from = blocks[k]!;
        const n = blocks[k + 1]!;
        this.buf.copy(bytes, at, from, from + n * 8);
        at += n * 8;
      }
    } else {
      let at = 0;
      for (let k = 0; k < blocks.length; k += 2) for (let i = 0; i < blocks[k + 1]!; i++) out[at++] = this.buf.readDoubleLE(blocks[k]! + i * 8);
    }
    return out;
  }
  /** An array of ints straight into an Int32Array, sized for `expected` items (grown if there are more). */
  ints(path: string, expected: number): Int32Array {
    let out = new Int32Array(expected);
    let len = 0;
    for (;;) {
      const n = this.blockCount(path);
      if (n === 0) return len === out.length ? out : out.slice(0, len);
      // an int takes at least one byte
      if (this.pos + n > this.buf.length) this.fail(path, `${n} ints past the end of the message`);
      if (len + n > out.length) {
        const grown = new Int32Array(Math.max(out.length * 2, len + n));
        grown.set(out.subarray(0, len));
        out = grown;
      }
      for (let i = 0; i < n; i++) out[len++] = this.int(path);
    }
  }
}

/** The scalar fields a hop routes and accounts by, read without touching the strikes. */
export interface SnapshotHead {
  readonly ticker: string;
  readonly kind: string;
  readonly category: string | null;
  readonly dataType: (typeof DATA_TYPES)[number];
  readonly timestampMs: number;
}

const readHead = (c: Cursor): SnapshotHead => {
  const ticker = c.string('snapshot.ticker');
  const kind = c.string('snapshot.kind');
  const category = c.branch('snapshot.category', 2) === 0 ? null : c.string('snapshot.category');
  const dt = c.int('snapshot.data_type');
  const dataType = DATA_TYPES[dt];
  if (dataType === undefined) c.fail('snapshot.data_type', `enum index ${dt} of ${DATA_TYPES.length}`);
  const timestampMs = c.long('snapshot.timestamp_ms');
  return { ticker, kind, category, dataType, timestampMs };
};

const SCALARS_AFTER_HEAD = ['spot', 'min_dte', 'sec_min_dte', 'zero_gamma', 'major_pos_vol', 'major_pos_oi', 'major_neg_vol', 'major_neg_oi', 'major_positive', 'major_negative', 'major_long_gamma', 'major_short_gamma', 'sum_gex_vol', 'sum_gex_oi', 'net_gex_vol', 'net_gex_oi', 'delta_risk_reversal'] as const;
type Scalars = { -readonly [K in (typeof SCALARS_AFTER_HEAD)[number]]: number | null };

const readScalars = (c: Cursor): Scalars => {
  const out = {} as Scalars;
  for (const f of SCALARS_AFTER_HEAD) {
    const path = `snapshot.${f}`;
    if (c.branch(path, 2) === 0) out[f] = null;
    else out[f] = f === 'min_dte' || f === 'sec_min_dte' ? c.int(path) : c.double(path);
  }
  return out;
};

const readMaxPriors = (c: Cursor): MaxPriors | null => {
  if (c.branch('snapshot.max_priors', 2) === 0) return null;
  const out = {} as MaxPriors;
  for (const k of MAX_PRIOR_INTERVALS) {
    const path = `snapshot.max_priors.${k}`;
    out[k] = c.branch(path, 2) === 0 ? null : { strike: c.double(`${path}.strike`), change: c.double(`${path}.change`) };
  }
  return out;
};

const readPriorsEnds = (c: Cursor, count: number, priors: number): Int32Array | null => {
  const ends = c.ints('snapshot.strikes.priors_ends', count);
  if (ends.length === 0) {
    if (priors > 0) c.fail('snapshot.strikes.priors_ends', `empty, but priors_values holds ${priors} values`);
    return null;
  }
  if (ends.length !== count) c.fail('snapshot.strikes.priors_ends', `${ends.length} ends for ${count} strikes`);
  let prev = 0;
  for (let i = 0; i < count; i++) {
    const e = ends[i]!;
    if (e < prev || e > priors) c.fail(`snapshot.strikes.priors_ends[${i}]`, `${e} is not between ${prev} and ${priors}`);
    prev = e;
  }
  if (prev !== priors) c.fail('snapshot.strikes.priors_ends', `the last end ${prev} is not the ${priors} priors values`);
  return ends;
};

const readColumns = (c: Cursor): StrikeColumns => {
  const strike = c.doubles('snapshot.strikes.strike');
  const count = strike.length;
  const columns = {} as { [K in StrikeColumnName]: Float64Array | null };
  for (const name of STRIKE_COLUMNS) {
    const path = `snapshot.strikes.${name}`;
    if (c.branch(path, 2) === 0) columns[name] = null;
    else {
      const col = c.doubles(path);
      if (col.length !== count) c.fail(path, `${col.length} values for ${count} strikes`);
      columns[name] = col;
    }
  }
  const priorsValues = c.doubles('snapshot.strikes.priors_values');
  const priorsEnds = readPriorsEnds(c, count, priorsValues.length);
  return { count, strike, columns, priorsValues, priorsEnds };
};

const readOrderflow = (c: Cursor): Record<string, number> | null => {
  if (c.branch('snapshot.orderflow', 2) === 0) return null;
  const out: Record<string, number> = {};
  for (;;) {
    const n = c.blockCount('snapshot.orderflow');
    if (n === 0) return out;
    for (let i = 0; i < n; i++) {
      const k = c.string('snapshot.orderflow');
      out[k] = c.double(`snapshot.orderflow.${k}`);
    }
  }
};

const DERIVED_DOUBLES = ['net_gex', 'net_gex_vol', 'net_gex_oi', 'major_pos_vol', 'major_neg_vol', 'major_pos_oi', 'major_neg_oi', 'zero_gamma', 'total_call_oi', 'total_put_oi', 'total_volume'] as const;

const readDerived = (c: Cursor): Derived | null => {
  if (c.branch('snapshot.derived', 2) === 0) return null;
  const d = { convention: c.string('snapshot.derived.convention'), unit: c.string('snapshot.derived.unit') } as Derived;
  for (const f of DERIVED_DOUBLES) d[f] = c.nullableDouble(`snapshot.derived.${f}`);
  d.quality_score = c.double('snapshot.derived.quality_score');
  const notes: string[] = [];
  for (;;) {
    const n = c.blockCount('snapshot.derived.quality_notes');
    if (n === 0) break;
    for (let i = 0; i < n; i++) notes.push(c.string(`snapshot.derived.quality_notes[${notes.length}]`));
  }
  d.quality_notes = notes;
  return d;
};

/** Decodes a whole ColumnarSnapshot at `pos`: its columns as Float64Arrays. Throws ColumnarFormatError naming the field. */
export const decodeSnapshot = (buf: Buffer, pos = 0): { snapshot: ColumnarSnapshot; end: number } => {
  const c = new Cursor(buf, pos);
  const head = readHead(c);
  const scalars = readScalars(c);
  const max_priors = readMaxPriors(c);
  const strikes = readColumns(c);
  const orderflow = readOrderflow(c);
  const extras_json = c.branch('snapshot.extras_json', 2) === 0 ? null : c.string('snapshot.extras_json');
  const derived = readDerived(c);
  const snapshot: ColumnarSnapshot = {
    ticker: head.ticker,
    kind: head.kind as SnapshotKind,
    category: head.category,
    data_type: head.dataType,
    timestamp_ms: head.timestampMs,
    ...scalars,
    max_priors,
    strikes,
    orderflow,
    extras_json,
    derived,
  };
  return { snapshot, end: c.pos };
};

/** The scalar prefix of a snapshot at `pos` (ticker, kind, category, data type, time): a few bytes read, nothing else. */
export const readSnapshotHead = (buf: Buffer, pos = 0): SnapshotHead => readHead(new Cursor(buf, pos));

/** What a hop that passes a snapshot on needs to know of it, learnt by walking its bytes without building columns. */
export interface SnapshotScan extends SnapshotHead {
  /** Number of strikes. */
  readonly count: number;
  /** Strikes strictly ascending (what normalising would leave as is). */
  readonly ascending: boolean;
  /** derived.quality_score, or null when the snapshot has no derived metrics. */
  readonly qualityScore: number | null;
  /** Offset just past the snapshot. */
  readonly end: number;
}

/**
 * Walks a whole snapshot at `pos`, checking its structure as decodeSnapshot does (so bytes passed on unread are
 * well-formed), but building nothing: columns are skipped by their counts.
 */
export const scanSnapshot = (buf: Buffer, pos = 0): SnapshotScan => {
  const c = new Cursor(buf, pos);
  const head = readHead(c);
  readScalars(c);
  readMaxPriors(c);
  // strike: walked in place to see whether it is ascending
  const { total: count, blocks } = c.doubleBlocks('snapshot.strikes.strike');
  let ascending = true;
  let prev = 0;
  let first = true;
  for (let k = 0; k < blocks.length && ascending; k += 2)
    for (let i = 0, at = blocks[k]!; i < blocks[k + 1]!; i++, at += 8) {
      const v = buf.readDoubleLE(at);
      // as normalise compares: an equal or lower strike after another is out of order
      if (!first && prev >= v) {
        ascending = false;
        break;
      }
      first = false;
      prev = v;
    }
  for (const name of STRIKE_COLUMNS) {
    const path = `snapshot.strikes.${name}`;
    if (c.branch(path, 2) === 0) continue;
    const n = c.doubleBlocks(path).total;
    if (n !== count) c.fail(path, `${n} values for ${count} strikes`);
  }
  const priors = c.doubleBlocks('snapshot.strikes.priors_values').total;
  readPriorsEnds(c, count, priors);
  readOrderflow(c);
  if (c.branch('snapshot.extras_json', 2) === 1) c.skipString('snapshot.extras_json');
  const derived = readDerived(c);
  return { ...head, count, ascending, qualityScore: derived === null ? null : derived.quality_score, end: c.pos };
};

// ---------------------------------------------------------------------------------------------------------------
// Envelopes: the v1 envelope's fields through avsc (a record type of every field but the snapshot), then the snapshot.

let localSnapshotType: AvroType | undefined;
/** io.gexstream.v2.ColumnarSnapshot as shipped in schemas/: the layout this codec reads and writes. */
export const columnarSnapshotType = (): AvroType => (localSnapshotType ??= avroType(schemaJson(loadSchemas(schemasDir), 'io.gexstream.v2.ColumnarSnapshot')));

/** How a v2 envelope schema splits: its fields but the last (`snapshot`) as an avsc type, and whether the snapshot is the layout this codec knows. */
export interface EnvelopeLayout {
  readonly prefix: AvroType;
  /** False when the writer's snapshot is not io.gexstream.v2.ColumnarSnapshot as shipped, or not the last field. */
  readonly known: boolean;
}

export const envelopeLayout = (schema: AvroJson): EnvelopeLayout => {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || !Array.isArray(schema['fields'])) throw new Error('an envelope schema is a record');
  const fields = schema['fields'] as Array<{ [k: string]: AvroJson }>;
  const last = fields[fields.length - 1];
  const prefix = avroType({ ...schema, fields: fields.slice(0, -1) });
  if (!last || last['name'] !== 'snapshot') return { prefix: avroType(schema), known: false };
  const full = avroType(schema) as unknown as { getField(n: string): { getType(): AvroType } };
  return { prefix, known: full.getField('snapshot').getType().equals(columnarSnapshotType()) };
};

/** Encodes v2 envelopes framed with a schema id: the envelope's fields, then the snapshot, into one reused scratch. */
export interface EnvelopeEncoder<E> {
  readonly schemaId: number;
  /** Envelope fields, then the snapshot encoded from its columns. */
  readonly encode: (envelope: E, snapshot: ColumnarSnapshot) => Buffer;
  /** Envelope fields, then a snapshot's Avro bytes copied as they are (a hop that does not change the snapshot). */
  readonly encodeWithSnapshotBytes: (envelope: E, snapshot: Uint8Array) => Buffer;
}

export const createEnvelopeEncoder = <E>(schemaId: number, schema: AvroJson, initialBytes = 64 * 1024): EnvelopeEncoder<E> => {
  const layout = envelopeLayout(schema);
  if (!layout.known) throw new Error(`schema id ${schemaId} is not a v2 envelope with io.gexstream.v2.ColumnarSnapshot as its last field \`snapshot\``);
  const prefix = layout.prefix;
  const w = new Sink(initialBytes);
  const start = (envelope: E): void => {
    w.pos = 0;
    w.buf[0] = MAGIC;
    w.buf.writeUInt32BE(schemaId, 1);
    for (;;) {
      const pos = prefix.encode(envelope, w.buf, HEADER_BYTES);
      if (pos >= 0) {
        w.pos = pos;
        return;
      }
      // avsc returns minus the bytes missing
      w.pos = HEADER_BYTES;
      w.ensure(w.buf.length - pos);
    }
  };
  return {
    schemaId,
    encode: (envelope, snapshot) => {
      start(envelope);
      writeSnapshot(w, snapshot);
      return w.copyOut();
    },
    encodeWithSnapshotBytes: (envelope, snapshot) => {
      start(envelope);
      w.bytes(snapshot);
      return w.copyOut();
    },
  };
};

/** A decoded envelope prefix, and where its snapshot's bytes begin in `bytes`. */
export interface EnvelopeHead<E> {
  readonly schemaId: number;
  readonly envelope: E;
  /**
   * The message (framed) in the layout this codec reads: the message itself, or, when its writer's schema is another
   * version (a field added, say), its value resolved to the shipped schema and encoded again.
   */
  readonly bytes: Buffer;
  readonly snapshotAt: number;
}

/** Decodes an envelope's prefix with the writer's layout; throws ColumnarFormatError for bytes that do not fit it. */
export const decodeEnvelopeWith = <E>(layout: EnvelopeLayout, schemaId: number, buf: Buffer): EnvelopeHead<E> => {
  if (!layout.known) throw new ColumnarFormatError('$', `schema id ${schemaId} does not carry io.gexstream.v2.ColumnarSnapshot as its last field \`snapshot\``);
  unframe(buf);
  let r: { value: unknown; offset: number };
  try {
    r = layout.prefix.decode(buf, HEADER_BYTES) as { value: unknown; offset: number };
  } catch (err) {
    throw new ColumnarFormatError('$', `envelope: ${(err as Error).message}`);
  }
  if (r.offset < 0) throw new ColumnarFormatError('$', 'truncated envelope');
  return { schemaId, envelope: r.value as E, bytes: buf, snapshotAt: r.offset };
};

/** A snapshot as avsc gives it (columns as plain arrays) as columns. */
const columnarOfAvsc = (v: Record<string, unknown>): ColumnarSnapshot => {
  const st = v['strikes'] as Record<string, number[] | null>;
  const strike = Float64Array.from(st['strike'] ?? []);
  const columns = {} as { [K in StrikeColumnName]: Float64Array | null };
  for (const c of STRIKE_COLUMNS) columns[c] = st[c] ? Float64Array.from(st[c]) : null;
  const ends = st['priors_ends'] ?? [];
  return { ...(v as unknown as ColumnarSnapshot), strikes: { count: strike.length, strike, columns, priorsValues: Float64Array.from(st['priors_values'] ?? []), priorsEnds: ends.length > 0 ? Int32Array.from(ends) : null } };
};

/**
 * A message whose writer's schema is not the shipped layout (another version of the envelope or the snapshot):
 * resolved by Avro's rules to the shipped schema of the same name (avsc), then encoded again in the shipped layout.
 * Refused (ColumnarFormatError) when no shipped schema has that name or the two cannot be resolved.
 */
const resolveToShipped = <E>(writer: AvroType, schemaId: number, buf: Buffer): EnvelopeHead<E> => {
  const name = (writer as unknown as { name?: string }).name ?? '';
  const shipped = shippedEnvelope(name);
  if (!shipped) throw new ColumnarFormatError('$', `schema id ${schemaId} (${name || 'unnamed'}) is not a v2 envelope this build knows`);
  const { reader, encoder } = shipped;
  let value: Record<string, unknown>;
  try {
    value = reader.fromBuffer(unframe(buf).body, reader.createResolver(writer)) as Record<string, unknown>;
  } catch (err) {
    throw new ColumnarFormatError('$', `schema id ${schemaId} does not resolve to the shipped ${name}: ${(err as Error).message}`);
  }
  const snapshot = columnarOfAvsc(value['snapshot'] as Record<string, unknown>);
  const bytes = encoder.encode(value, snapshot);
  // the header keeps the writer's id: the bytes say which message they stand for
  bytes.writeUInt32BE(schemaId, 1);
  return decodeEnvelopeWith<E>(shipped.layout, schemaId, bytes);
};

interface Shipped {
  readonly schema: AvroJson;
  readonly reader: AvroType;
  readonly layout: EnvelopeLayout;
  readonly encoder: EnvelopeEncoder<unknown>;
}
const shippedByName = new Map<string, Shipped | null>();
/** The shipped v2 envelope schema of that full name, with its avsc type, layout and an encoder (built once). */
const shippedEnvelope = (name: string): Shipped | null => {
  let s = shippedByName.get(name);
  if (s === undefined) {
    const set = loadSchemas(schemasDir);
    if (!name.startsWith('io.gexstream.v2.') || !set.schemas.has(name) || set.typeNames.includes(name)) s = null;
    else {
      const schema = schemaJson(set, name);
      s = { schema, reader: avroType(schema), layout: envelopeLayout(schema), encoder: createEnvelopeEncoder<unknown>(0, schema, 16 * 1024) };
    }
    shippedByName.set(name, s);
  }
  return s;
};

/** The v2 codecs bound to a registry: an encoder per subject (its latest schema), and envelope decoding by writer schema id. */
export interface V2Wire {
  readonly encoder: <E>(subject: string) => Promise<EnvelopeEncoder<E>>;
  /** The envelope's prefix with the writer's schema (fetched by id, cached); registry outages throw retriable errors. */
  readonly decodeEnvelope: <E>(buf: Buffer) => Promise<EnvelopeHead<E>>;
}

export const v2Wire = (registry: Registry): V2Wire => {
  const layouts = new Map<number, Promise<EnvelopeLayout & { writer: AvroType }>>();
  const layoutOf = (id: number): Promise<EnvelopeLayout & { writer: AvroType }> => {
    let l = layouts.get(id);
    if (!l) {
      l = registry.typeById(id).then((t) => ({ ...envelopeLayout(t.schema() as AvroJson), writer: t }));
      l.catch(() => layouts.delete(id));
      layouts.set(id, l);
    }
    return l;
  };
  return {
    encoder: async <E>(subject: string) => {
      const l = await registry.latest(subject);
      // retriable as registry.encoder says: a registry reloading after a restart lists only some subjects for a while
      if (!l) throw new RegistryError(`no schema registered for subject ${subject}; run \`gexstream schemas register\``, { retriable: true });
      return createEnvelopeEncoder<E>(l.id, l.schema);
    },
    decodeEnvelope: async <E>(buf: Buffer) => {
      const { schemaId } = unframe(buf);
      const layout = await layoutOf(schemaId);
      return layout.known ? decodeEnvelopeWith<E>(layout, schemaId, buf) : resolveToShipped<E>(layout.writer, schemaId, buf);
    },
  };
};
