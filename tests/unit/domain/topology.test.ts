// The Topology: kinds to names from the declared specs, a prefix, and the start-up errors of a bad set of specs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LEVELS } from '../../../src/domain/priority/level.js';
import { TOPIC_KINDS, type TopicKind } from '../../../src/domain/topicKind.js';
import { TopicSpec } from '../../../src/domain/topicSpec.js';
import { decodeTopology, describeTopologyError, overriding, withPrefix, type Topology, type TopologyError } from '../../../src/domain/topology.js';
import { loadTopicSpecs, loadTopology, TopologyLoadError } from '../../../src/resources.js';

const test = suite('topology');

const spec = (name: string, kind?: TopicKind): TopicSpec => ({ name, partitions: 1, replicationFactor: 1, configs: {}, ...(kind ? { kind } : {}) });
const declared: TopicSpec[] = TOPIC_KINDS.map((k) => spec(`t.${k}.v9`, k));
const ok = (specs: readonly TopicSpec[], prefix?: string): Topology => {
  const d = decodeTopology(specs, prefix ?? null);
  if (isLeft(d)) throw new Error(d.left.map(describeTopologyError).join('; '));
  return d.right;
};
const errors = (specs: readonly TopicSpec[], prefix?: string): TopologyError[] => {
  const d = decodeTopology(specs, prefix ?? null);
  if (isRight(d)) throw new Error('expected errors');
  return d.left;
};

test('the kind field decodes with the spec; an unknown kind is refused with its path', () => {
  const good = TopicSpec.decode({ name: 'x', kind: 'level.high', partitions: 1, replicationFactor: 1, configs: {} });
  assert.ok(isRight(good) && good.right.kind === 'level.high');
  assert.ok(isRight(TopicSpec.decode({ name: 'x', partitions: 1, replicationFactor: 1, configs: {} })), 'a topic no role addresses needs no kind');
  assert.ok(isLeft(TopicSpec.decode({ name: 'x', kind: 'level.urgent', partitions: 1, replicationFactor: 1, configs: {} })));
});

test('each kind maps to the name of the spec that declares it, whatever the name', () => {
  const t = ok([...declared, spec('unrelated')]);
  assert.is(t.prefix, null);
  assert.is(t.raw, 't.raw.v9');
  assert.is(t.processed, 't.processed.v9');
  assert.equal([t.rules, t.sources, t.jobs, t.dlq], ['t.rules.v9', 't.sources.v9', 't.jobs.v9', 't.dlq.v9']);
  for (const l of LEVELS) assert.is(t.level(l), `t.level.${l}.v9`);
  for (const k of TOPIC_KINDS) assert.is(t.kindOf(t.topic(k)), k);
  assert.is(t.kindOf('unrelated'), undefined);
  assert.is(t.spec('level.low').name, 't.level.low.v9');
});

test('a prefix lays every kind out as PREFIX.<kind>, levels as PREFIX.<level>; the declared specs stay behind', () => {
  const t = ok(declared, 'env2');
  assert.is(t.prefix, 'env2');
  assert.equal(TOPIC_KINDS.map((k) => t.topic(k)), ['env2.raw', 'env2.rules', 'env2.sources', 'env2.jobs', 'env2.dlq', 'env2.processed', 'env2.critical', 'env2.high', 'env2.medium', 'env2.low']);
  assert.is(t.kindOf('env2.high'), 'level.high');
  assert.is(t.spec('level.high').name, 't.level.high.v9', 'configs and the schema subject come from the declared spec');
  assert.equal(withPrefix(ok(declared), 'env2').names, t.names);
  assert.equal(withPrefix(t, null).names, ok(declared).names);
});

test('a missing kind, a kind declared twice and an illegal prefix are all reported at once', () => {
  const specs = [...declared.filter((s) => s.kind !== 'level.medium'), spec('t.raw.copy', 'raw')];
  const e = errors(specs, 'bad prefix.');
  assert.equal(e, [{ type: 'badPrefix', prefix: 'bad prefix.' }, { type: 'duplicateKind', kind: 'raw', topics: ['t.raw.v9', 't.raw.copy'] }, { type: 'missingKind', kind: 'level.medium' }]);
  assert.match(describeTopologyError(e[1] as TopologyError), '"kind": "raw" is declared by 2 topic specs (t.raw.v9, t.raw.copy)');
  assert.match(describeTopologyError(e[2] as TopologyError), 'no topic spec declares "kind": "level.medium"');
  assert.throws(() => withPrefix(ok(declared), '../x'), /topic prefix/);
});

test('specs without kinds (the v1 files before this change) name every missing kind', () => {
  assert.is(errors(declared.map((s) => spec(s.name))).length, TOPIC_KINDS.length);
});

test('overriding swaps some kinds for other topics and keeps the rest', () => {
  const t = overriding(ok(declared), { 'level.critical': 'scratch.crit', rules: 'scratch.rules' });
  assert.equal([t.level('critical'), t.rules, t.raw, t.level('high')], ['scratch.crit', 'scratch.rules', 't.raw.v9', 't.level.high.v9']);
  assert.is(t.kindOf('scratch.crit'), 'level.critical');
});

test('the shipped topics/ declare every kind once', () => {
  const t = loadTopology();
  assert.equal(new Set(TOPIC_KINDS.map((k) => t.topic(k))).size, TOPIC_KINDS.length);
  for (const k of TOPIC_KINDS) assert.ok(loadTopicSpecs().some((s) => s.name === t.topic(k) && s.kind === k));
  assert.is(loadTopology('p').level('critical'), 'p.critical');
});

test('loading a directory whose specs miss a kind stops with a clear error naming the directory and the kind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'topology-'));
  try {
    for (const s of declared.filter((x) => x.kind !== 'dlq')) writeFileSync(join(dir, `${s.name}.json`), JSON.stringify(s));
    try {
      loadTopology(null, dir);
      assert.unreachable('expected a TopologyLoadError');
    } catch (err) {
      assert.instance(err, TopologyLoadError);
      assert.match((err as Error).message, `${dir}: no topic spec declares "kind": "dlq"`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
