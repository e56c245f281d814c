// @platformatic/kafka (under evaluation) and every codec a producer may use: batches compressed by librdkafka (Python
// confluent-kafka) with gzip, snappy, lz4 and zstd are read back byte for byte, and its own compressed batches are read
// by librdkafka. (The kafkajs edge's codecs: the root's tests/integration/ingest/codecs.test.ts.)
import { execFileSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { platformaticEdge } from '../src/platformatic/edge.js';
import { createPlatformaticProducer } from '../src/platformatic/producer.js';
import type { InMessage } from '../../../src/kafka/transactional.js';
import { config, unique } from '../../../tests/support/env.js';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const N = 200;
const test = suite('@platformatic/kafka: every codec, both ways with librdkafka (real broker)');
const edge = platformaticEdge({ brokers: config.brokers, clientId: 'gexstream-test' });
const created: string[] = [];
const value = (codec: string, i: number): string => JSON.stringify({ codec, i, strikes: Array.from({ length: 20 }, (_, k) => [5000 + k * 5, (i * k) % 97, -(i + k) % 89]) });

const python = (script: string, ...args: string[]): string => execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8', timeout: 120_000 });

const PRODUCE = `
import sys, json
from confluent_kafka import Producer
brokers, topic, codec, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = Producer({'bootstrap.servers': brokers, 'compression.type': codec, 'linger.ms': 20, 'enable.idempotence': True})
for i in range(n):
    v = json.dumps({'codec': codec, 'i': i, 'strikes': [[5000 + k * 5, (i * k) % 97, -((i + k) % 89)] for k in range(20)]}, separators=(',', ':'))
    p.produce(topic, key=('k%d' % (i % 3)).encode(), value=v.encode())
assert p.flush(30) == 0
`;

const CONSUME = `
import sys, uuid
from confluent_kafka import Consumer
brokers, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Consumer({'bootstrap.servers': brokers, 'group.id': 'codecs-' + uuid.uuid4().hex, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe([topic])
seen = []
for _ in range(600):
    m = c.poll(0.2)
    if m is None:
        if len(seen) >= n: break
        continue
    if m.error(): raise SystemExit(str(m.error()))
    seen.append(m.value().decode())
c.close()
print('\\n'.join(seen))
`;

const topic = async (codec: string): Promise<string> => {
  const name = unique(`test.codecs.${codec}`);
  const admin = await edge.topicAdmin();
  try {
    await admin.apply({ type: 'create', spec: { name, partitions: 3, replicationFactor: 1, configs: { 'compression.type': 'producer' } } });
  } finally {
    await admin.close();
  }
  created.push(name);
  return name;
};

test.after(async () => {
  const admin = await edge.topicAdmin();
  await admin.deleteTopics(created).catch(() => undefined);
  await admin.close();
});

for (const codec of CODECS) {
  test(`reads a librdkafka ${codec} batch byte for byte`, async () => {
    const t = await topic(codec);
    python(PRODUCE, config.brokers.join(','), t, codec, String(N));
    const got: InMessage[] = [];
    await edge.readToEnd(t, (m) => void got.push(m));
    assert.equal(got.length, N);
    const values = got.map((m) => JSON.parse(m.value?.toString() ?? 'null') as { codec: string; i: number }).sort((a, b) => a.i - b.i);
    assert.equal(values.map((v) => v.i), Array.from({ length: N }, (_, i) => i));
    assert.ok(values.every((v) => v.codec === codec));
  });

  test(`writes a ${codec} batch that librdkafka reads`, async () => {
    const t = await topic(codec);
    const p = await createPlatformaticProducer({ brokers: config.brokers }, { compression: codec });
    try {
      await p.send([{ topic: t, messages: Array.from({ length: N }, (_, i) => ({ key: `k${i % 3}`, value: Buffer.from(value(codec, i)) })) }]);
    } finally {
      await p.close();
    }
    const read = python(CONSUME, config.brokers.join(','), t, String(N)).trim().split('\n');
    assert.equal(read.length, N);
    assert.equal(new Set(read), new Set(Array.from({ length: N }, (_, i) => value(codec, i))));
  });
}

test.run();
