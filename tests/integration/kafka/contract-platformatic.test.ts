// Runs the Kafka edge contract against the @platformatic/kafka implementation under evaluation (src/kafka/platformatic/).
import { platformaticEdge } from '../../../src/kafka/platformatic/edge.js';
import { config } from '../../support/env.js';
import { kafkaContract } from './contract.js';

kafkaContract('@platformatic/kafka', () => platformaticEdge({ brokers: config.brokers, clientId: 'gexstream-test' }), { child: 'platformatic' });
