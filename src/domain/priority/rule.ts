// Owns PriorityRule (a firm guideline: a CEL condition and an action), its validation when written, and its compiled condition.
import * as t from 'io-ts';
import { type Either, isLeft, left, right } from 'fp-ts/lib/Either.js';
import type { ASTNode, ParseResult } from '@marcbachmann/cel-js';
import { describeValue, pathErrors, type PathError } from '../errors.js';
import { MAX_CONDITION_LENGTH, ruleEnvironment, type Activation } from './activation.js';
import { conditionCost, MAX_CONDITION_COST } from './conditionCost.js';
import { UnitInterval } from './config.js';
import { Level } from './level.js';

/** Adjust moves at most this many levels either way (there are only four). */
export const MAX_ADJUST = 3;
/** CEL macros that iterate; one may not iterate inside another, so a condition's cost stays linear in its size. */
const ITERATING_MACROS: ReadonlySet<string> = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
/** Functions refused in conditions: `matches` runs a caller-supplied regex (catastrophic backtracking on header values). */
const REFUSED_FUNCTIONS: ReadonlySet<string> = new Set(['matches']);

const NonEmptyString = new t.Type<string, string, unknown>(
  'non-empty string',
  (u): u is string => typeof u === 'string' && u.trim() !== '',
  (u, c) => (typeof u === 'string' && u.trim() !== '' ? t.success(u) : t.failure(u, c, `expected a non-empty string, got ${describeValue(u)}`)),
  t.identity,
);

const EpochMs = new t.Type<number, number, unknown>(
  'epoch ms',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 0,
  (u, c) => (Number.isSafeInteger(u) && (u as number) >= 0 ? t.success(u as number) : t.failure(u, c, `expected epoch milliseconds (an integer >= 0), got ${describeValue(u)}`)),
  t.identity,
);

const RuleVersion = new t.Type<number, number, unknown>(
  'rule version',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 1 && (u as number) <= 2147483647,
  (u, c) => (Number.isSafeInteger(u) && (u as number) >= 1 && (u as number) <= 2147483647 ? t.success(u as number) : t.failure(u, c, `expected a version >= 1, got ${describeValue(u)}`)),
  t.identity,
);

/** Absent or null becomes null (the Avro default), as does the optional description become "". */
const nullable = <A>(codec: t.Type<A, A, unknown>, name: string) =>
  new t.Type<A | null, A | null, unknown>(
    `${name} or null`,
    (u): u is A | null => u === null || codec.is(u),
    (u, c) => (u === null || u === undefined ? t.success(null) : codec.validate(u, c)),
    t.identity,
  );

const ScoreOrNull = nullable(UnitInterval, 'score in [0,1]');

const LevelOrNull = new t.Type<Level | null, Level | null, unknown>(
  'level or null',
  (u): u is Level | null => u === null || Level.is(u),
  (u, c) =>
    u === null || u === undefined ? t.success(null) : Level.is(u) ? t.success(u) : t.failure(u, c, `expected one of critical, high, medium, low or null, got ${describeValue(u)}`),
  t.identity,
);

const AdjustOrNull = new t.Type<number | null, number | null, unknown>(
  'adjust or null',
  (u): u is number | null => u === null || (Number.isInteger(u) && Math.abs(u as number) <= MAX_ADJUST),
  (u, c) =>
    u === null || u === undefined
      ? t.success(null)
      : Number.isInteger(u) && Math.abs(u as number) <= MAX_ADJUST
        ? t.success(u as number)
        : t.failure(u, c, `expected an integer from -${MAX_ADJUST} to ${MAX_ADJUST} (levels to promote or demote) or null, got ${describeValue(u)}`),
  t.identity,
);

const Description = new t.Type<string, string, unknown>(
  'string',
  (u): u is string => typeof u === 'string',
  (u, c) => (u === undefined || u === null ? t.success('') : typeof u === 'string' ? t.success(u) : t.failure(u, c, `expected string, got ${describeValue(u)}`)),
  t.identity,
);

/** The `rule` record of io.gexstream.RuleEvent, field for field. */
export const PriorityRule = t.type(
  {
    rule_id: NonEmptyString,
    name: NonEmptyString,
    description: Description,
    condition: t.string,
    score: ScoreOrNull,
    level: LevelOrNull,
    adjust: AdjustOrNull,
    active: t.boolean,
    created_at_ms: EpochMs,
    updated_at_ms: EpochMs,
    version: RuleVersion,
  },
  'PriorityRule',
);
export type PriorityRule = t.TypeOf<typeof PriorityRule>;

/** A rule's condition compiled once: evaluates to true or false, or throws (the caller treats a throw as no match). */
export type CompiledCondition = (a: Activation) => boolean;

const location = (range: { start: number } | undefined): string => (range === undefined ? '' : ` at ${range.start + 1}`);

/** Every AST node below `n`: an object with `op`, found through arrays (args hold nodes, names and node lists). */
const children = (n: ASTNode): ASTNode[] => {
  const out: ASTNode[] = [];
  const visit = (u: unknown): void => {
    if (Array.isArray(u)) for (const x of u) visit(x);
    else if (typeof u === 'object' && u !== null && 'op' in u) out.push(u as ASTNode);
  };
  if (n.op !== 'value' && n.op !== 'id') visit(n.args);
  return out;
};

/** Refuses what the type checker allows but the cost bound does not: nested iteration, regexes. */
const costProblem = (root: ASTNode): string | null => {
  const walk = (n: ASTNode, iterating: boolean): string | null => {
    let inner = iterating;
    if (n.op === 'call' || n.op === 'rcall') {
      const name = n.args[0];
      if (REFUSED_FUNCTIONS.has(name)) return `function ${name}() is not allowed in rule conditions${location(n.range)}`;
      if (n.op === 'rcall' && ITERATING_MACROS.has(name)) {
        if (iterating) return `nested iteration (${name} inside another all/exists/exists_one/map/filter) is not allowed${location(n.range)}`;
        inner = true;
      }
    }
    for (const c of children(n)) {
      const p = walk(c, inner);
      if (p !== null) return p;
    }
    return null;
  };
  return walk(root, false);
};

/**
 * Checks and compiles a condition: at most MAX_CONDITION_LENGTH characters, parses as CEL within the node
 * and depth limits, uses only the declared variables, type-checks to bool, and stays within the cost bound.
 * Returns the reason it is refused, or the compiled condition.
 */
export const compileCondition = (condition: string): Either<string, CompiledCondition> => {
  if (condition.length > MAX_CONDITION_LENGTH) return left(`expected at most ${MAX_CONDITION_LENGTH} characters, got ${condition.length}`);
  if (condition.trim() === '') return left('expected a CEL expression, got an empty string');
  let parsed: ParseResult;
  try {
    parsed = ruleEnvironment().parse(condition);
  } catch (e) {
    const err = e as { summary?: string; message?: string; range?: { start: number } };
    return left(`parse error${location(err.range)}: ${err.summary ?? err.message ?? String(e)}`);
  }
  const checked = parsed.check();
  if (!checked.valid) {
    const err = checked.error;
    return left(`type error${location(err?.range)}: ${err?.summary ?? err?.message ?? 'invalid expression'}`);
  }
  if (checked.type !== 'bool') return left(`expected a condition of type bool, got ${checked.type ?? 'an unknown type'}`);
  const cost = costProblem(parsed.ast);
  if (cost !== null) return left(cost);
  const estimated = conditionCost(parsed.ast);
  if (estimated > MAX_CONDITION_COST)
    return left(`too costly to evaluate: one evaluation may cost up to ${estimated >= Number.MAX_SAFE_INTEGER ? 'beyond 9e15' : estimated.toExponential(1)} units, the bound is ${MAX_CONDITION_COST.toExponential(1)} (a value bound by cel.bind and used several times, or concatenated lists and strings, multiply)`);
  return right((a: Activation) => parsed(a) === true);
};

/**
 * Validates a rule as written (API, CLI, seed file): the record's fields, a compilable condition, a score in
 * [0,1], a level among critical/high/medium/low, at least one action (score, level or a non-zero adjust),
 * and updated_at_ms >= created_at_ms. Absent optional fields take their Avro defaults.
 */
export const validateRule = (input: unknown): Either<PathError[], PriorityRule> => {
  const decoded = PriorityRule.decode(input);
  const problems: PathError[] = isLeft(decoded) ? pathErrors(decoded.left) : [];
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if (typeof raw.condition === 'string' && !problems.some((p) => p.path === 'condition')) {
    const compiled = compileCondition(raw.condition);
    if (isLeft(compiled)) problems.push({ path: 'condition', message: compiled.left });
  }
  if (isLeft(decoded)) return left(problems);
  const r = decoded.right;
  if (r.score === null && r.level === null && (r.adjust === null || r.adjust === 0)) {
    problems.push({ path: '$', message: 'expected an action: a score, a level or a non-zero adjust' });
  }
  if (r.updated_at_ms < r.created_at_ms) problems.push({ path: 'updated_at_ms', message: `expected updated_at_ms >= created_at_ms (${r.created_at_ms}), got ${r.updated_at_ms}` });
  return problems.length > 0 ? left(problems) : right(r);
};

/**
 * Whether a failed evaluation means the rule itself is unsafe to keep evaluating. A CEL evaluation error (a missing
 * key, a division by zero, an overflow) depends on the message: the rule does not match that one and stays. Anything
 * else (a RangeError such as an invalid array or string length, a stack overflow, a bug) would fail again, or worse.
 */
export const evaluationFailureQuarantines = (err: unknown): boolean => {
  const e = err as { name?: unknown; cause?: unknown };
  if (typeof e !== 'object' || e === null) return true;
  if (e.name !== 'EvaluationError') return true;
  return e.cause !== undefined && e.cause !== null && (e.cause as { name?: unknown }).name !== 'EvaluationError';
};
