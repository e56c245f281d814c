// Owns `topics apply` and `topics list`: fit the declared specs to the cluster, plan, apply, report.
import { createTopicAdmin } from '../kafka/admin.js';
import { createRetry } from '../kafka/retry.js';
import type { KafkaClient } from '../kafka/client.js';
import { fitToCluster, planTopics, type ActualTopic, type TopicPlan, type TopicSpec } from '../domain/topicSpec.js';

export interface ApplyResult extends TopicPlan {
  readonly brokers: number;
}

/**
 * Plans and applies; on a retriable error (a fresh broker still propagating metadata, a controller move) it plans again
 * from what now exists, which is safe because the plan is declarative.
 */
export const applyTopics = ({ kafka, specs, dryRun = false }: { kafka: KafkaClient; specs: readonly TopicSpec[]; dryRun?: boolean }): Promise<ApplyResult> =>
  createRetry()(() => applyOnce({ kafka, specs, dryRun }));

const applyOnce = async ({ kafka, specs, dryRun }: { kafka: KafkaClient; specs: readonly TopicSpec[]; dryRun: boolean }): Promise<ApplyResult> => {
  const admin = await createTopicAdmin({ kafka });
  try {
    const brokers = await admin.brokerCount();
    const fitted = specs.map((s) => fitToCluster(s, brokers));
    const plan = planTopics(fitted, await admin.readTopics(fitted.map((s) => s.name)));
    if (!dryRun) for (const a of plan.actions) await admin.apply(a);
    return { ...plan, brokers };
  } finally {
    await admin.close();
  }
};

export interface TopicRow {
  readonly declared: TopicSpec;
  readonly actual: ActualTopic | undefined;
  readonly inSync: boolean;
}

export const listTopics = async ({ kafka, specs }: { kafka: KafkaClient; specs: readonly TopicSpec[] }): Promise<TopicRow[]> => {
  const admin = await createTopicAdmin({ kafka });
  try {
    const brokers = await admin.brokerCount();
    const fitted = specs.map((s) => fitToCluster(s, brokers));
    const actual = await admin.readTopics(fitted.map((s) => s.name));
    const plan = planTopics(fitted, actual);
    const dirty = new Set(plan.actions.map((a) => (a.type === 'create' ? a.spec.name : a.topic)));
    for (const w of plan.warnings) if (w.type !== 'undeclaredOverride') dirty.add(w.topic);
    return fitted.map((declared) => ({ declared, actual: actual.get(declared.name), inSync: !dirty.has(declared.name) }));
  } finally {
    await admin.close();
  }
};
