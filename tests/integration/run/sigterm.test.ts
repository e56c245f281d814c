// `gexstream run` (all roles: prioritizer, processors, projector, API) stopped with SIGTERM in the middle of a load:
// it exits 0 within its bound, and after a restart finishes the work, nothing is lost or duplicated, on the processed
// topic and in every DuckDB table.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeadLetter } from '../../../src/domain/deadLetter.js';
import { generatePayloads } from '../../../src/domain/generator.js';
import { LEVELS } from '../../../src/domain/priority/level.js';
import { openStore } from '../../../src/duckdb/store.js';
import { createProducer } from '../../../src/kafka/producer.js';
import { publishFiles } from '../../../src/pipelines/publish.js';
import { eventually, kafka, unique } from '../../support/env.js';
import { groupCaughtUp, registry, spawnRun } from '../../support/pipeline.js';
import { readProcessed } from '../../support/processing.js';
import { isolatedPipeline } from '../../support/projection.js';

const N = 2_000;

test('SIGTERM during load: clean exit, then no lost or duplicated rows', async () => {
  const iso = await isolatedPipeline('sigterm');
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-sigterm-'));
  const args = ['--topic-prefix', iso.prefix, '--db', join(dir, 'state.duckdb'), '--parquet', join(dir, 'pq'), '--instance', unique('st')];
  const children: ReturnType<typeof spawnRun>[] = [];
  try {
    const file = join(dir, 'session.jsonl');
    writeFileSync(file, [...generatePayloads({ seed: 51, tickers: ['SPX', 'NDX', 'QQQ'], count: N, strikes: 60 })].map((p) => JSON.stringify(p)).join('\n'));
    const dlq = await registry.encoder<DeadLetter>(`${iso.topics.dlq}-value`);
    const producer = await createProducer({ kafka: kafka() });
    await publishFiles([file], { producer, encodeDeadLetter: dlq.encode }, { topology: iso.topology, source: 'gexbot', dataType: 'real_time' });
    await producer.close();

    const first = spawnRun(args);
    children.push(first);
    // mid-load: the projector has committed some processed snapshots, far from all
    await eventually('work under way', async () => {
      const admin = kafka().admin();
      await admin.connect();
      const [c] = await admin.fetchOffsets({ groupId: `${iso.prefix}.projector`, topics: [iso.topics.processed] });
      await admin.disconnect();
      return (c?.partitions ?? []).some((p) => Number(p.offset) > 0) ? true : undefined;
    }, 90_000, 100);
    const t0 = Date.now();
    first.kill('SIGTERM');
    const [code] = (await once(first, 'exit')) as [number | null];
    const stopMs = Date.now() - t0;
    assert.is(code, 0, 'SIGTERM drains, commits and exits 0');
    assert.ok(stopMs < 30_000, `stopped within the 30 s bound (${stopMs} ms)`);

    // the restart may find nothing left to do: wait until it runs (its API answers once every role has started)
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const second = spawnRun([...args, '--http-port', String(port)]);
    children.push(second);
    await eventually('the restarted run is up', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) ? true : undefined), 60_000, 200);
    await eventually('the restarted pipeline finished', async () => {
      for (const l of LEVELS) if (!(await groupCaughtUp(`${iso.prefix}.processor-${l}`, iso.levelTopic(l)))) return undefined;
      if (!(await groupCaughtUp(`${iso.prefix}.prioritizer`, iso.raw))) return undefined;
      return (await groupCaughtUp(`${iso.prefix}.projector`, iso.topics.processed)) && (await groupCaughtUp(`${iso.prefix}.projector`, iso.topics.jobs)) ? true : undefined;
    }, 180_000, 1000);
    second.kill('SIGTERM');
    const [code2] = (await once(second, 'exit')) as [number | null];
    assert.is(code2, 0);

    const processed = await readProcessed(iso.topics.processed);
    const ids = new Set(processed.map((p) => p.request_id));
    assert.equal([processed.length, ids.size], [N, N], 'the processed topic holds each snapshot exactly once');
    const store = await openStore(join(dir, 'state.duckdb'), { readOnly: true });
    try {
      const one = async (sql: string): Promise<number[]> => ((await store.connection.runAndReadAll(sql)).getRows()[0] ?? []).map(Number);
      assert.equal(await one('SELECT count(*), count(DISTINCT request_id) FROM gex_snapshots'), [N, N]);
      const strikes = processed.reduce((a, p) => a + p.snapshot.strikes.count, 0);
      assert.equal(await one('SELECT count(*), count(DISTINCT (request_id, strike)) FROM gex_strikes'), [strikes, strikes]);
      assert.equal(await one("SELECT count(*), count(DISTINCT request_id) FROM processing_jobs WHERE status = 'COMPLETED'"), [N, N], 'one COMPLETED per request');
      assert.equal(await one('SELECT count(*) FROM priority_requests'), [N]);
    } finally {
      store.close();
    }
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await iso.cleanup();
  }
});

test.run();
