// Owns the turning of io-ts decode errors into path-precise messages (`strikes[3][1]: expected number, got "abc"`).
import type * as t from 'io-ts';

/** One problem found in an input, located by a JSON path such as `strikes[3][1]`. */
export interface PathError {
  readonly path: string;
  readonly message: string;
}

export const renderPath = (segments: ReadonlyArray<string | number>): string => {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number' || /^\d+$/.test(s)) out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out === '' ? '$' : out;
};

export const describeValue = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return 'an object';
};

const isUnionType = (d: unknown): boolean =>
  typeof d === 'object' && d !== null && (d as { _tag?: unknown })._tag === 'UnionType';

/** Keeps the deepest, most specific error per path; unions report their first branch's expectation. */
export const pathErrors = (errors: t.Errors): PathError[] => {
  const seen = new Map<string, PathError>();
  for (const e of errors) {
    const keys: Array<string | number> = [];
    for (let i = 1; i < e.context.length; i++) {
      const c = e.context[i];
      // A union's branch index is not part of the input's path.
      if (c === undefined || c.key === '' || isUnionType(e.context[i - 1]?.type)) continue;
      keys.push(c.key);
    }
    const last = e.context[e.context.length - 1];
    const expected = e.message ?? `expected ${last?.type.name ?? 'a value'}, got ${describeValue(e.value)}`;
    const path = renderPath(keys);
    if (!seen.has(path)) seen.set(path, { path, message: expected });
  }
  return [...seen.values()];
};

export const formatPathError = (e: PathError): string => `${e.path}: ${e.message}`;

/** Locates errors found inside one element of a larger document, e.g. `[17]` of a history file. */
export const prefixPath = (prefix: string, errors: ReadonlyArray<PathError>): PathError[] =>
  errors.map((e) => ({
    path: e.path === '$' ? prefix : e.path.startsWith('[') ? `${prefix}${e.path}` : `${prefix}.${e.path}`,
    message: e.message,
  }));
export const formatErrors = (errors: t.Errors): string[] => pathErrors(errors).map(formatPathError);
