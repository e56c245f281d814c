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

/** JSON.parse with a located, version-independent error. */
export const parseJsonText = (text: string): Either<PathError[], unknown> => {
  try {
    return right(JSON.parse(text) as unknown);
  } catch {
    const e = locateJsonSyntaxError(text);
    return left([{ path: '$', message: `invalid JSON at line ${e.line}, column ${e.column} (position ${e.position}): ${e.reason}` }]);
  }
};

export const parseJsonBytes = (bytes: Uint8Array, maxBytes: number): Either<PathError[], unknown> => {
  const text = decodeUtf8(bytes, maxBytes);
  return text._tag === 'Left' ? text : parseJsonText(text.right);
};
