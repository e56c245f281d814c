// The contract of the Kafka edge (src/kafka/edge.ts) as the pipelines rely on it, as one suite to run against every
// implementation: `kafkaContract(name, () => edge)`. Real broker, random topics and groups per test, no fixed delays.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaEdge } from '../../../src/kafka/edge.js';
import type { InMessage } from '../../../src/kafka/transactional.js';
import type { TopicSpec } from '../../../src/domain/topicSpec.js';
import { eventually, unique } from '../../support/env.js';

const spec = (name: string, partitions: number, configs: Record<string, string> = {}): TopicSpec => ({
  name,
  partitions,
  replicationFactor: 1,
  configs: { 'cleanup.policy': 'delete', 'compression.type': 'producer', ...configs },
});

const text = (b: Buffer | null): string => b?.toString() ?? '<null>';

/**
 * `child` names the implementation in the relay child script, for the kill -9 test (a process boundary the factory cannot
 * cross); without it that test is left out. `childScript` is that script (compiled), relayChild.js next to this file
 * unless given: another package (eval/kafka-client) brings its own, which knows its edge.
 */
export const kafkaContract = (name: string, makeEdge: () => KafkaEdge, { child, childScript = join(import.meta.dirname, 'relayChild.js') }: { child?: string; childScript?: string } = {}): void => {
  const test = suite(`Kafka edge contract: ${name} (real broker)`);
  const edge = makeEdge();
  const created: string[] = [];
  const topic = async (prefix: string, partitions: number, configs: Record<string, string> = {}): Promise<string> => {
    const t = unique(`test.contract.${prefix}`);
    const admin = await edge.topicAdmin();
    try {
      await admin.apply({ type: 'create', spec: spec(t, partitions, configs) });
    } finally {
      await admin.close();
    }
    created.push(t);
    return t;
  };
  const readAll = async (t: string): Promise<InMessage[]> => {
    const out: InMessage[] = [];
    await edge.readToEnd(t, (m) => void out.push(m));
    return out;
  };
  const send = async (t: string, messages: Array<{ key: string; value: string; partition?: number }>): Promise<void> => {
    const p = await edge.producer();
    try {
      await p.send([{ topic: t, messages: messages.map((m) => ({ key: m.key, value: Buffer.from(m.value), ...(m.partition !== undefined ? { partition: m.partition } : {}) })) }]);
    } finally {
      await p.close();
    }
  };

  test.after(async () => {
    const admin = await edge.topicAdmin();
    await admin.deleteTopics(created).catch(() => undefined);
    await admin.close();
  });

  test('admin: creates a topic with its configs, reads it back, adds partitions, alters configs, deletes it', async () => {
    const admin = await edge.topicAdmin();
    try {
      assert.ok((await admin.brokerCount()) >= 1);
      const t = unique('test.contract.admin');
      created.push(t);
      await admin.apply({ type: 'create', spec: spec(t, 2, { 'retention.ms': '86400000', 'max.message.bytes': '2097152' }) });
      const read = await admin.readTopics([t, unique('test.contract.absent')]);
      assert.equal(read.size, 1, 'an absent topic is simply not in the result');
      const actual = read.get(t);
      assert.equal(actual?.partitions, 2);
      assert.equal(actual?.replicationFactor, 1);
      assert.equal(actual?.configs['retention.ms'], '86400000');
      assert.equal(actual?.configs['max.message.bytes'], '2097152');
      await admin.apply({ type: 'addPartitions', topic: t, from: 2, to: 3 });
      await admin.apply({ type: 'alterConfigs', topic: t, changes: [{ key: 'retention.ms', from: '86400000', to: '3600000' }], full: { 'cleanup.policy': 'delete', 'retention.ms': '3600000', 'max.message.bytes': '2097152' } });
      const after = (await admin.readTopics([t])).get(t);
      assert.equal(after?.partitions, 3);
      assert.equal(after?.configs['retention.ms'], '3600000');
      assert.equal(after?.configs['max.message.bytes'], '2097152', 'alterConfigs sets the full set: the untouched override stays');
      await admin.deleteTopics([t]);
      await eventually('the topic gone', async () => ((await admin.readTopics([t])).size === 0 ? true : undefined), 30_000);
    } finally {
      await admin.close();
    }
  });

  test('produce: exact bytes, key, headers, explicit partitions; one key always lands on one partition', async () => {
    const [a, b] = [await topic('produce-a', 3), await topic('produce-b', 2)];
    const p = await edge.producer();
    const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]);
    try {
      await p.send([
        { topic: a, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: Buffer.from(`a-${i}`), headers: { 'gex-n': String(i), 'gex-source': 'contract' } })) },
        { topic: b, messages: [{ key: null, value: binary, partition: 1 }, { key: Buffer.from('bin'), value: Buffer.from('second'), partition: 0 }] },
      ]);
    } finally {
      await p.close();
    }
    const inA = await readAll(a);
    assert.equal(inA.length, 20);
    assert.equal(new Set(inA.map((m) => text(m.value))), new Set(Array.from({ length: 20 }, (_, i) => `a-${i}`)));
    for (const m of inA) {
      const i = Number(text(m.value).slice(2));
      assert.equal(text(m.key), `k${i % 4}`);
      assert.equal(m.headers, { 'gex-n': String(i), 'gex-source': 'contract' });
      assert.ok(m.timestamp > Date.now() - 600_000, 'a produce time stamp');
    }
    const partitionOf = new Map<string, Set<number>>();
    for (const m of inA) (partitionOf.get(text(m.key)) ?? partitionOf.set(text(m.key), new Set()).get(text(m.key)))?.add(m.partition);
    for (const [k, ps] of partitionOf) assert.equal(ps.size, 1, `key ${k} on one partition`);
    // per partition, offsets follow the send order
    for (const part of new Set(inA.map((m) => m.partition))) {
      const ns = inA.filter((m) => m.partition === part).map((m) => Number(text(m.value).slice(2)));
      assert.equal(ns, [...ns].sort((x, y) => x - y));
    }
    const inB = await readAll(b);
    assert.equal(inB.map((m) => [m.partition, m.key === null ? null : text(m.key)]).sort(), [[0, 'bin'], [1, null]]);
    assert.ok(inB.find((m) => m.partition === 1)?.value?.equals(binary), 'binary bytes unchanged');
    const ends = await edge.endOffsets(b);
    assert.equal([...ends].sort(), [[0, 1], [1, 1]]);
  });

  test('transactional read-process-write: outputs and offsets commit together; a restart with the same group resumes after them', async () => {
    const [input, output] = [await topic('tx-in', 2), await topic('tx-out', 2)];
    const groupId = unique('test.contract.group');
    const transactionalId = unique('test.contract.tx');
    await send(input, Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 5}`, value: `in-${i}` })));
    const fetched: Array<{ partition: number; highWatermark: number; lastOffset: number }> = [];
    let committed = 0;
    const transform = async (batch: readonly InMessage[]) => [{ topic: output, messages: batch.map((m) => ({ key: m.key, value: Buffer.from(`out-${text(m.value).slice(3)}`), headers: { 'gex-origin': `${m.topic}/${m.partition}/${m.offset}` } })) }];
    const start = async () => {
      const p = await edge.transactional({ groupId, topics: [input], transactionalId, transform, maxMessagesPerTransaction: 7, maxWaitTimeInMs: 200, onCommitted: ({ messages }) => void (committed += messages), onFetched: (f) => void fetched.push(f) });
      await p.start();
      return p;
    };
    let p = await start();
    try {
      await eventually('40 committed', async () => (committed >= 40 ? true : undefined), 60_000, 20);
      // lag: every fetched batch knows its partition's end; the group's committed offsets reach it
      assert.ok(fetched.length > 0 && fetched.every((f) => f.highWatermark > f.lastOffset));
      const progress = await eventually('offsets committed to the end', async () => {
        const g = await edge.groupProgress(groupId, input);
        return g.every((x) => x.lag === 0 && x.committed === x.high) ? g : undefined;
      });
      assert.equal(progress.reduce((s, x) => s + x.high, 0), 40);
      await p.stop();
      p = await start();
      await send(input, Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 5}`, value: `in-${40 + i}` })));
      await eventually('the 10 new ones committed', async () => (committed >= 50 ? true : undefined), 60_000, 20);
    } finally {
      await p.stop();
    }
    assert.equal(committed, 50, 'the restart processed only what came after the committed offsets');
    const out = await readAll(output);
    assert.equal(out.length, 50, 'exactly once');
    assert.equal(new Set(out.map((m) => text(m.value))), new Set(Array.from({ length: 50 }, (_, i) => `out-${i}`)));
    assert.ok(out.every((m) => m.headers['gex-origin']?.startsWith(`${input}/`)));
  });

  test('transactional: a send refused inside the transaction aborts it; nothing it wrote is visible to read_committed; the chunk is processed again', async () => {
    const [input, output] = [await topic('abort-in', 1), await topic('abort-out', 1)];
    const tiny = await topic('abort-tiny', 1, { 'max.message.bytes': '1024' });
    await send(input, Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: `in-${i}` })));
    const groupId = unique('test.contract.group');
    const transactionalId = unique('test.contract.tx');
    let attempts = 0;
    let committed = 0;
    // The first attempt writes its records to `output`, then a record too large for `tiny`: the broker refuses it (not
    // retriable) after `output` got its records, and the transaction aborts. Later attempts write only to `output`.
    const transform = async (batch: readonly InMessage[]) => {
      attempts++;
      const outs = [{ topic: output, messages: batch.map((m) => ({ key: m.key, value: Buffer.from(`${attempts === 1 ? 'aborted' : 'out'}-${text(m.value)}`) })) }];
      return attempts === 1 ? [...outs, { topic: tiny, messages: [{ key: null, value: Buffer.alloc(4 * 1024 * 1024, 1) }] }] : outs;
    };
    const run = async (until: () => Promise<boolean>) => {
      const p = await edge.transactional({ groupId, topics: [input], transactionalId, transform, maxWaitTimeInMs: 200, onCommitted: ({ messages }) => void (committed += messages) });
      try {
        await p.start();
        await eventually('progress', async () => ((await until()) ? true : undefined), 90_000, 50);
      } finally {
        await p.stop();
      }
    };
    // An implementation may retry the chunk itself or stop its consumer on a refused send (kafkajs crashes it for good:
    // a supervisor restarts the role); either way the input offsets were not committed with the aborted outputs.
    await run(async () => committed >= 5 || ((await edge.endOffsets(output)).get(0) ?? 0) >= 6);
    if (committed < 5) await run(async () => committed >= 5);
    assert.ok(attempts >= 2, 'the chunk was processed again');
    assert.equal(committed, 5);
    const out = await readAll(output);
    assert.equal(out.map((m) => text(m.value)), ['out-in-0', 'out-in-1', 'out-in-2', 'out-in-3', 'out-in-4'], 'read_committed never sees the aborted records');
    const end = (await edge.endOffsets(output)).get(0) ?? 0;
    assert.ok(end >= 5 + 5 + 2, `the aborted records and both markers occupy offsets (end offset ${end})`);
    assert.equal(await readAll(tiny), []);
  });

  test('owned offsets: reads every partition from the positions the sink reports, again after a restart; the lag group follows', async () => {
    const input = await topic('owned', 2);
    await send(input, Array.from({ length: 20 }, (_, i) => ({ key: 'x', value: `m-${i}`, partition: i % 2 })));
    const stored = new Map<string, number>([[`${input}:0`, 4]]); // the sink already has partition 0 up to offset 3
    const seen: InMessage[] = [];
    const lagGroupId = unique('test.contract.lag');
    const errors: Error[] = [];
    const consumer = () =>
      edge.ownedOffsets({
        topics: [input],
        positions: async () => new Map(stored),
        onBatch: async (b) => {
          for (const m of b.messages) seen.push(m);
          const last = b.messages.at(-1);
          if (last) stored.set(`${b.topic}:${b.partition}`, last.offset + 1);
          assert.ok(b.highWatermark > (last?.offset ?? -1));
        },
        lagGroupId,
        onError: (e) => void errors.push(e),
      });
    let c = consumer();
    await c.start();
    try {
      assert.equal(c.partitions().get(input), 2);
      await eventually('assigned', async () => (c.assigned() ? true : undefined));
      await eventually('the rest read', async () => (seen.length >= 16 ? true : undefined));
      assert.equal(seen.filter((m) => m.partition === 0).map((m) => m.offset), [4, 5, 6, 7, 8, 9], 'partition 0 from the stored position');
      assert.equal(seen.filter((m) => m.partition === 1).map((m) => m.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'partition 1 from its start');
      await c.stop();
      // the sink "loses" the last two rows of partition 1 (say a crash before its own commit): they are read again
      stored.set(`${input}:1`, 8);
      seen.length = 0;
      c = consumer();
      await c.start();
      await send(input, [{ key: 'x', value: 'm-20', partition: 0 }]);
      await eventually('the re-read and the new one', async () => (seen.length >= 3 ? true : undefined));
      assert.equal(seen.map((m) => [m.partition, m.offset]).sort(), [[0, 10], [1, 8], [1, 9]]);
      const progress = await eventually('the lag group at the sink positions', async () => {
        const g = await edge.groupProgress(lagGroupId, input);
        return g.every((x) => x.lag === 0) ? g : undefined;
      }, 30_000);
      assert.equal(progress.map((x) => x.committed), [11, 10]);
    } finally {
      await c.stop();
    }
    assert.equal(errors, []);
  });

  test('lag: a group that has committed nothing is behind by the whole log, per partition', async () => {
    const input = await topic('lag', 3);
    await send(input, Array.from({ length: 9 }, (_, i) => ({ key: 'x', value: `v-${i}`, partition: i % 3 })));
    const g = await edge.groupProgress(`test.contract.nobody-${randomUUID()}`, input);
    assert.equal(g.map((x) => [x.partition, x.low, x.high, x.committed, x.lag]), [[0, 0, 3, null, 3], [1, 0, 3, null, 3], [2, 0, 3, null, 3]]);
  });

  test('transactional, across rebalances: a second member joining mid-stream and the first leaving, input flowing meanwhile; every input exactly once', async () => {
    const N = 4_000; // at least; input keeps arriving until the first member has left, however slow the machine
    const [input, output] = [await topic('rebalance-in', 3), await topic('rebalance-out', 3)];
    const groupId = unique('test.contract.group');
    const pad = 'y'.repeat(2_000);
    // input keeps arriving (40 records every 100 ms, at least N of them, and until the first member has left) so that
    // both members have work across both rebalances: on a loaded machine the joins take longer, and so does the input
    const p = await edge.producer();
    let fed = 0;
    let aLeft = false;
    const feeding = (async () => {
      while (fed < N || !aLeft) {
        await p.send([{ topic: input, messages: Array.from({ length: 40 }, (_, k) => ({ key: `k${(fed + k) % 7}`, value: Buffer.from(`in-${fed + k}-${pad}`) })) }]);
        fed += 40;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const committed = { a: 0, b: 0 };
    const member = async (who: 'a' | 'b') => {
      const m = await edge.transactional({
        groupId,
        topics: [input],
        transactionalId: unique(`test.contract.tx-${who}`),
        maxMessagesPerTransaction: 50,
        maxWaitTimeInMs: 200,
        sessionTimeout: 6_000,
        transform: async (batch) => [{ topic: output, messages: batch.map((x) => ({ key: x.key, value: x.value ?? Buffer.alloc(0) })) }],
        onCommitted: ({ messages }) => void (committed[who] += messages),
      });
      await m.start();
      return m;
    };
    const a = await member('a');
    let b: Awaited<ReturnType<typeof member>> | null = null;
    try {
      await eventually('a under way', async () => (committed.a >= 200 ? true : undefined), 60_000, 5);
      b = await member('b');
      await eventually('b under way', async () => (committed.b >= 100 ? true : undefined), 60_000, 5);
      await a.stop();
      aLeft = true;
      await feeding;
      await eventually('every input committed', async () => ((await edge.groupProgress(groupId, input)).every((x) => x.lag === 0) ? true : undefined), 120_000, 250);
    } finally {
      aLeft = true; // a failure above must not leave the feeder running
      await feeding.catch(() => undefined);
      await p.close();
      await a.stop().catch(() => undefined);
      await b?.stop();
    }
    const out = await readAll(output);
    assert.ok(fed >= N, `${fed} inputs sent`);
    assert.equal(new Set(out.map((m) => text(m.value).split('-')[1])).size, fed, 'none missing');
    assert.equal(out.length, fed, `none twice (a committed ${committed.a}, b ${committed.b})`);
  });

  if (child)
    test('transactional, across kill -9: every input exactly once in the output after three kills mid-stream and restarts with the same ids', async () => {
      const N = 3_000;
      const [input, output] = [await topic('chaos-in', 3), await topic('chaos-out', 3)];
      const groupId = unique('test.contract.group');
      const transactionalId = unique('test.contract.tx');
      const pad = 'x'.repeat(2_000); // ~2 KB records: transactions take long enough to be killed in flight
      const p = await edge.producer();
      try {
        for (let i = 0; i < N; i += 500) await p.send([{ topic: input, messages: Array.from({ length: 500 }, (_, k) => ({ key: `k${(i + k) % 7}`, value: Buffer.from(`in-${i + k}-${pad}`) })) }]);
      } finally {
        await p.close();
      }
      let progress = 0; // transactions reported by the current child
      const spawnChild = (): ChildProcess => {
        progress = 0;
        const c = spawn(process.execPath, [childScript, child, input, output, groupId, transactionalId], { stdio: ['ignore', 'pipe', 'inherit'] });
        c.stdout?.on('data', (d: Buffer) => void (progress += String(d).split('\n').filter((l) => l.startsWith('committed')).length));
        return c;
      };
      let c = spawnChild();
      try {
        for (let k = 0; k < 3; k++) {
          const after = 3 + k * 4; // transactions of this child before its kill: a different point each time
          await eventually(`child ${k + 1} committing`, async () => (progress >= after ? true : undefined), 60_000, 5);
          c.kill('SIGKILL');
          await once(c, 'exit');
          c = spawnChild();
        }
        await eventually('every input committed', async () => ((await edge.groupProgress(groupId, input)).every((x) => x.lag === 0) ? true : undefined), 120_000, 250);
      } finally {
        c.kill('SIGTERM');
        await once(c, 'exit');
      }
      const out = await readAll(output);
      const ids = out.map((m) => text(m.value).split('-')[1]);
      assert.equal(new Set(ids).size, N, 'none missing');
      assert.equal(out.length, N, 'none twice');
    });

  test.run();
};
