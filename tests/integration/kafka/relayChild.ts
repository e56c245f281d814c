// A child process for the contract's kill -9 test on kafkajs (see relay.ts; the client under evaluation has its own in
// eval/kafka-client/tests/relayChild.ts).
//   node relayChild.js kafkajs <input> <output> <groupId> <transactionalId>
import { kafkajsEdge } from '../../../src/kafka/edge.js';
import { config } from '../../support/env.js';
import { runRelayChild } from './relay.js';

await runRelayChild({ kafkajs: () => kafkajsEdge({ brokers: config.brokers, clientId: 'gexstream-test-child' }) });
