// Owns the rule commands of the CLI and the API (define, update, disable): decided against the folded rule set into one RuleEvent.
import { type Either, isLeft, left, right } from 'fp-ts/lib/Either.js';
import type { PathError } from '../errors.js';
import type { Level } from './level.js';
import { validateRule, type PriorityRule } from './rule.js';
import type { RuleEvent, RuleSet } from './ruleSet.js';

/** The editable fields of a rule. */
export interface RuleFields {
  readonly name: string;
  readonly description?: string;
  readonly condition: string;
  readonly score?: number | null;
  readonly level?: Level | null;
  readonly adjust?: number | null;
}

export interface DefineRule extends RuleFields {
  readonly type: 'DefineRule';
  readonly active?: boolean;
  readonly actor?: string | null;
}

export interface UpdateRule {
  readonly type: 'UpdateRule';
  readonly rule_id: string;
  /** Only the fields given change; `active: true` re-enables a disabled rule. */
  readonly changes: Partial<RuleFields> & { readonly active?: boolean };
  readonly actor?: string | null;
}

export interface DisableRule {
  readonly type: 'DisableRule';
  readonly rule_id: string;
  readonly actor?: string | null;
}

/**
 * A stored rule that cannot be evaluated safely (its condition is refused by this version's checks, or its evaluation
 * failed for lack of resources) is taken out of the rule set by the system: a RuleDisabled event whose actor says
 * `quarantine: <reason>`, so `rules history` shows why and an operator can fix the condition and re-enable it.
 */
export interface QuarantineRule {
  readonly type: 'QuarantineRule';
  readonly rule_id: string;
  readonly reason: string;
}

export type RuleCommand = DefineRule | UpdateRule | DisableRule | QuarantineRule;

/** The actor of a quarantine event; the reason is cut to keep the event small. */
export const QUARANTINE_ACTOR_PREFIX = 'quarantine: ';
const MAX_QUARANTINE_REASON = 500;

/** Refused: the field errors of an invalid rule, or why the command does not apply (unknown rule id, ...). */
export type RuleCommandError = PathError[] | string;

const has = <K extends string>(o: object, k: K): boolean => Object.prototype.hasOwnProperty.call(o, k) && (o as Record<K, unknown>)[k] !== undefined;

/** A new rule, version 1, created and updated at `nowMs`, named `newId` (the caller's id generator). */
export const defineRule = (cmd: DefineRule, state: RuleSet, nowMs: number, newId: string): Either<RuleCommandError, RuleEvent> => {
  if (state.rules.has(newId)) return left(`rule ${newId} already exists`);
  const candidate = {
    rule_id: newId,
    name: cmd.name,
    description: cmd.description ?? '',
    condition: cmd.condition,
    score: cmd.score ?? null,
    level: cmd.level ?? null,
    adjust: cmd.adjust ?? null,
    active: cmd.active ?? true,
    created_at_ms: nowMs,
    updated_at_ms: nowMs,
    version: 1,
  };
  const rule = validateRule(candidate);
  if (isLeft(rule)) return rule;
  return right({ type: 'RuleDefined', rule_id: newId, at_ms: nowMs, actor: cmd.actor ?? null, rule: rule.right });
};

/** The rule with the given changes, its version bumped, created_at_ms kept and updated_at_ms set to `nowMs`. */
export const updateRule = (cmd: UpdateRule, state: RuleSet, nowMs: number): Either<RuleCommandError, RuleEvent> => {
  const current = state.rules.get(cmd.rule_id);
  if (current === undefined) return left(`unknown rule ${cmd.rule_id}`);
  const c = cmd.changes;
  const before = current.rule;
  const candidate: PriorityRule = {
    ...before,
    name: has(c, 'name') ? (c.name as string) : before.name,
    description: has(c, 'description') ? (c.description as string) : before.description,
    condition: has(c, 'condition') ? (c.condition as string) : before.condition,
    score: has(c, 'score') ? (c.score ?? null) : before.score,
    level: has(c, 'level') ? (c.level ?? null) : before.level,
    adjust: has(c, 'adjust') ? (c.adjust ?? null) : before.adjust,
    active: c.active ?? before.active,
    updated_at_ms: Math.max(nowMs, before.created_at_ms),
    version: before.version + 1,
  };
  const rule = validateRule(candidate);
  if (isLeft(rule)) return rule;
  return right({ type: 'RuleUpdated', rule_id: cmd.rule_id, at_ms: nowMs, actor: cmd.actor ?? null, rule: rule.right });
};

/** The rule, inactive, its version bumped; refused for an unknown or already disabled rule. */
export const disableRule = (cmd: DisableRule, state: RuleSet, nowMs: number): Either<RuleCommandError, RuleEvent> => {
  const current = state.rules.get(cmd.rule_id);
  if (current === undefined) return left(`unknown rule ${cmd.rule_id}`);
  if (!current.rule.active) return left(`rule ${cmd.rule_id} is already disabled`);
  const rule: PriorityRule = { ...current.rule, active: false, updated_at_ms: Math.max(nowMs, current.rule.created_at_ms), version: current.rule.version + 1 };
  return right({ type: 'RuleDisabled', rule_id: cmd.rule_id, at_ms: nowMs, actor: cmd.actor ?? null, rule });
};

/** The rule, inactive, with the reason in the actor; refused for an unknown or already disabled rule (nothing to do). */
export const quarantineRule = (cmd: QuarantineRule, state: RuleSet, nowMs: number): Either<RuleCommandError, RuleEvent> => {
  const current = state.rules.get(cmd.rule_id);
  if (current === undefined) return left(`unknown rule ${cmd.rule_id}`);
  if (!current.rule.active) return left(`rule ${cmd.rule_id} is already disabled`);
  const rule: PriorityRule = { ...current.rule, active: false, updated_at_ms: Math.max(nowMs, current.rule.created_at_ms), version: current.rule.version + 1 };
  const reason = cmd.reason.length > MAX_QUARANTINE_REASON ? `${cmd.reason.slice(0, MAX_QUARANTINE_REASON)}...` : cmd.reason;
  return right({ type: 'RuleDisabled', rule_id: cmd.rule_id, at_ms: nowMs, actor: `${QUARANTINE_ACTOR_PREFIX}${reason}`, rule });
};

/** One entry point for the edges: the time and the new id come in on the metadata, never from a clock here. */
export const decideRuleCommand = (cmd: RuleCommand, state: RuleSet, meta: { readonly nowMs: number; readonly newId: string }): Either<RuleCommandError, RuleEvent> => {
  switch (cmd.type) {
    case 'DefineRule':
      return defineRule(cmd, state, meta.nowMs, meta.newId);
    case 'UpdateRule':
      return updateRule(cmd, state, meta.nowMs);
    case 'DisableRule':
      return disableRule(cmd, state, meta.nowMs);
    case 'QuarantineRule':
      return quarantineRule(cmd, state, meta.nowMs);
    default: {
      const never: never = cmd;
      return left(`unknown command ${String((never as { type?: unknown }).type)}`);
    }
  }
};
