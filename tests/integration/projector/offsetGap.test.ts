// Stored offsets that the topic cannot honour (a topic recreated under the projector's DuckDB file): the projector
// refuses to start and says what to do, and with the explicit flag it goes on from the log start and counts the gap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProducer } from '../../../src/kafka/producer.js';
import { openStore } from '../../../src/duckdb/store.js';
import { OffsetGapError, OtherClusterError } from '../../../src/kafka/ownedOffsets.js';
import { CLUSTER_META_KEY, createProjector } from '../../../src/pipelines/project.js';
import { eventually, kafka } from '../../support/env.js';
import { registry } from '../../support/pipeline.js';
import { caughtUp, generatedDay, isolatedProjection, processedEncoder, sendTruth } from '../../support/projection.js';

const countSnapshots = async (p: Awaited<ReturnType<typeof createProjector>>): Promise<number> =>
  p.read(async (c) => Number((await c.runAndReadAll('SELECT count(*) FROM gex_snapshots')).getRows()[0]?.[0]));

/** Deletes the topic and creates it again, empty, with the same partition count (deletion completes asynchronously). */
const recreate = async (topic: string, partitions: number): Promise<void> => {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
    await eventually(`${topic} created again`, async () => {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.length === partitions && offsets.every((o) => Number(o.high) === 0) ? true : undefined;
    }, 60_000, 500);
  } finally {
    await admin.disconnect();
  }
};

test('a topic recreated under stored offsets: refused with the way out, or gone on from the log start with the flag', async () => {
  const iso = await isolatedProjection('gap');
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-gap-'));
  const db = join(dir, 'state.duckdb');
  try {
    const before = generatedDay({ seed: 41, count: 300 });
    await sendTruth(iso.topics, before);
    const first = await createProjector({ kafka: kafka(), registry, db, parquet: null, topology: iso.topology, lagGroupId: null });
    await first.start();
    await eventually('the first projector caught up', async () => ((await caughtUp(iso.topics, first.positions)) ? true : undefined), 60_000);
    assert.is(await countSnapshots(first), 300);
    await first.stop();

    // the processed topic is recreated and gets fewer new snapshots than the file's stored positions
    await recreate(iso.topics.processed, 3);
    const after = generatedDay({ seed: 41, count: 30, from: 300 }).processed;
    const enc = await processedEncoder();
    const producer = await createProducer({ kafka: kafka() });
    await producer.send([{ topic: iso.topics.processed, messages: after.map((p) => ({ key: p.snapshot.ticker, value: enc.encode(p) })) }]);
    await producer.close();

    // without the flag: no start, and the message names the partition and the way out
    const refused = await createProjector({ kafka: kafka(), registry, db, parquet: null, topology: iso.topology, lagGroupId: null });
    try {
      const err = await refused.start().then(() => null, (e: Error) => e);
      assert.instance(err, OffsetGapError, 'the start is refused');
      assert.match(err?.message ?? '', `${iso.topics.processed}[`);
      assert.match(err?.message ?? '', 'past the partition\'s end');
      assert.match(err?.message ?? '', 'gexstream replay --db');
      assert.match(err?.message ?? '', '--accept-offset-gap');
      assert.is((err as OffsetGapError).retriable, false);
      assert.ok((err as OffsetGapError).gaps.every((g) => g.topic === iso.topics.processed && g.kind === 'ahead'), 'only the recreated topic has gaps');
    } finally {
      await refused.stop();
    }

    // with the flag: the 30 new snapshots are projected (today 0 were), and the gap is reported
    const accepted = await createProjector({ kafka: kafka(), registry, db, parquet: null, topology: iso.topology, lagGroupId: null, acceptOffsetGap: true });
    try {
      await accepted.start();
      await eventually('the new snapshots projected', async () => ((await countSnapshots(accepted)) === 330 ? true : undefined), 60_000);
      const gaps = accepted.stats().offsetGaps;
      assert.ok(gaps.length > 0 && gaps.every((g) => g.kind === 'ahead' && g.resumeAt === 0), JSON.stringify(gaps));
      assert.is(gaps.reduce((a, g) => a + g.size, 0), 300, 'the gap is the 300 offsets the file had stored on that topic');
    } finally {
      await accepted.stop();
    }

    // the file now holds positions that fit: a plain restart starts without the flag
    const again = await createProjector({ kafka: kafka(), registry, db, parquet: null, topology: iso.topology, lagGroupId: null });
    try {
      await again.start();
      assert.equal(again.stats().offsetGaps, []);
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await iso.cleanup();
  }
});

test('records deleted by retention before the projector read them: refused, or counted and skipped with the flag', async () => {
  const iso = await isolatedProjection('retention', 1);
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-gap-'));
  const db = join(dir, 'state.duckdb');
  try {
    await sendTruth(iso.topics, generatedDay({ seed: 43, count: 100 }));
    const first = await createProjector({ kafka: kafka(), registry, db, parquet: null, topology: iso.topology, lagGroupId: null });
    await first.start();
    await eventually('the first projector caught up', async () => ((await caughtUp(iso.topics, first.positions)) ? true : undefined), 60_000);
    await first.stop();
    // while it is down, 40 more arrive and retention deletes them (and everything before) unread
    const more = generatedDay({ seed: 43, count: 40, from: 100 }).processed;
    const enc = await processedEncoder();
    const producer = await createProducer({ kafka: kafka() });
    await producer.send([{ topic: iso.topics.processed, messages: more.map((p) => ({ key: p.snapshot.ticker, value: enc.encode(p) })) }]);
    await producer.close();
    const admin = kafka().admin();
    await admin.connect();
    const [end] = await admin.fetchTopicOffsets(iso.topics.processed);
    await admin.deleteTopicRecords({ topic: iso.topics.processed, partitions: [{ partition: 0, offset: String(end?.high) }] });
    await admin.disconnect();

    const refused = await createProjector({ kafka: kafka(), registry, db, parquet: null, topology: iso.topology, lagGroupId: null });
    try {
      const err = await refused.start().then(() => null, (e: Error) => e);
      assert.instance(err, OffsetGapError);
      assert.match(err?.message ?? '', 'below the log start');
      assert.match(err?.message ?? '', 'retention deleted 40 record(s) never read');
    } finally {
      await refused.stop();
    }
    const accepted = await createProjector({ kafka: kafka(), registry, db, parquet: null, topology: iso.topology, lagGroupId: null, acceptOffsetGap: true });
    try {
      await accepted.start();
      assert.equal(accepted.stats().offsetGaps.map((g) => [g.kind, g.size]), [['behind', 40]]);
      assert.is(await countSnapshots(accepted), 100, 'what was projected stays');
    } finally {
      await accepted.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await iso.cleanup();
  }
});


test('a file whose offsets were taken on another Kafka cluster: refused, even when its positions fit these topics', async () => {
  const iso = await isolatedProjection('cluster', 1);
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-gap-'));
  const db = join(dir, 'state.duckdb');
  try {
    await sendTruth(iso.topics, generatedDay({ seed: 47, count: 50 }));
    const first = await createProjector({ kafka: kafka(), registry, db, parquet: null, topology: iso.topology, lagGroupId: null });
    await first.start();
    await eventually('the first projector caught up', async () => ((await caughtUp(iso.topics, first.positions)) ? true : undefined), 60_000);
    await first.stop();
    // the file records the cluster its offsets belong to
    const store = await openStore(db);
    const recorded = await store.meta(CLUSTER_META_KEY);
    const admin = kafka().admin();
    await admin.connect();
    const { clusterId } = await admin.describeCluster();
    await admin.disconnect();
    assert.is(recorded, clusterId);
    // as if the file had been built against a stack that was reset since (a new cluster with topics of the same names,
    // which already hold more records than the stored positions: no offset gap would show it)
    await store.setMeta(CLUSTER_META_KEY, 'an-earlier-cluster');
    store.close();
    const refused = await createProjector({ kafka: kafka(), registry, db, parquet: null, topology: iso.topology, lagGroupId: null, acceptOffsetGap: true });
    try {
      const err = await refused.start().then(() => null, (e: Error) => e);
      assert.instance(err, OtherClusterError, 'the start is refused, with or without --accept-offset-gap');
      assert.match(err?.message ?? '', `taken on Kafka cluster an-earlier-cluster, and this is cluster ${clusterId}`);
      assert.match(err?.message ?? '', 'gexstream replay --db');
    } finally {
      await refused.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await iso.cleanup();
  }
});

test.run();
