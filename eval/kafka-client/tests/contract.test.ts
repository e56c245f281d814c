// Runs the root's Kafka edge contract (tests/integration/kafka/contract.ts) against the @platformatic/kafka
// implementation under evaluation (src/platformatic/). Not part of the root's `npm test` (the product runs on kafkajs):
//   npm --prefix eval/kafka-client run contract
// In the clean-clone CI run of 2026-12-03 on a loaded machine it failed "across kill -9": 3,050 outputs for 3,000 inputs.
import { join } from 'node:path';
import { config } from '../../../tests/support/env.js';
import { kafkaContract } from '../../../tests/integration/kafka/contract.js';
import { platformaticEdge } from '../src/platformatic/edge.js';

kafkaContract('@platformatic/kafka', () => platformaticEdge({ brokers: config.brokers, clientId: 'gexstream-test' }), {
  child: 'platformatic',
  childScript: join(import.meta.dirname, 'relayChild.js'),
});
