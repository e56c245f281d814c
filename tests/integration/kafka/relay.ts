// The body of the contract's kill -9 child: relays `input` to `output` exactly once through the edge named on the command
// line, printing "committed N" after every transaction. A script per package (tests/integration/kafka/relayChild.ts for
// kafkajs, eval/kafka-client/tests/relayChild.ts for the client under evaluation) calls it with the edges it knows.
//   node <script> <name> <input> <output> <groupId> <transactionalId>
import type { KafkaEdge } from '../../../src/kafka/edge.js';

export const runRelayChild = async (edges: Record<string, () => KafkaEdge>): Promise<void> => {
  const [name = '', input = '', output = '', groupId = '', transactionalId = ''] = process.argv.slice(2);
  const make = edges[name];
  if (!make) throw new Error(`unknown edge ${name}: one of ${Object.keys(edges).join(', ')}`);
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
};
