// The client evaluation of issue 11: the root's Kafka clients bench (bench/clients.ts) with @platformatic/kafka next to
// kafkajs, side by side in one run (default clients kafkajs,platformatic; `kafkajs-stock` may be added).
//   npm --prefix eval/kafka-client run bench -- [RUNS] [COUNT] [raw|level] [CLIENTS]
import { randomUUID } from 'node:crypto';
import { Consumer, type Message } from '@platformatic/kafka';
import { runClientsBench } from '../../../bench/clients.js';
import { config } from '../../../bench/support.js';
import { platformaticEdge } from '../src/platformatic/edge.js';

/** @platformatic/kafka's bare consume: a fresh group from the earliest offsets, its message stream, no commits. */
const consume = async (topic: string, N: number): Promise<number> => {
  const c = new Consumer({ clientId: 'gexstream-bench', bootstrapBrokers: config.brokers, groupId: `bench-clients-${randomUUID()}`, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 32 * 1024 * 1024, maxWaitTime: 500 });
  const t0 = process.hrtime.bigint();
  const stream = await c.consume({ topics: [topic], mode: 'earliest', autocommit: false, highWaterMark: 4096 }); // messages buffered (default 1024): room for a 2,000-message chunk
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (m: Message) => {
      if (m.value) n++;
      if (n === N) resolve();
    });
    stream.on('error', reject);
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await stream.close();
  await c.close();
  return s;
};

await runClientsBench({ platformatic: { name: '@platformatic/kafka 2.12.1', edge: platformaticEdge({ brokers: config.brokers, clientId: 'gexstream-bench' }), consume } }, 'kafkajs,platformatic');
