// Owns the priority decision of one message: the score, the matching firm guidelines, and the documented order that resolves them.
import { buildActivation } from './activation.js';
import type { PriorityConfig } from './config.js';
import { WEEKDAYS_ONLY, type ExchangeCalendar } from '../calendar.js';
import { readFacts, type PriorityInput } from './facts.js';
import { levelForScore, levelRank, shiftLevel, type Level } from './level.js';
import type { ActiveRule, RuleSet } from './ruleSet.js';
import { clamp01, scoreFacts, type ScoreComponents } from './score.js';

export interface Decision {
  readonly level: Level;
  readonly score: number;
  /** The computed components, always (even when a rule or an override decided the level). */
  readonly components: ScoreComponents;
  /** The ids of the rules whose condition matched, in rule_id order. */
  readonly matched_rules: string[];
  readonly rule_set_version: number;
  /** True when a requested level (manual override) replaced the automatic level. */
  readonly overridden: boolean;
  /** The rule whose explicit level was used in step (b), or null. */
  readonly level_rule: string | null;
  /** Rules that failed to evaluate (they did not match) and an unusable requested level. */
  readonly errors: string[];
}

const errorSummary = (e: unknown): string => {
  const err = e as { summary?: unknown; message?: unknown };
  return typeof err?.summary === 'string' ? err.summary : typeof err?.message === 'string' ? err.message.split('\n')[0] ?? '' : String(e);
};

/** Level rules are ordered by level, then by score (a rule without one counts as -1), then by rule_id. */
const beats = (a: ActiveRule, b: ActiveRule): boolean => {
  const ra = levelRank(a.level as Level);
  const rb = levelRank(b.level as Level);
  if (ra !== rb) return ra > rb;
  const sa = a.score ?? -1;
  const sb = b.score ?? -1;
  if (sa !== sb) return sa > sb;
  return a.rule_id < b.rule_id;
};

/**
 * Decides the level of one message at `nowMs`. Pure: the clock, the rule set, the configuration and the exchange
 * calendar (sessions, holidays, early closes; the prioritizer passes the shipped one) come in.
 *
 * Conflict order:
 * (a) the computed score (weighted components) gives a level through the thresholds;
 * (b) if matched rules set an explicit level, the highest such level wins (ties: the higher rule score, then
 *     the lower rule_id) and the score becomes that rule's score if it has one, else the highest matched rule
 *     score if any, else the computed score; otherwise, if matched rules set a score, the score becomes the
 *     highest of them and the level follows from the thresholds;
 * (c) the sum of the adjust values of all matched rules promotes (+) or demotes (-) the level by that many
 *     levels, clamped to low..critical;
 * (d) a requested level (manual override, from the input or the gex-requested-level header) replaces the
 *     level and sets `overridden`; the score is kept.
 * A rule whose evaluation fails does not match and its error is recorded in `errors`.
 */
export const decide = (input: PriorityInput, ruleSet: RuleSet, config: PriorityConfig, nowMs: number, calendar: ExchangeCalendar = WEEKDAYS_ONLY): Decision => {
  const facts = readFacts(input, nowMs, config.source.default_reliability, calendar);
  const scored = scoreFacts(facts, input.recentNetGexRange, config);
  const errors: string[] = [];
  const matched: string[] = [];

  let levelRule: ActiveRule | null = null;
  let maxRuleScore = -1;
  let adjust = 0;
  if (ruleSet.active.length > 0) {
    const activation = buildActivation(facts);
    for (const rule of ruleSet.active) {
      let hit: boolean;
      try {
        hit = rule.matches(activation);
      } catch (e) {
        errors.push(`rule ${rule.rule_id}: ${errorSummary(e)}`);
        continue;
      }
      if (!hit) continue;
      matched.push(rule.rule_id);
      if (rule.score !== null && rule.score > maxRuleScore) maxRuleScore = rule.score;
      if (rule.level !== null && (levelRule === null || beats(rule, levelRule))) levelRule = rule;
      if (rule.adjust !== null) adjust += rule.adjust;
    }
  }

  // (a) and (b)
  let score = scored.score;
  let level: Level;
  if (levelRule !== null) {
    if (levelRule.score !== null) score = levelRule.score;
    else if (maxRuleScore >= 0) score = maxRuleScore;
    level = levelRule.level as Level;
  } else {
    if (maxRuleScore >= 0) score = maxRuleScore;
    level = levelForScore(score, config.thresholds);
  }
  // (c)
  if (adjust !== 0) level = shiftLevel(level, adjust);
  // (d)
  let overridden = false;
  if (facts.requested_level !== null) {
    level = facts.requested_level;
    overridden = true;
  } else if (facts.requested_level_invalid !== null) {
    errors.push(`requested level ${JSON.stringify(facts.requested_level_invalid)} ignored: expected critical, high, medium or low`);
  }

  return {
    level,
    score: clamp01(score),
    components: scored.components,
    matched_rules: matched,
    rule_set_version: ruleSet.version,
    overridden,
    level_rule: levelRule === null ? null : levelRule.rule_id,
    errors,
  };
};
