// Runs the Kafka edge contract against the @platformatic/kafka implementation under evaluation (src/kafka/platformatic/).
// Not part of `npm test` (the product runs on kafkajs): run it by hand while evaluating, e.g.
//   node_modules/.bin/node node_modules/uvu/bin.js dist/tests/integration/kafka contract-platformatic.eval.js$
// In the clean-clone CI run of 2026-12-03 on a loaded machine it failed "across kill -9": 3,050 outputs for 3,000 inputs.
import { platformaticEdge } from '../../../src/kafka/platformatic/edge.js';
import { config } from '../../support/env.js';
import { kafkaContract } from './contract.js';

kafkaContract('@platformatic/kafka', () => platformaticEdge({ brokers: config.brokers, clientId: 'gexstream-test' }), { child: 'platformatic' });
