// Owns the firm guidelines shipped as data (rules/default-guidelines.json): their codec and the RuleDefined events that seed the rules topic.
import type { RuleFields } from './ruleCommands.js';
import { type Either, isLeft, left, right } from 'fp-ts/lib/Either.js';
import { prefixPath, type PathError } from '../errors.js';
import { validateRule } from './rule.js';
import type { RuleEvent } from './ruleSet.js';

/** One rule as a guideline file writes it: the rule without its bookkeeping (active, times, version). */
export interface RuleDefinition extends RuleFields {
  readonly rule_id: string;
}

/**
 * Turns a guideline file's content into the RuleDefined events that seed an empty rules topic, each rule
 * validated like one written through the API (every error located, e.g. `[3].condition`). Rule ids are the
 * file's, so seeding twice writes the same keys to the compacted topic.
 */
export const seedRuleEvents = (json: unknown, atMs: number, actor = 'seed'): Either<PathError[], RuleEvent[]> => {
  if (!Array.isArray(json)) return left([{ path: '$', message: 'expected a list of rule definitions' }]);
  const problems: PathError[] = [];
  const events: RuleEvent[] = [];
  const seen = new Set<string>();
  json.forEach((item: unknown, i) => {
    const def = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const rule = validateRule({ ...def, active: true, created_at_ms: atMs, updated_at_ms: atMs, version: 1 });
    if (isLeft(rule)) {
      problems.push(...prefixPath(`[${i}]`, rule.left));
      return;
    }
    if (seen.has(rule.right.rule_id)) {
      problems.push({ path: `[${i}].rule_id`, message: `duplicate rule id ${rule.right.rule_id}` });
      return;
    }
    seen.add(rule.right.rule_id);
    events.push({ type: 'RuleDefined', rule_id: rule.right.rule_id, at_ms: atMs, actor, rule: rule.right });
  });
  return problems.length > 0 ? left(problems) : right(events);
};
