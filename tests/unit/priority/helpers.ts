// Owns the hand-built inputs shared by the priority tests: canonical snapshots, inputs, rule events and rule sets.
import { readFileSync } from 'node:fs';
import { isLeft } from 'fp-ts/lib/Either.js';
import { blankSnapshot, blankStrike, type CanonicalSnapshot, type DataType } from '../../../src/domain/snapshot.js';
import { columnsOfRows } from '../../../src/domain/strikeColumns.js';
import type { PriorityInput } from '../../../src/domain/priority/facts.js';
import type { Level } from '../../../src/domain/priority/level.js';
import type { PriorityRule } from '../../../src/domain/priority/rule.js';
import { foldRuleEvents, type RuleEvent, type RuleSet } from '../../../src/domain/priority/ruleSet.js';
import { seedRuleEvents } from '../../../src/domain/priority/guidelines.js';

/** The repository root, from dist/tests/unit/priority. */
export const repoFile = (path: string): string => new URL(`../../../../${path}`, import.meta.url).pathname;

/** Wednesday 2025-06-11 10:00 ET (EDT): a regular-hours instant. */
export const T_RTH = Date.parse('2025-06-11T10:00:00-04:00');

export const snapshot = (over: Partial<CanonicalSnapshot> & { ticker?: string; data_type?: DataType } = {}): CanonicalSnapshot => ({
  ...blankSnapshot({ ticker: over.ticker ?? 'SPX', kind: 'gexbot_classic', category: 'zero', data_type: over.data_type ?? 'real_time', timestamp_ms: over.timestamp_ms ?? T_RTH }),
  min_dte: 1,
  spot: 6000,
  ...over,
});

/** `n` strikes around 6000, each with the given OI, volume and net GEX. */
export const strikes = (n: number, oi = 1000, volume = 500, net = 1e6) =>
  columnsOfRows(Array.from({ length: n }, (_, i) => ({ ...blankStrike(5750 + 5 * i), call_oi: oi, put_oi: oi, call_volume: volume, put_volume: volume, net_gex: (i % 2 === 0 ? 1 : -0.5) * net })));

export const input = (over: Partial<CanonicalSnapshot> = {}, meta: Omit<PriorityInput, 'snapshot'> = {}): PriorityInput => ({
  snapshot: snapshot(over),
  source: 'gexbot',
  headers: {},
  ...meta,
});

let nextAt = 1_700_000_000_000;

export const rule = (id: string, condition: string, action: { score?: number; level?: Level; adjust?: number }, over: Partial<PriorityRule> = {}): PriorityRule => ({
  rule_id: id,
  name: id,
  description: '',
  condition,
  score: action.score ?? null,
  level: action.level ?? null,
  adjust: action.adjust ?? null,
  active: true,
  created_at_ms: 1_700_000_000_000,
  updated_at_ms: 1_700_000_000_000,
  version: 1,
  ...over,
});

export const defined = (r: PriorityRule): RuleEvent => ({ type: 'RuleDefined', rule_id: r.rule_id, at_ms: nextAt++, actor: 'test', rule: r });

export const ruleSetOf = (...rules: PriorityRule[]): RuleSet => foldRuleEvents(rules.map(defined));

/** The shipped default guidelines, folded. */
export const defaultGuidelines = (): RuleSet => {
  const json: unknown = JSON.parse(readFileSync(repoFile('rules/default-guidelines.json'), 'utf8'));
  const events = seedRuleEvents(json, 1_700_000_000_000);
  if (isLeft(events)) throw new Error(`default guidelines refused: ${JSON.stringify(events.left)}`);
  return foldRuleEvents(events.right);
};
