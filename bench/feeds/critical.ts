// A desk's critical feed as its own process (its own producer and event loop, like a real publisher): one NDX snapshot
// with requested level critical every INTERVAL ms to TOPIC until SIGTERM; prints how many it sent.
//   node dist/bench/feeds/critical.js TOPIC RUN_TAG [INTERVAL_MS]
import { generatePayloads } from '../../src/domain/generator.js';
import { H } from '../../src/domain/headers.js';
import { createProducer } from '../../src/kafka/producer.js';
import { kafka } from '../support.js';

const [topic, tag, every = '100'] = process.argv.slice(2);
if (!topic || !tag) throw new Error('usage: critical.js TOPIC RUN_TAG [INTERVAL_MS]');
const producer = await createProducer({ kafka: kafka() });
const payloads = [...generatePayloads({ seed: 77, tickers: ['NDX'], count: 2_000, strikes: 100 })];
let stop = false;
process.once('SIGTERM', () => (stop = true));
let sent = 0;
while (!stop) {
  const p = { ...(payloads[sent % payloads.length] as Record<string, unknown>), timestamp: Math.floor(Date.now() / 1000) };
  try {
    await producer.send([{ topic, messages: [{ key: 'NDX', value: Buffer.from(JSON.stringify(p)), headers: { [H.source]: 'desk', [H.dataType]: 'real_time', [H.requestedLevel]: 'critical', [H.requestId]: `crit-${tag}-${sent}`, [H.publishedAt]: String(Date.now()) } }] }]);
  } catch (err) {
    // a broker outage (the fault bench): this id may or may not be written, it is never sent again; the next one goes on
    process.stderr.write(`critical feed: send failed (${(err as Error).message}); going on\n`);
  }
  sent++;
  await new Promise((r) => setTimeout(r, Number(every)));
}
await producer.close();
process.stdout.write(`${sent}\n`);
