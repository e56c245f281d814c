// Owns the rule set as a fold over RuleEvents (the rules topic): each condition compiled once, when its event is folded.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Level } from './level.js';
import { PriorityRule, compileCondition, type CompiledCondition } from './rule.js';

export const RULE_EVENT_TYPES = ['RuleDefined', 'RuleUpdated', 'RuleDisabled'] as const;
export const RuleEventType = t.keyof({ RuleDefined: null, RuleUpdated: null, RuleDisabled: null }, 'RuleEventType');
export type RuleEventType = t.TypeOf<typeof RuleEventType>;

/** io.gexstream.RuleEvent: a rule written, changed or disabled, keyed by rule_id on a compacted topic. */
export const RuleEvent = t.type(
  { type: RuleEventType, rule_id: t.string, at_ms: t.number, actor: t.union([t.null, t.string]), rule: PriorityRule },
  'RuleEvent',
);
export type RuleEvent = t.TypeOf<typeof RuleEvent>;

/** A rule that can match: its record and its compiled condition. */
export interface ActiveRule {
  readonly rule_id: string;
  readonly score: number | null;
  readonly level: Level | null;
  readonly adjust: number | null;
  readonly matches: CompiledCondition;
}

export interface RuleEntry {
  readonly rule: PriorityRule;
  /** Null when the rule is disabled or its condition does not compile. */
  readonly compiled: CompiledCondition | null;
  /** Why an active rule cannot match (its condition was refused when folded), else null. */
  readonly problem: string | null;
}

export interface RuleSet {
  /** The number of rule events folded: recorded on every decision so a replay can tell which rules applied. */
  readonly version: number;
  /** Every rule ever defined, disabled ones included (for history), by rule_id. */
  readonly rules: ReadonlyMap<string, RuleEntry>;
  /** The rules that can match, in rule_id order. */
  readonly active: readonly ActiveRule[];
}

export const initialRuleSet = (): RuleSet => ({ version: 0, rules: new Map(), active: [] });

const activeRules = (rules: ReadonlyMap<string, RuleEntry>): ActiveRule[] => {
  const out: ActiveRule[] = [];
  for (const [id, e] of rules) {
    if (!e.rule.active || e.compiled === null) continue;
    out.push({ rule_id: id, score: e.rule.score, level: e.rule.level, adjust: e.rule.adjust, matches: e.compiled });
  }
  return out.sort((a, b) => (a.rule_id < b.rule_id ? -1 : a.rule_id > b.rule_id ? 1 : 0));
};

/**
 * Folds one rule event. Total: an event whose condition no longer compiles (written by another version, or by
 * hand) keeps its rule with a `problem` and the rule never matches. The event's key (rule_id) names the rule.
 * Every event, even one that changes nothing, increments `version`.
 */
export const evolveRuleSet = (state: RuleSet, event: RuleEvent): RuleSet => {
  const previous = state.rules.get(event.rule_id);
  let entry: RuleEntry;
  switch (event.type) {
    case 'RuleDefined':
    case 'RuleUpdated': {
      const rule: PriorityRule = { ...event.rule, rule_id: event.rule_id };
      if (!rule.active) {
        entry = { rule, compiled: null, problem: null };
        break;
      }
      if (previous !== undefined && previous.compiled !== null && previous.rule.condition === rule.condition) {
        entry = { rule, compiled: previous.compiled, problem: null };
        break;
      }
      const compiled = compileCondition(rule.condition);
      entry = isLeft(compiled) ? { rule, compiled: null, problem: `condition: ${compiled.left}` } : { rule, compiled: compiled.right, problem: null };
      break;
    }
    case 'RuleDisabled':
      entry = { rule: { ...event.rule, rule_id: event.rule_id, active: false }, compiled: null, problem: null };
      break;
    default: {
      const never: never = event.type;
      throw new Error(`unknown rule event type ${String(never)}`);
    }
  }
  const rules = new Map(state.rules);
  rules.set(event.rule_id, entry);
  return { version: state.version + 1, rules, active: activeRules(rules) };
};

/** Emmett-style projection of the rules topic into the rule set; live processing and replay both fold with it. */
export const ruleSetProjection = {
  canHandle: RULE_EVENT_TYPES,
  initialState: initialRuleSet,
  evolve: evolveRuleSet,
} as const;

export const foldRuleEvents = (events: Iterable<RuleEvent>, from: RuleSet = initialRuleSet()): RuleSet => {
  let s = from;
  for (const e of events) s = evolveRuleSet(s, e);
  return s;
};
