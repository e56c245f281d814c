// kill -9 of the projector process at random moments, five times, then a clean run: every table must hold exactly the
// generator's ground truth (nothing lost, nothing twice), and the Parquet tree must agree with DuckDB.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auditParquet } from '../../../src/duckdb/parquet.js';
import { openStore } from '../../../src/duckdb/store.js';
import { eventually } from '../../support/env.js';
import { groupConsumed, spawnRun } from '../../support/pipeline.js';
import { generatedDay, isolatedProjection, sendTruth } from '../../support/projection.js';

const KILLS = Number(process.env['CHAOS_KILLS'] ?? 5);

/** A port the system just handed out, for a child's ops server that the test must reach. */
const freePort = async (): Promise<number> => {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
};

/** Rows this projector process has written since it started, from its /metrics (undefined until it answers). */
const projectedSinceStart = async (port: number): Promise<number | undefined> => {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return [...text.matchAll(/^gexstream_projected_rows_total\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
  } catch {
    return undefined;
  }
};

test(`projector killed -9 ${KILLS} times: no row lost or duplicated in any table`, async () => {
  const iso = await isolatedProjection('chaos');
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-proj-chaos-'));
  const db = join(dir, 'state.duckdb');
  const pq = join(dir, 'pq');
  const children: ChildProcess[] = [];
  const args = ['--role', 'projector', '--topic-prefix', iso.prefix, '--db', db, '--parquet', pq, '--segment-offsets', '256'];
  try {
    const truth = generatedDay({ seed: 21, count: 4000, strikes: 100 });
    await sendTruth(iso.topics, truth);
    const progress: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const port = await freePort();
      const child = spawnRun([...args, '--ops-port', String(port)]);
      children.push(child);
      // kill at a random moment after this process's first stored batch, however long its start took (a busy CI);
      // once an earlier process has stored every snapshot there may be nothing left to store: then after its start
      const done = (progress.at(-1) ?? 0) >= truth.processed.length;
      await eventually(`projector ${k + 1} ${done ? 'answering' : 'storing rows'}`, async () => {
        const rows = await projectedSinceStart(port);
        return rows !== undefined && (done || rows > 0) ? true : undefined;
      }, 60_000, 50);
      await new Promise((r) => setTimeout(r, Math.random() * 400)); // a random moment inside the work, not a wait for it
      child.kill('SIGKILL');
      await once(child, 'exit');
      // how far the killed process got (DuckDB replays its WAL on open; an open transaction is rolled back)
      const s = await openStore(db, { readOnly: true });
      const r = await s.connection.runAndReadAll('SELECT count(*) FROM gex_snapshots');
      progress.push(Number(r.getRows()[0]?.[0]));
      s.close();
    }
    const last = spawnRun(args);
    children.push(last);
    const lagGroup = `${iso.prefix}.projector`;
    let seen = '';
    await eventually(
      'the restarted projector finished',
      async () => {
        const p = await groupConsumed(lagGroup, iso.topics.processed);
        const j = await groupConsumed(lagGroup, iso.topics.jobs);
        seen = `processed ${p}/${truth.processed.length}, jobs ${j}/${truth.jobs.length}; progress at kills ${progress.join(', ')}`;
        return p >= truth.processed.length && j >= truth.jobs.length ? true : undefined;
      },
      120_000,
      1000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${seen}`);
    });
    last.kill('SIGTERM');
    const [code] = (await once(last, 'exit')) as [number | null];
    assert.is(code, 0, 'SIGTERM stops the projector cleanly');
    // the kills landed while work was in progress, not all before or after it
    assert.ok(progress.some((n) => n > 0 && n < truth.processed.length), `progress at the kills: ${progress.join(', ')}`);

    const store = await openStore(db, { readOnly: true });
    try {
      const q = async (sql: string): Promise<unknown[][]> => (await store.connection.runAndReadAll(sql)).getRows();
      const ids = (await q('SELECT request_id FROM gex_snapshots ORDER BY request_id')).map((r) => String(r[0]));
      assert.equal(ids, truth.processed.map((p) => p.request_id).sort());
      const strikes = truth.processed.reduce((a, p) => a + p.snapshot.strikes.count, 0);
      assert.equal((await q('SELECT count(*), count(DISTINCT (request_id, strike)) FROM gex_strikes'))[0]?.map(Number), [strikes, strikes]);
      assert.equal((await q('SELECT count(*), count(DISTINCT event_key) FROM processing_jobs'))[0]?.map(Number), [truth.jobs.length, truth.jobs.length]);
      assert.is(Number((await q('SELECT count(*) FROM priority_requests'))[0]?.[0]), truth.processed.length);
      assert.is(Number((await q('SELECT count(*) FROM lineage'))[0]?.[0]), truth.processed.filter((p) => p.lineage).length);
      assert.is(Number((await q('SELECT count(*) FROM dead_letters'))[0]?.[0]), truth.deadLetters.length);
      const finalStats = truth.sources[truth.sources.length - 1];
      assert.equal((await q('SELECT source, total_requests FROM data_sources'))[0]?.map(String), [finalStats?.source, String(finalStats?.total_requests)]);
      const dbSums = (await store.checksums()).filter((s) => s.table === 'gex_snapshots' || s.table === 'gex_strikes');
      const mem = await DuckDBInstance.create(':memory:');
      const c = await mem.connect();
      const { sums } = await auditParquet(c, pq);
      c.closeSync();
      mem.closeSync();
      assert.equal(sums, dbSums, 'the Parquet tree holds exactly the DuckDB rows');
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
