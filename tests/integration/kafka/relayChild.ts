// A child process for the contract's kill -9 test: relays `input` to `output` exactly once through the named edge
// implementation, printing "committed N" after every transaction. Another implementation plugs in by adding its name.
//   node relayChild.js <kafkajs|platformatic> <input> <output> <groupId> <transactionalId>
import { kafkajsEdge, type KafkaEdge } from '../../../src/kafka/edge.js';
import { platformaticEdge } from '../../../src/kafka/platformatic/edge.js';
import { config } from '../../support/env.js';

const edges: Record<string, () => KafkaEdge> = {
  kafkajs: () => kafkajsEdge({ brokers: config.brokers, clientId: 'gexstream-test-child' }),
  platformatic: () => platformaticEdge({ brokers: config.brokers, clientId: 'gexstream-test-child' }),
};
const [name = '', input = '', output = '', groupId = '', transactionalId = ''] = process.argv.slice(2);
const make = edges[name];
if (!make) throw new Error(`unknown edge ${name}`);
let committed = 0;
const p = await make().transactional({
  groupId,
  topics: [input],
  transactionalId,
  maxMessagesPerTransaction: 50,
  maxWaitTimeInMs: 200,
  sessionTimeout: 6_000,
  transform: async (batch) => [{ topic: output, messages: batch.map((m) => ({ key: m.key, value: m.value ?? Buffer.alloc(0), headers: { 'gex-origin': `${m.partition}/${m.offset}` } })) }],
  onCommitted: ({ messages }) => {
    committed += messages;
    process.stdout.write(`committed ${committed}\n`);
  },
});
process.once('SIGTERM', () => void p.stop().then(() => process.exit(0)));
await p.start();
