// Owns the declarative topic spec (topics/*.json) and the pure plan that turns declared vs actual into actions.
import * as t from 'io-ts';
import { TopicKind } from './topicKind.js';

export const TopicSpec = t.intersection([
  t.type({
    name: t.string,
    partitions: t.number,
    replicationFactor: t.number,
    configs: t.record(t.string, t.string),
  }),
  // kind: the part the topic plays for the roles (raw, rules, level.critical, ...); the Topology maps kinds to names
  t.partial({ description: t.string, key: t.string, valueSchema: t.union([t.string, t.null]), kind: TopicKind }),
]);
export type TopicSpec = t.TypeOf<typeof TopicSpec>;

/** What the cluster has for one topic: partition count, replication factor and topic-level config overrides. */
export interface ActualTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

export type TopicAction =
  | { readonly type: 'create'; readonly spec: TopicSpec }
  | { readonly type: 'addPartitions'; readonly topic: string; readonly from: number; readonly to: number }
  | { readonly type: 'alterConfigs'; readonly topic: string; readonly changes: ReadonlyArray<{ key: string; from: string | null; to: string }>; readonly full: Readonly<Record<string, string>> };

export type TopicWarning =
  | { readonly type: 'cannotShrinkPartitions'; readonly topic: string; readonly declared: number; readonly actual: number }
  | { readonly type: 'replicationDiffers'; readonly topic: string; readonly declared: number; readonly actual: number }
  | { readonly type: 'undeclaredOverride'; readonly topic: string; readonly key: string; readonly value: string };

export interface TopicPlan {
  readonly actions: TopicAction[];
  readonly warnings: TopicWarning[];
}

/**
 * A spec as it can exist on a cluster of `brokers` brokers: replication and min.insync.replicas are capped
 * at the broker count, so the production specs (RF 3, min ISR 2) apply unchanged to the single local broker.
 */
export const fitToCluster = (spec: TopicSpec, brokers: number): TopicSpec => {
  const rf = Math.max(1, Math.min(spec.replicationFactor, brokers));
  const configs = { ...spec.configs };
  const minIsr = configs['min.insync.replicas'];
  if (minIsr !== undefined) configs['min.insync.replicas'] = String(Math.min(Number(minIsr), rf));
  return { ...spec, replicationFactor: rf, configs };
};

/** Compares declared (already fitted) specs with what exists; a second run after applying the plan yields no actions. */
export const planTopics = (declared: readonly TopicSpec[], actual: ReadonlyMap<string, ActualTopic>): TopicPlan => {
  const actions: TopicAction[] = [];
  const warnings: TopicWarning[] = [];
  for (const spec of declared) {
    const have = actual.get(spec.name);
    if (!have) {
      actions.push({ type: 'create', spec });
      continue;
    }
    if (spec.partitions > have.partitions) actions.push({ type: 'addPartitions', topic: spec.name, from: have.partitions, to: spec.partitions });
    else if (spec.partitions < have.partitions) warnings.push({ type: 'cannotShrinkPartitions', topic: spec.name, declared: spec.partitions, actual: have.partitions });
    if (spec.replicationFactor !== have.replicationFactor)
      warnings.push({ type: 'replicationDiffers', topic: spec.name, declared: spec.replicationFactor, actual: have.replicationFactor });
    const changes = Object.entries(spec.configs)
      .filter(([k, v]) => have.configs[k] !== v)
      .map(([key, to]) => ({ key, from: have.configs[key] ?? null, to }));
    for (const [key, value] of Object.entries(have.configs)) if (!(key in spec.configs)) warnings.push({ type: 'undeclaredOverride', topic: spec.name, key, value });
    // AlterConfigs replaces the whole override set: keep undeclared overrides, set declared ones.
    if (changes.length > 0) actions.push({ type: 'alterConfigs', topic: spec.name, changes, full: { ...have.configs, ...spec.configs } });
  }
  return { actions, warnings };
};

export const describeAction = (a: TopicAction): string => {
  switch (a.type) {
    case 'create':
      return `+ create ${a.spec.name} (partitions ${a.spec.partitions}, replication ${a.spec.replicationFactor}, ${Object.entries(a.spec.configs).map(([k, v]) => `${k}=${v}`).join(', ')})`;
    case 'addPartitions':
      return `~ ${a.topic}: partitions ${a.from} -> ${a.to}`;
    case 'alterConfigs':
      return `~ ${a.topic}: ${a.changes.map((c) => `${c.key} ${c.from ?? '(default)'} -> ${c.to}`).join(', ')}`;
    default: {
      const never: never = a;
      return never;
    }
  }
};

export const describeWarning = (w: TopicWarning): string => {
  switch (w.type) {
    case 'cannotShrinkPartitions':
      return `! ${w.topic}: has ${w.actual} partitions, declared ${w.declared}; Kafka cannot remove partitions (left as is)`;
    case 'replicationDiffers':
      return `! ${w.topic}: replication factor ${w.actual}, declared ${w.declared}; changing it needs a partition reassignment (left as is)`;
    case 'undeclaredOverride':
      return `! ${w.topic}: override ${w.key}=${w.value} is not declared (kept)`;
    default: {
      const never: never = w;
      return never;
    }
  }
};
