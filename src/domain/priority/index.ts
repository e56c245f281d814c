// Owns the public surface of the priority domain: scoring, firm-guideline rules, their fold and commands, and the decision.
export * from './level.js';
export * from './config.js';
export * from '../marketTime.js';
export * from './facts.js';
export * from './score.js';
export * from './activation.js';
export * from './rule.js';
export * from './ruleSet.js';
export * from './ruleCommands.js';
export * from './decide.js';
export * from './guidelines.js';
export * from './tally.js';
export * from './conditionCost.js';
