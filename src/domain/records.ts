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

/**
 * json: one object; array: the vendor's history file; jsonl: one value per line; concatenated: values one after the
 * other spanning lines, as `jq .` prints them (pretty-printed objects back to back).
 */
export type FileFormat = 'json' | 'array' | 'jsonl' | 'concatenated';

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Where the text starts: after a UTF-8 byte-order mark (Windows tools write one), which JSON does not allow. */
export const textStart = (b: Buffer): number => (b.length >= 3 && UTF8_BOM.every((x, i) => b[i] === x) ? 3 : 0);

const isUtf16 = (b: Buffer): boolean => b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff));

/**
 * The format of a file: a top-level array is the vendor's history file; several top-level values is JSONL when the
 * first one fits on its line, else concatenated JSON; otherwise one JSON object.
 */
export const detectFormat = (b: Buffer): FileFormat => {
  const i = skipWs(b, textStart(b));
  if (b[i] === OPEN_BRACKET) return 'array';
  const end = i < b.length ? valueEnd(b, i) : -1;
  if (end === -1) return 'json';
  if (skipWs(b, end) >= b.length) return 'json';
  const nl = b.indexOf(NL, i);
  return nl !== -1 && nl < end ? 'concatenated' : 'jsonl';
};

export type RecordPiece = RawRecord | SplitProblem;
export const isProblem = (p: RecordPiece): p is SplitProblem => 'message' in p;

/**
 * Splits a file into records, byte for byte, lazily (a file of millions of records never holds them all as objects).
 * Malformed stretches become problems carrying their bytes, never dropped.
 */
export const scanRecords = (b: Buffer): { format: FileFormat; pieces: Iterable<RecordPiece> } => {
  if (isUtf16(b)) {
    const problem: SplitProblem = { index: 0, line: 1, message: 'the file is UTF-16 text (it starts with a UTF-16 byte-order mark): convert it to UTF-8', bytes: b };
    return { format: 'json', pieces: [problem] };
  }
  const from = textStart(b);
  const format = detectFormat(b);
  switch (format) {
    case 'json':
      return { format, pieces: jsonPieces(b, from) };
    case 'jsonl':
      return { format, pieces: jsonlPieces(b, from) };
    case 'concatenated':
      return { format, pieces: concatenatedPieces(b, from) };
    case 'array':
      return { format, pieces: arrayPieces(b, from) };
    default: {
      const never: never = format;
      return never;
    }
  }
};

function* jsonPieces(b: Buffer, from: number): Generator<RecordPiece> {
  const s = skipWs(b, from);
  if (s < b.length) yield { index: 0, line: lineAt(b, s), bytes: b.subarray(s, b.length) };
}

function* jsonlPieces(b: Buffer, from: number): Generator<RecordPiece> {
  let start = from;
  let line = 1;
  let index = 0;
  while (start <= b.length) {
    let nl = b.indexOf(NL, start);
    if (nl === -1) nl = b.length;
    const s = skipWs(b, start);
    if (s < nl) yield { index: index++, line, bytes: b.subarray(start, nl).subarray(s - start) };
    line++;
    start = nl + 1;
  }
}

/** Values back to back; a stretch that is not an object or array runs to the next line that starts with '{' or '['. */
function* concatenatedPieces(b: Buffer, from: number): Generator<RecordPiece> {
  let i = skipWs(b, from);
  let line = lineAt(b, i);
  let lineFrom = i;
  let index = 0;
  while (i < b.length) {
    line = lineAt(b, i, lineFrom, line);
    lineFrom = i;
    const c = b[i];
    const end = c === OPEN_BRACE || c === OPEN_BRACKET ? valueEnd(b, i) : -2;
    if (end === -1) {
      yield { index, line, message: 'the file ends inside this JSON value (truncated file?)', bytes: b.subarray(i) };
      return;
    }
    if (end === -2) {
      let next = i;
      do next = b.indexOf(NL, next + 1);
      while (next !== -1 && b[next + 1] !== OPEN_BRACE && b[next + 1] !== OPEN_BRACKET);
      const stop = next === -1 ? b.length : next + 1;
      yield { index: index++, line, message: `expected a JSON object, got ${JSON.stringify(b.subarray(i, Math.min(stop, i + 20)).toString('utf8'))}`, bytes: b.subarray(i, stop) };
      i = skipWs(b, stop);
      continue;
    }
    yield { index: index++, line, bytes: b.subarray(i, end) };
    i = skipWs(b, end);
  }
}

function* arrayPieces(b: Buffer, from: number): Generator<RecordPiece> {
  let i = skipWs(b, skipWs(b, from) + 1);
  let line = 1;
  let lineFrom = 0;
  let index = 0;
  while (i < b.length && b[i] !== CLOSE_BRACKET) {
    const end = valueEnd(b, i);
    line = lineAt(b, i, lineFrom, line);
    lineFrom = i;
    if (end === -1) {
      yield { index, line, message: 'the JSON array ends inside this element (truncated file?)', bytes: b.subarray(i) };
      return;
    }
    yield { index: index++, line, bytes: b.subarray(i, end) };
    i = skipWs(b, end);
    if (b[i] === COMMA) i = skipWs(b, i + 1);
    else if (b[i] !== CLOSE_BRACKET && i < b.length) {
      const next = b.indexOf(COMMA, i);
      yield { index, line: lineAt(b, i, lineFrom, line), message: `expected "," or "]" after element ${index - 1}`, bytes: b.subarray(i, next === -1 ? b.length : next) };
      if (next === -1) return;
      i = skipWs(b, next + 1);
    }
  }
  if (i >= b.length) {
    yield { index, line, message: 'the JSON array is not closed with "]" (truncated file?)', bytes: Buffer.alloc(0) };
    return;
  }
  // never dropped silently: whatever follows the array (a second array, as `jq -c` may print) is a problem with its bytes
  const rest = skipWs(b, i + 1);
  if (rest < b.length) yield { index, line: lineAt(b, rest, lineFrom, line), message: 'unexpected content after the end of the JSON array (one array per file)', bytes: b.subarray(rest) };
}

/** scanRecords, collected (small files, tests and benches). */
export const splitRecords = (b: Buffer): { format: FileFormat; records: RawRecord[]; problems: SplitProblem[] } => {
  const { format, pieces } = scanRecords(b);
  const records: RawRecord[] = [];
  const problems: SplitProblem[] = [];
  for (const p of pieces) {
    if (isProblem(p)) problems.push(p);
    else records.push(p);
  }
  return { format, records, problems };
};

const TICKER = /"(?:ticker|market_symbol)"\s*:\s*"([^"\\]{1,32})"/;

/** The ticker of a raw record, for the message key, read without parsing the whole record (the consumer validates it). */
export const peekTicker = (bytes: Buffer): string | undefined =>
  TICKER.exec(bytes.toString('latin1', 0, Math.min(bytes.length, 4096)))?.[1] ?? (bytes.length > 4096 ? TICKER.exec(bytes.toString('latin1'))?.[1] : undefined);
