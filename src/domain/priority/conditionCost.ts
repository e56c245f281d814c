// Owns the static cost bound of a rule condition: an upper bound of what evaluating it can allocate and compute, from its AST.
/**
 * CEL has no loops, but `cel.bind` shares a value between several uses, so `cel.bind(b, a + a + a, ...)` repeated
 * a few times builds a list or string exponentially larger than the condition (529 characters made a list of 2.1e9
 * elements and V8 aborted out of memory: no try/catch sees that). cel-js has no evaluation budget, so the bound is
 * static, like cel-go's cost estimator: every node gets an upper bound of the value it produces (in units: one per
 * list element, map entry, string character or scalar) and of the work to produce it, with the inputs bounded by
 * the activation (see INPUT_* in activation.ts, where longer inputs are cut). A condition whose bound is above the
 * budget is refused when written, and a stored one is refused when folded, so evaluation stays within the budget.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { ACTIVATION_VARIABLES, INPUT_MAX_HEADERS, INPUT_MAX_STRING } from './activation.js';

/** Largest estimated cost (value units allocated or compared) of one evaluation: far above any real guideline (under 5,000). */
export const MAX_CONDITION_COST = 2_000_000;

/** An upper bound of one value: its total size, its element count, and the size of its largest element (or key/value). */
interface Est {
  readonly size: number;
  readonly count: number;
  readonly item: number;
  /** Work to compute it, its own allocation included. */
  readonly cost: number;
}

const scalar: Est = { size: 1, count: 1, item: 1, cost: 1 };
const STRING_INPUT: Est = { size: INPUT_MAX_STRING, count: INPUT_MAX_STRING, item: INPUT_MAX_STRING, cost: 1 };
const HEADERS_INPUT: Est = { size: INPUT_MAX_HEADERS * 2 * INPUT_MAX_STRING, count: INPUT_MAX_HEADERS, item: INPUT_MAX_STRING, cost: 1 };

const VARIABLES: ReadonlyMap<string, Est> = new Map(
  ACTIVATION_VARIABLES.map((v) => [v.name, v.type === 'string' ? STRING_INPUT : v.type.startsWith('map') ? HEADERS_INPUT : scalar]),
);

const ITERATING = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const cap = (x: number): number => (Number.isFinite(x) ? Math.min(x, Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER);
const sum = (xs: readonly Est[], f: (e: Est) => number): number => xs.reduce((a, e) => cap(a + f(e)), 0);

const isNode = (u: unknown): u is ASTNode => typeof u === 'object' && u !== null && 'op' in u;

const literal = (v: unknown): Est => {
  const n = typeof v === 'string' ? Math.max(1, v.length) : v instanceof Uint8Array ? Math.max(1, v.length) : 1;
  return { size: n, count: n, item: n, cost: n };
};

/** The bound of `n` with the variables bound by enclosing cel.bind and comprehensions. */
const estimate = (n: ASTNode, scope: ReadonlyMap<string, Est>): Est => {
  const of = (c: unknown): Est => (isNode(c) ? estimate(c, scope) : scalar);
  switch (n.op) {
    case 'value':
      return literal(n.args);
    case 'id':
      return scope.get(n.args) ?? VARIABLES.get(n.args) ?? scalar;
    case 'list': {
      const xs = n.args.map(of);
      const size = cap(1 + sum(xs, (e) => e.size));
      return { size, count: xs.length, item: Math.max(1, ...xs.map((e) => e.size)), cost: cap(sum(xs, (e) => e.cost) + size) };
    }
    case 'map': {
      const kv = n.args.flatMap(([k, v]) => [of(k), of(v)]);
      const size = cap(1 + sum(kv, (e) => e.size));
      return { size, count: n.args.length, item: Math.max(1, ...kv.map((e) => e.size)), cost: cap(sum(kv, (e) => e.cost) + size) };
    }
    case '.':
    case '.?': {
      const t = of(n.args[0]);
      return { size: t.item, count: t.item, item: t.item, cost: cap(t.cost + 1) };
    }
    case '[]':
    case '[?]': {
      const t = of(n.args[0]);
      const i = of(n.args[1]);
      return { size: t.item, count: t.item, item: t.item, cost: cap(t.cost + i.cost + 1) };
    }
    case '+': {
      // concatenation of lists or strings (numbers are 1 + 1 and stay small enough)
      const a = of(n.args[0]);
      const b = of(n.args[1]);
      const size = cap(a.size + b.size);
      return { size, count: cap(a.count + b.count), item: Math.max(a.item, b.item), cost: cap(a.cost + b.cost + size) };
    }
    case '?:': {
      const [c, a, b] = n.args.map(of) as [Est, Est, Est];
      return { size: Math.max(a.size, b.size), count: Math.max(a.count, b.count), item: Math.max(a.item, b.item), cost: cap(c.cost + a.cost + b.cost) };
    }
    case '!_':
    case '-_': {
      const a = of(n.args);
      return { ...scalar, cost: cap(a.cost + 1) };
    }
    case 'call':
      return call(n.args[0], n.args[1].map(of));
    case 'rcall': {
      const [name, target, args] = n.args;
      if (name === 'bind' && target.op === 'id' && target.args === 'cel') {
        const [v, val, body] = args;
        if (v?.op !== 'id' || val === undefined || body === undefined) return { ...scalar, cost: Number.MAX_SAFE_INTEGER };
        const bound = of(val);
        const inner = estimate(body, new Map(scope).set(v.args, { ...bound, cost: 1 }));
        return { ...inner, cost: cap(bound.cost + inner.cost) };
      }
      const t = of(target);
      if (ITERATING.has(name) && args.length >= 2) {
        // the iteration variables (one, or index/key and value) range over the target's elements
        // x.all(v, p), x.map(v, e), x.map(v, p, e), and the two-variable x.all(k, v, p)
        const varCount = args.length === 3 && name !== 'map' ? 2 : 1;
        const element: Est = { size: t.item, count: t.item, item: t.item, cost: 1 };
        const inner = new Map(scope);
        for (const v of args.slice(0, varCount)) if (v.op === 'id') inner.set(v.args, element);
        const bodies = args.slice(varCount).map((b) => estimate(b, inner));
        const perElement = sum(bodies, (e) => e.cost);
        const cost = cap(t.cost + cap(t.count * perElement));
        if (name === 'map') {
          const out = Math.max(1, ...bodies.map((e) => e.size));
          return { size: cap(t.count * (out + 1)), count: t.count, item: out, cost: cap(cost + t.count * out) };
        }
        if (name === 'filter') return { size: t.size, count: t.count, item: t.item, cost: cap(cost + t.size) };
        return { ...scalar, cost };
      }
      return call(name, [t, ...args.map(of)]);
    }
    default: {
      // binary operators: comparisons, arithmetic, &&, ||, in
      const [a, b] = (n.args as unknown as [unknown, unknown]).map(of) as [Est, Est];
      return { ...scalar, cost: cap(a.cost + b.cost + Math.max(a.size, b.size)) };
    }
  }
};

/** Functions and methods: what they return is bounded by their arguments, except the ones that multiply. */
const call = (name: string, args: readonly Est[]): Est => {
  const work = sum(args, (e) => e.cost);
  const total = sum(args, (e) => e.size);
  if (name === 'replace') {
    // each match of the pattern may become the whole replacement
    const [s, , r] = args;
    const size = cap((s?.size ?? 1) * Math.max(1, r?.size ?? 1));
    return { size, count: size, item: size, cost: cap(work + size) };
  }
  if (name === 'size' || name === 'int' || name === 'uint' || name === 'double' || name === 'bool' || name === 'contains' || name === 'startsWith' || name === 'endsWith' || name === 'has' || name === 'type')
    return { ...scalar, cost: cap(work + total) };
  return { size: total, count: total, item: total, cost: cap(work + total) };
};

/** The estimated cost of evaluating `ast` once, an upper bound (saturating at Number.MAX_SAFE_INTEGER). */
export const conditionCost = (ast: ASTNode): number => estimate(ast, new Map()).cost;
