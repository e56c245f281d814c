// Owns the order-independent content checksum of a table: the reference the DuckDB edge and the Parquet audit are compared with.
import { TABLES, type Cell, type TableName } from './tables.js';

export interface TableChecksum {
  readonly rows: number;
  /** Sum modulo 2^64 of each row's FNV-1a 64, as 16 lowercase hex digits. */
  readonly sum: string;
}

/** A running FNV-1a 64 as two unsigned 32-bit halves (no BigInt on the hot path). */
interface Fnv {
  hi: number;
  lo: number;
}

const fnvInit = (): Fnv => ({ hi: 0xcbf29ce4, lo: 0x84222325 });

// prime = 2^40 + 0x1b3: h * prime = h * 0x1b3 + (h << 40), and h << 40 only touches the high half (lo << 8).
const fnvByte = (h: Fnv, byte: number): void => {
  const x = (h.lo ^ byte) >>> 0;
  const loMul = x * 0x1b3; // < 2^41: exact in a double
  const carry = Math.floor(loMul / 0x100000000);
  h.hi = (Math.imul(h.hi, 0x1b3) + (x << 8) + carry) >>> 0;
  h.lo = loMul >>> 0;
};

const fnvBytes = (h: Fnv, bytes: Uint8Array): void => {
  for (let i = 0; i < bytes.length; i++) fnvByte(h, bytes[i] as number);
};

const utf8 = new TextEncoder();

const hex = (hi: number, lo: number): string => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');

/** FNV-1a 64 of bytes, as 16 hex digits. */
export const fnv1a64 = (bytes: Uint8Array): string => {
  const h = fnvInit();
  fnvBytes(h, bytes);
  return hex(h.hi, h.lo);
};

/**
 * Equal values give equal text whatever their origin: integral numbers (and bigints, as DuckDB returns BIGINT) in
 * plain decimal, -0 as 0, other doubles by their shortest round-trip form. Every cell is tagged and length-prefixed,
 * so no two different rows serialise alike.
 */
const numberText = (v: number): string => `n${Number.isInteger(v) ? BigInt(v).toString() : String(v)}`;

/** A list (DOUBLE[]) is its elements' texts, each as a number cell is (null as N), in order. */
const cellText = (v: Cell | bigint | undefined): string | Uint8Array => {
  if (v === null || v === undefined) return 'N';
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'bigint') return `n${v.toString()}`;
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'string') return `s${v}`;
  if (Array.isArray(v)) return `l${(v as readonly (number | null)[]).map((x) => (x === null ? 'N' : numberText(x))).join(';')}`;
  return v as Uint8Array;
};

const feedCell = (h: Fnv, v: Cell | bigint | undefined): void => {
  const t = cellText(v);
  const bytes = typeof t === 'string' ? utf8.encode(t) : t;
  if (typeof t !== 'string') fnvByte(h, 0x62); // 'b': a blob, not text that happens to match
  fnvBytes(h, utf8.encode(`${bytes.length}:`));
  fnvBytes(h, bytes);
};

/** The hash of one row: its cells in the table's declared column order (a missing column counts as NULL). */
export const rowHash = (table: TableName, row: Readonly<Record<string, Cell | bigint>>): { hi: number; lo: number } => {
  const h = fnvInit();
  for (const c of TABLES[table].columns) feedCell(h, row[c.name]);
  return h;
};

export const tableChecksum = (table: TableName, rows: Iterable<Readonly<Record<string, Cell | bigint>>>): TableChecksum => {
  let hi = 0;
  let lo = 0;
  let n = 0;
  for (const r of rows) {
    const h = rowHash(table, r);
    const sumLo = lo + h.lo;
    lo = sumLo >>> 0;
    hi = (hi + h.hi + (sumLo >= 0x100000000 ? 1 : 0)) >>> 0;
    n++;
  }
  return { rows: n, sum: hex(hi, lo) };
};

export const formatChecksum = (c: TableChecksum): string => `${c.rows}:${c.sum}`;
