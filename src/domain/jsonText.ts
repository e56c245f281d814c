// Owns the first boundary: raw bytes -> size limit -> strict UTF-8 -> JSON, with located errors.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { PathError } from './errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence; -1 when there is none. */
export const firstInvalidUtf8 = (b: Uint8Array): number => {
  let i = 0;
  while (i < b.length) {
    const x = b[i] as number;
    if (x < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (x >= 0xc2 && x <= 0xdf) [need, min] = [1, 0x80];
    else if (x >= 0xe0 && x <= 0xef) [need, min] = [2, 0x800];
    else if (x >= 0xf0 && x <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = x & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const y = b[i + k];
      if (y === undefined || (y & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (y & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
};

/** Bytes to text: over-size and non-UTF-8 payloads are errors, a leading byte-order mark is dropped. */
export const decodeUtf8 = (bytes: Uint8Array, maxBytes: number): Either<PathError[], string> => {
  if (bytes.byteLength > maxBytes) {
    return left([{ path: '$', message: `expected at most ${maxBytes} bytes, got ${bytes.byteLength} (payload too large)` }]);
  }
  try {
    return right(strictUtf8.decode(bytes));
  } catch {
    const at = firstInvalidUtf8(bytes);
    const byte = bytes[at];
    return left([
      {
        path: '$',
        message: `expected UTF-8 text, got an invalid byte${byte === undefined ? '' : ` 0x${byte.toString(16).padStart(2, '0')}`} at byte ${at}`,
      },
    ]);
  }
};

export interface JsonSyntaxError {
  /** UTF-16 offset into the text, as JSON.parse counts. */
  readonly position: number;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * Finds the first syntax error of a text JSON.parse rejected, with a stable wording (V8's changes between versions).
 * Iterative, so hostile nesting cannot overflow the stack.
 */
export const locateJsonSyntaxError = (text: string): JsonSyntaxError => {
  let i = 0;
  const stack: number[] = []; // 0x7b '{' or 0x5b '['
  type State = 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'colon' | 'commaOrEnd' | 'done';
  let state: State = 'value';
  const n = text.length;

  const fail = (position: number, reason: string): JsonSyntaxError => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < position && k < n; k++) {
      if (text.charCodeAt(k) === 0x0a) {
        line++;
        lineStart = k + 1;
      }
    }
    return { position, line, column: position - lineStart + 1, reason };
  };
  const show = (k: number): string => JSON.stringify(text.slice(k, k + 1));

  /** Scans a string starting at the quote; returns the index after it or an error. */
  const scanString = (start: number): number | JsonSyntaxError => {
    let k = start + 1;
    while (k < n) {
      const c = text.charCodeAt(k);
      if (c === 0x22) return k + 1;
      if (c < 0x20) return fail(k, 'control character inside a string (escape it)');
      if (c === 0x5c) {
        const e = text.charCodeAt(k + 1);
        if (k + 1 >= n) break;
        if (e === 0x75) {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(k + 2, k + 6))) return fail(k, 'bad \\u escape (needs 4 hex digits)');
          k += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(text[k + 1] as string)) return fail(k, `bad escape \\${text[k + 1] ?? ''}`);
        k += 2;
        continue;
      }
      k++;
    }
    return fail(n, 'unterminated string');
  };

  const scanNumber = (start: number): number | JsonSyntaxError => {
    let k = start;
    if (text.charCodeAt(k) === 0x2d) k++;
    if (text.startsWith('Infinity', k)) return fail(start, 'Infinity is not valid JSON (numbers must be finite)');
    if (!isDigit(text.charCodeAt(k))) return fail(k, 'expected a digit');
    if (text.charCodeAt(k) === 0x30) k++;
    else while (isDigit(text.charCodeAt(k))) k++;
    if (isDigit(text.charCodeAt(k))) return fail(k, 'leading zeros are not valid JSON');
    if (text.charCodeAt(k) === 0x2e) {
      k++;
      if (!isDigit(text.charCodeAt(k))) return fail(k, 'expected a digit after the decimal point');
      while (isDigit(text.charCodeAt(k))) k++;
    }
    const e = text.charCodeAt(k);
    if (e === 0x65 || e === 0x45) {
      k++;
      const sign = text.charCodeAt(k);
      if (sign === 0x2b || sign === 0x2d) k++;
      if (!isDigit(text.charCodeAt(k))) return fail(k, 'expected a digit in the exponent');
      while (isDigit(text.charCodeAt(k))) k++;
    }
    return k;
  };

  const afterValue = (): State => (stack.length === 0 ? 'done' : 'commaOrEnd');

  if (n === 0 || /^\s*$/.test(text)) return fail(n, 'empty input, expected a JSON value');
  while (true) {
    while (i < n && isWs(text.charCodeAt(i))) i++;
    if (i >= n) {
      if (state === 'done') return fail(n, 'JSON.parse rejected the text but no syntax error was found');
      return fail(n, `unexpected end of input${stack.length > 0 ? ` (${stack.length} unclosed ${stack.length === 1 ? 'bracket' : 'brackets'})` : ''}`);
    }
    const c = text.charCodeAt(i);
    switch (state) {
      case 'done':
        return fail(i, `unexpected ${show(i)} after the end of the JSON value`);
      case 'colon':
        if (c !== 0x3a) return fail(i, `expected ':' after a property name, got ${show(i)}`);
        i++;
        state = 'value';
        continue;
      case 'key':
      case 'keyOrEnd': {
        if (c === 0x7d && state === 'keyOrEnd') {
          stack.pop();
          i++;
          state = afterValue();
          continue;
        }
        if (c !== 0x22) {
          return fail(i, c === 0x7d ? "trailing comma before '}'" : `expected a double-quoted property name, got ${show(i)}`);
        }
        const r = scanString(i);
        if (typeof r !== 'number') return r;
        i = r;
        state = 'colon';
        continue;
      }
      case 'commaOrEnd': {
        const top = stack[stack.length - 1];
        if (c === 0x2c) {
          i++;
          state = top === 0x7b ? 'key' : 'value';
          continue;
        }
        if ((c === 0x7d && top === 0x7b) || (c === 0x5d && top === 0x5b)) {
          stack.pop();
          i++;
          state = afterValue();
          continue;
        }
        return fail(i, `expected ',' or '${top === 0x7b ? '}' : ']'}', got ${show(i)}`);
      }
      case 'value':
      case 'valueOrEnd': {
        if (c === 0x5d && state === 'valueOrEnd') {
          stack.pop();
          i++;
          state = afterValue();
          continue;
        }
        if (c === 0x7b || c === 0x5b) {
          stack.push(c);
          i++;
          state = c === 0x7b ? 'keyOrEnd' : 'valueOrEnd';
          continue;
        }
        if (c === 0x22) {
          const r = scanString(i);
          if (typeof r !== 'number') return r;
          i = r;
          state = afterValue();
          continue;
        }
        if (c === 0x2d || isDigit(c)) {
          const r = scanNumber(i);
          if (typeof r !== 'number') return r;
          i = r;
          state = afterValue();
          continue;
        }
        const word = /^[A-Za-z_]+/.exec(text.slice(i, i + 16))?.[0] ?? '';
        if (word === 'true' || word === 'false' || word === 'null') {
          i += word.length;
          state = afterValue();
          continue;
        }
        if (word === 'NaN' || word === 'Infinity') return fail(i, `${word} is not valid JSON (numbers must be finite)`);
        if (c === 0x5d && stack[stack.length - 1] === 0x5b) return fail(i, "trailing comma before ']'");
        if (c === 0x27) return fail(i, 'single-quoted strings are not valid JSON');
        return fail(i, `expected a JSON value, got ${word !== '' ? JSON.stringify(word) : show(i)}`);
      }
      default: {
        const never: never = state;
        return never;
      }
    }
  }
};

/** Keys of every object in a parsed JSON value: recursive while shallow (twice as fast), iterative below depth 64. */
const countKeys = (root: unknown, depth = 0): number => {
  if (depth > 64) return countKeysIteratively(root);
  let n = 0;
  if (Array.isArray(root)) {
    for (let i = 0; i < root.length; i++) {
      const x: unknown = root[i];
      if (typeof x === 'object' && x !== null) n += countKeys(x, depth + 1);
    }
    return n;
  }
  const o = root as Record<string, unknown>;
  for (const k in o) {
    n++;
    const x = o[k];
    if (typeof x === 'object' && x !== null) n += countKeys(x, depth + 1);
  }
  return n;
};

/** countKeys without recursion, for hostile nesting (JSON.parse accepts more depth than the stack allows). */
const countKeysIteratively = (root: unknown): number => {
  let n = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'object' && x !== null) stack.push(x);
    } else {
      const values = Object.values(v);
      n += values.length;
      for (const x of values) if (typeof x === 'object' && x !== null) stack.push(x);
    }
  }
  return n;
};

const KEY_TOKEN = /"\s*:/g;
const SPACE_BEFORE_COLON = /"\s+:/;

const occurrences = (text: string, needle: string): number => {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
};

/**
 * The first key named twice in one object, located by its path. JSON.parse silently keeps the last value, so a
 * payload with `"spot": 1, ..., "spot": 7000` would mean whatever the last writer wanted: refused instead.
 * Cheap first: every key is followed by a ':', so no more colons than parsed keys means no duplicate; colons inside
 * strings (ISO times) only add to the count, and then the `":` tokens are counted, then the exact scan runs. A single
 * '{' means only the top-level object has keys, so nothing needs walking (bench/duplicateKeys.ts: about +10 % of
 * JSON.parse on a 100-strike classic snapshot, +30 to 50 % on a 100-row option chain).
 */
export const duplicateKeyIssue = (text: string, parsed: unknown): PathError | null => {
  if (typeof parsed !== 'object' || parsed === null) return null;
  const braces = occurrences(text, '{');
  const keys = braces === 0 ? 0 : braces === 1 && !Array.isArray(parsed) ? Object.keys(parsed).length : countKeys(parsed);
  if (occurrences(text, ':') <= keys) return null;
  const tokens = SPACE_BEFORE_COLON.test(text) ? (text.match(KEY_TOKEN)?.length ?? 0) : occurrences(text, '":');
  if (tokens <= keys) return null;
  return locateDuplicateKey(text);
};

/** Scans valid JSON text for a key repeated in the same object. */
export const locateDuplicateKey = (text: string): PathError | null => {
  interface Frame {
    readonly object: boolean;
    readonly keys: Set<string>;
    index: number;
    key: string | null;
  }
  const stack: Frame[] = [];
  const pathOf = (extra: string): string => {
    const parts: Array<string | number> = [];
    for (const f of stack) if (f.object) parts.push(f.key ?? '');
    else parts.push(f.index);
    let out = '';
    for (const p of [...parts.slice(0, -1), extra]) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
    return out;
  };
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top !== undefined && top.object) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) {
          top.key = key;
          return { path: pathOf(key), message: `duplicate key ${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}...` : key)} (a JSON object may name a key once; JSON.parse would keep only the last value)` };
        }
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      stack.push({ object: c === 0x7b, keys: new Set(), index: 0, key: null });
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      const top = stack[stack.length - 1];
      if (top !== undefined) {
        if (top.object) expectKey = true;
        else top.index++;
      }
    }
  }
  return null;
};

/** JSON.parse with a located, version-independent error; a key repeated in one object is an error too. */
export const parseJsonText = (text: string): Either<PathError[], unknown> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    const e = locateJsonSyntaxError(text);
    return left([{ path: '$', message: `invalid JSON at line ${e.line}, column ${e.column} (position ${e.position}): ${e.reason}` }]);
  }
  const dup = duplicateKeyIssue(text, parsed);
  return dup === null ? right(parsed) : left([dup]);
};

export const parseJsonBytes = (bytes: Uint8Array, maxBytes: number): Either<PathError[], unknown> => {
  const text = decodeUtf8(bytes, maxBytes);
  return text._tag === 'Left' ? text : parseJsonText(text.right);
};
