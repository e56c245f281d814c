// Runs the Kafka edge contract against the implementation the pipelines use (kafkajs behind src/kafka/).
import { kafkajsEdge } from '../../../src/kafka/edge.js';
import { config } from '../../support/env.js';
import { kafkaContract } from './contract.js';

kafkaContract('kafkajs', () => kafkajsEdge({ brokers: config.brokers, clientId: 'gexstream-test' }), { child: 'kafkajs' });
