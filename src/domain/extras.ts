// Owns extras_json: the input fields no decoder reads, kept verbatim (keyed by their input path) for the audit.
import type { PathError } from './errors.js';

/** Depth of a JSON value, counted only up to `limit + 1` so hostile nesting (or a cycle) costs nothing. */
const deeperThan = (v: unknown, limit: number): boolean => {
  if (typeof v !== 'object' || v === null) return false;
  if (limit <= 0) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (deeperThan(x, limit - 1)) return true;
    return false;
  }
  for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k) && deeperThan((v as Record<string, unknown>)[k], limit - 1)) return true;
  return false;
};

/**
 * Renders unknown fields as one JSON object, `{ "<path>": value }`: top-level fields by name, fields of a row by
 * their full path (`strikes[3].iv`). Values nested deeper than `maxDepth` are errors, not kept.
 */
export const renderExtras = (
  fields: ReadonlyArray<readonly [string, unknown]>,
  maxDepth: number,
): { json: string | null; errors: PathError[] } => {
  if (fields.length === 0) return { json: null, errors: [] };
  const errors: PathError[] = [];
  const kept: Array<readonly [string, unknown]> = [];
  for (const [path, value] of fields) {
    if (value === undefined) continue;
    if (deeperThan(value, maxDepth)) {
      errors.push({ path, message: `expected a value nested at most ${maxDepth} levels deep, got deeper nesting` });
      continue;
    }
    if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') {
      errors.push({ path, message: `expected a JSON value, got a ${typeof value}` });
      continue;
    }
    kept.push([path, value]);
  }
  if (errors.length > 0 || kept.length === 0) return { json: null, errors };
  // Object.fromEntries defines own properties, so a "__proto__" key stays data.
  return { json: JSON.stringify(Object.fromEntries(kept)), errors };
};

/** Own top-level fields of `o` that are not in `known`. */
export const unknownFields = (o: Readonly<Record<string, unknown>>, known: ReadonlySet<string>): Array<readonly [string, unknown]> => {
  const out: Array<readonly [string, unknown]> = [];
  for (const k of Object.keys(o)) if (!known.has(k)) out.push([k, o[k]]);
  return out;
};
