// Owns the kinds of topic a role reads or writes (`"kind"` in topics/*.json): what a topic is, whatever it is named.
import * as t from 'io-ts';
import type { Level } from './priority/level.js';

/** One priority level's work queue: `level.critical` ... `level.low`. */
export type LevelKind = `level.${Level}`;

export const TopicKind = t.keyof(
  {
    raw: null,
    rules: null,
    sources: null,
    jobs: null,
    dlq: null,
    processed: null,
    'level.critical': null,
    'level.high': null,
    'level.medium': null,
    'level.low': null,
  },
  'TopicKind',
);
export type TopicKind = t.TypeOf<typeof TopicKind>;

/** Every kind the roles need, each declared by exactly one spec (the levels highest first, as LEVELS lists them). */
export const TOPIC_KINDS: readonly TopicKind[] = ['raw', 'rules', 'sources', 'jobs', 'dlq', 'processed', 'level.critical', 'level.high', 'level.medium', 'level.low'];

export const levelKind = (level: Level): LevelKind => `level.${level}`;
