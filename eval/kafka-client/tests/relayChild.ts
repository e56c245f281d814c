// The contract's kill -9 child on the client under evaluation (the relay itself is the root's tests/integration/kafka/relay.ts).
//   node relayChild.js platformatic <input> <output> <groupId> <transactionalId>
import { config } from '../../../tests/support/env.js';
import { runRelayChild } from '../../../tests/integration/kafka/relay.js';
import { platformaticEdge } from '../src/platformatic/edge.js';

await runRelayChild({ platformatic: () => platformaticEdge({ brokers: config.brokers, clientId: 'gexstream-test-child' }) });
