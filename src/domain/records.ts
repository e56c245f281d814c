// Owns splitting a file's bytes into snapshot records without re-encoding them: JSON object, JSON array, or JSONL.
export interface RawRecord {
  /** Index in the file (array element or non-empty line), 0-based. */
  readonly index: number;
  /** 1-based line where the record starts, for error messages. */
  readonly line: number;
  readonly bytes: Buffer;
}

export interface SplitProblem {
  readonly index: number;
  readonly line: number;
  readonly message: string;
  /** The bytes that could not be split into records (kept, so they can go to the dead-letter topic). */
  readonly bytes: Buffer;
}

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);
const OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d, QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, NL = 0x0a;

const skipWs = (b: Buffer, i: number): number => {
  while (i < b.length && WS.has(b[i] as number)) i++;
  return i;
};

const lineAt = (b: Buffer, end: number, from = 0, fromLine = 1): number => {
  let line = fromLine;
  for (let i = from; i < end; i++) if (b[i] === NL) line++;
  return line;
};

/** End (exclusive) of the JSON value starting at i, tracking strings and nesting; -1 if the input ends first. */
const valueEnd = (b: Buffer, i: number): number => {
  const first = b[i];
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // a scalar element: up to the next comma or closing bracket at this level
    let j = i;
    if (first === QUOTE) {
      j++;
      while (j < b.length && b[j] !== QUOTE) j += b[j] === BACKSLASH ? 2 : 1;
      return j < b.length ? j + 1 : -1;
    }
    while (j < b.length && b[j] !== COMMA && b[j] !== CLOSE_BRACKET && !WS.has(b[j] as number)) j++;
    return j;
  }
  let depth = 0;
  for (let j = i; j < b.length; j++) {
    const c = b[j];
    if (c === QUOTE) {
      j++;
      while (j < b.length && b[j] !== QUOTE) j += b[j] === BACKSLASH ? 2 : 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
};

export type FileFormat = 'json' | 'array' | 'jsonl';

/**
 * The format of a file: a top-level array is the vendor's history file; several top-level values one per line is JSONL;
 * otherwise one JSON object.
 */
export const detectFormat = (b: Buffer): FileFormat => {
  const i = skipWs(b, 0);
  if (b[i] === OPEN_BRACKET) return 'array';
  const end = i < b.length ? valueEnd(b, i) : -1;
  if (end === -1) return 'json';
  return skipWs(b, end) < b.length ? 'jsonl' : 'json';
};

/** Splits a file into records, byte for byte. Malformed stretches become problems carrying their bytes, never dropped. */
export const splitRecords = (b: Buffer): { format: FileFormat; records: RawRecord[]; problems: SplitProblem[] } => {
  const format = detectFormat(b);
  const records: RawRecord[] = [];
  const problems: SplitProblem[] = [];
  if (format === 'jsonl' || format === 'json') {
    if (format === 'json') {
      const s = skipWs(b, 0);
      if (s < b.length) records.push({ index: 0, line: lineAt(b, s), bytes: b.subarray(s, b.length) });
      return { format, records, problems };
    }
    let start = 0;
    let line = 1;
    let index = 0;
    while (start <= b.length) {
      let nl = b.indexOf(NL, start);
      if (nl === -1) nl = b.length;
      const s = skipWs(b, start);
      if (s < nl) records.push({ index: index++, line, bytes: b.subarray(start, nl).subarray(s - start) });
      line++;
      start = nl + 1;
    }
    return { format, records, problems };
  }
  let i = skipWs(b, skipWs(b, 0) + 1);
  let line = 1;
  let lineFrom = 0;
  let index = 0;
  while (i < b.length && b[i] !== CLOSE_BRACKET) {
    const end = valueEnd(b, i);
    line = lineAt(b, i, lineFrom, line);
    lineFrom = i;
    if (end === -1) {
      problems.push({ index, line, message: 'the JSON array ends inside this element (truncated file?)', bytes: b.subarray(i) });
      return { format, records, problems };
    }
    records.push({ index: index++, line, bytes: b.subarray(i, end) });
    i = skipWs(b, end);
    if (b[i] === COMMA) i = skipWs(b, i + 1);
    else if (b[i] !== CLOSE_BRACKET && i < b.length) {
      const next = b.indexOf(COMMA, i);
      problems.push({ index, line: lineAt(b, i, lineFrom, line), message: `expected "," or "]" after element ${index - 1}`, bytes: b.subarray(i, next === -1 ? b.length : next) });
      if (next === -1) return { format, records, problems };
      i = skipWs(b, next + 1);
    }
  }
  if (i >= b.length) problems.push({ index, line, message: 'the JSON array is not closed with "]" (truncated file?)', bytes: Buffer.alloc(0) });
  return { format, records, problems };
};

const TICKER = /"(?:ticker|market_symbol)"\s*:\s*"([^"\\]{1,32})"/;

/** The ticker of a raw record, for the message key, read without parsing the whole record (the consumer validates it). */
export const peekTicker = (bytes: Buffer): string | undefined =>
  TICKER.exec(bytes.toString('latin1', 0, Math.min(bytes.length, 4096)))?.[1] ?? (bytes.length > 4096 ? TICKER.exec(bytes.toString('latin1'))?.[1] : undefined);
