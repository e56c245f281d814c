// Outputs addressed by kind: the transactional runner resolves them through the topology it is given.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { outputTopic } from '../../../src/kafka/transactional.js';
import { loadTopology } from '../../../src/resources.js';

const test = suite('output topics');
const topology = loadTopology('env2');

test('a kind resolves through the topology; a named topic stays as named', () => {
  assert.is(outputTopic({ kind: 'level.critical', messages: [] }, topology), 'env2.critical');
  assert.is(outputTopic({ kind: 'jobs', messages: [] }, topology), 'env2.jobs');
  assert.is(outputTopic({ topic: 'scratch', messages: [] }, topology), 'scratch');
  assert.is(outputTopic({ topic: 'scratch', messages: [] }, undefined), 'scratch');
});

test('a kind without a topology is a programmer error, named', () => {
  assert.throws(() => outputTopic({ kind: 'dlq', messages: [] }, undefined), /kind dlq needs the runner's topology/);
});

test.run();
