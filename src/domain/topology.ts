// Owns the Topology: the one map from what a topic is (its kind) to its name, built from the declared specs and an
// optional prefix (pure). Roles address their inputs and outputs by kind; only this map knows names.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { Level } from './priority/level.js';
import { levelKind, TOPIC_KINDS, type TopicKind } from './topicKind.js';
import type { TopicSpec } from './topicSpec.js';

export interface Topology {
  /** null: the declared names; else every topic is PREFIX.<kind> with levels as PREFIX.<level> (`run --topic-prefix`). */
  readonly prefix: string | null;
  readonly raw: string;
  readonly rules: string;
  readonly sources: string;
  readonly jobs: string;
  readonly dlq: string;
  readonly processed: string;
  readonly level: (level: Level) => string;
  readonly topic: (kind: TopicKind) => string;
  /** The kind a consumed message's topic plays (undefined: not one of this topology's topics). */
  readonly kindOf: (topic: string) => TopicKind | undefined;
  /**
   * The declared spec of a kind, under its declared name: a prefixed copy of a topic takes its configs from it, and its
   * value schema from the declared name's subject.
   */
  readonly spec: (kind: TopicKind) => TopicSpec;
  readonly names: Readonly<Record<TopicKind, string>>;
}

export type TopologyError =
  | { readonly type: 'missingKind'; readonly kind: TopicKind }
  | { readonly type: 'duplicateKind'; readonly kind: TopicKind; readonly topics: readonly string[] }
  | { readonly type: 'badPrefix'; readonly prefix: string };

export const describeTopologyError = (e: TopologyError): string => {
  switch (e.type) {
    case 'missingKind':
      return `no topic spec declares "kind": "${e.kind}" (every role needs one)`;
    case 'duplicateKind':
      return `"kind": "${e.kind}" is declared by ${e.topics.length} topic specs (${e.topics.join(', ')}); exactly one may play it`;
    case 'badPrefix':
      return `topic prefix ${JSON.stringify(e.prefix)}: expected letters, digits, '.', '_' or '-', not ending in '.'`;
    default: {
      const never: never = e;
      return never;
    }
  }
};

// Kafka's legal topic characters; a trailing dot would make PREFIX..raw
const PREFIX = /^[A-Za-z0-9._-]*[A-Za-z0-9_-]$/;

/** PREFIX.raw, PREFIX.critical, PREFIX.processed, ...: the layout `run --topic-prefix` has always used. */
export const prefixedName = (prefix: string, kind: TopicKind): string => `${prefix}.${kind.startsWith('level.') ? kind.slice('level.'.length) : kind}`;

const namesFor = (specs: Readonly<Record<TopicKind, TopicSpec>>, prefix: string | null): Record<TopicKind, string> =>
  Object.fromEntries(TOPIC_KINDS.map((k) => [k, prefix === null ? specs[k].name : prefixedName(prefix, k)])) as Record<TopicKind, string>;

const specsOf = (topology: Topology): Record<TopicKind, TopicSpec> => Object.fromEntries(TOPIC_KINDS.map((k) => [k, topology.spec(k)])) as Record<TopicKind, TopicSpec>;

const build = (specs: Readonly<Record<TopicKind, TopicSpec>>, names: Readonly<Record<TopicKind, string>>, prefix: string | null): Topology => {
  const kinds = new Map<string, TopicKind>(TOPIC_KINDS.map((k) => [names[k], k]));
  return {
    prefix,
    raw: names.raw,
    rules: names.rules,
    sources: names.sources,
    jobs: names.jobs,
    dlq: names.dlq,
    processed: names.processed,
    level: (l) => names[levelKind(l)],
    topic: (k) => names[k],
    kindOf: (topic) => kinds.get(topic),
    spec: (k) => specs[k],
    names,
  };
};

/**
 * The topology the specs declare: every kind in TOPIC_KINDS played by exactly one spec (specs without a kind are
 * topics no role addresses); with a prefix, each kind's topic is PREFIX.<kind> instead of the declared name.
 */
export const decodeTopology = (specs: readonly TopicSpec[], prefix: string | null = null): Either<TopologyError[], Topology> => {
  const errors: TopologyError[] = [];
  if (prefix !== null && !PREFIX.test(prefix)) errors.push({ type: 'badPrefix', prefix });
  const byKind = new Map<TopicKind, TopicSpec[]>();
  for (const s of specs) if (s.kind !== undefined) byKind.set(s.kind, [...(byKind.get(s.kind) ?? []), s]);
  const declared: Partial<Record<TopicKind, TopicSpec>> = {};
  for (const kind of TOPIC_KINDS) {
    const found = byKind.get(kind) ?? [];
    if (found.length === 0) errors.push({ type: 'missingKind', kind });
    else if (found.length > 1) errors.push({ type: 'duplicateKind', kind, topics: found.map((s) => s.name) });
    else declared[kind] = found[0];
  }
  if (errors.length > 0) return left(errors);
  const all = declared as Record<TopicKind, TopicSpec>;
  return right(build(all, namesFor(all, prefix), prefix));
};

/** The same declared topics under another prefix (null: the declared names); throws only on an illegal prefix. */
export const withPrefix = (topology: Topology, prefix: string | null): Topology => {
  if (prefix !== null && !PREFIX.test(prefix)) throw new Error(describeTopologyError({ type: 'badPrefix', prefix }));
  const specs = specsOf(topology);
  return build(specs, namesFor(specs, prefix), prefix);
};

/** Some kinds played by other topics (a benchmark's scratch topics); the rest as they are. */
export const overriding = (topology: Topology, names: Partial<Readonly<Record<TopicKind, string>>>): Topology => {
  return build(specsOf(topology), { ...topology.names, ...names }, topology.prefix);
};
