// Owns the error collection of the hand-written row decoders: io-ts errors with exact paths, at most a bounded number.
import * as t from 'io-ts';
import { describeValue } from './errors.js';

/**
 * Row arrays are decoded by loops rather than combinators (several times faster on 100+ rows);
 * this keeps their errors in io-ts form so they render like every other path (`strikes[3][1]`).
 * Decoders collect one more than they may report, so the caller can tell the list was cut and say so.
 */
export class RowProblems {
  readonly errors: t.ValidationError[] = [];

  constructor(
    private readonly context: t.Context,
    private readonly max: number,
  ) {}

  get full(): boolean {
    return this.errors.length >= this.max;
  }

  get any(): boolean {
    return this.errors.length > 0;
  }

  add(value: unknown, keys: ReadonlyArray<string | number>, message: string): void {
    if (this.errors.length >= this.max) return;
    const context = this.context.concat(keys.map((k) => ({ key: String(k), type: t.unknown, actual: undefined })));
    this.errors.push({ value, context, message });
  }
}

/** Reads a list of priors (finite numbers); null after recording the problems. */
export const readNumberList = (
  u: unknown,
  keys: ReadonlyArray<string | number>,
  max: number,
  problems: RowProblems,
): number[] | null => {
  if (!Array.isArray(u)) {
    problems.add(u, keys, `expected an array of numbers (priors), got ${describeValue(u)}`);
    return null;
  }
  if (u.length > max) {
    problems.add(u, keys, `expected at most ${max} priors, got ${u.length}`);
    return null;
  }
  let ok = true;
  for (let j = 0; j < u.length; j++) {
    const v: unknown = u[j];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      problems.add(v, [...keys, j], typeof v === 'number' ? `expected a finite number, got ${String(v)}` : `expected number, got ${describeValue(v)}`);
      ok = false;
    }
  }
  return ok ? (u as number[]) : null;
};
