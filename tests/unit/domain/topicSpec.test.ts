// The pure topic plan: what `topics apply` would do for declared vs actual.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fitToCluster, planTopics, type ActualTopic, type TopicSpec } from '../../../src/domain/topicSpec.js';

const test = suite('topic plan');
const spec: TopicSpec = { name: 't', partitions: 3, replicationFactor: 3, configs: { 'cleanup.policy': 'compact', 'min.insync.replicas': '2' } };
const actual = (over: Partial<ActualTopic> = {}): Map<string, ActualTopic> =>
  new Map([['t', { name: 't', partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'compact', 'min.insync.replicas': '1' }, ...over }]]);

test('fitting to one broker caps replication and min ISR; three brokers keep them', () => {
  assert.equal(fitToCluster(spec, 1).replicationFactor, 1);
  assert.equal(fitToCluster(spec, 1).configs['min.insync.replicas'], '1');
  assert.equal(fitToCluster(spec, 5).replicationFactor, 3);
  assert.equal(fitToCluster(spec, 5).configs['min.insync.replicas'], '2');
});

test('a missing topic is created', () => {
  assert.equal(planTopics([spec], new Map()).actions, [{ type: 'create', spec }]);
});

test('in sync gives no action', () => {
  assert.equal(planTopics([fitToCluster(spec, 1)], actual()), { actions: [], warnings: [] });
});

test('more partitions are added; fewer cannot be and only warn', () => {
  assert.equal(planTopics([fitToCluster({ ...spec, partitions: 6 }, 1)], actual()).actions, [{ type: 'addPartitions', topic: 't', from: 3, to: 6 }]);
  const shrink = planTopics([fitToCluster({ ...spec, partitions: 1 }, 1)], actual());
  assert.equal(shrink.actions, []);
  assert.equal(shrink.warnings[0]?.type, 'cannotShrinkPartitions');
});

test('a changed config is altered and undeclared overrides are kept in the full set', () => {
  const p = planTopics([fitToCluster({ ...spec, configs: { ...spec.configs, 'cleanup.policy': 'compact,delete' } }, 1)], actual({ configs: { 'cleanup.policy': 'compact', 'min.insync.replicas': '1', 'retention.bytes': '5' } }));
  const a = p.actions[0];
  assert.ok(a && a.type === 'alterConfigs');
  assert.equal(a.changes, [{ key: 'cleanup.policy', from: 'compact', to: 'compact,delete' }]);
  assert.equal(a.full, { 'cleanup.policy': 'compact,delete', 'min.insync.replicas': '1', 'retention.bytes': '5' });
  assert.equal(p.warnings.map((w) => w.type), ['undeclaredOverride']);
});

test.run();
