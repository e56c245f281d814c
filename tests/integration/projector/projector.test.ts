// The projector against the real broker and registry: a live run of generated events, then replays into fresh files
// must give the same tables (row counts and checksums) and the same Parquet files; --until gives the state of that time.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listParquet } from '../../../src/duckdb/parquet.js';
import { openStore, type TableSum } from '../../../src/duckdb/store.js';
import { createProjector } from '../../../src/pipelines/project.js';
import { eventually, kafka } from '../../support/env.js';
import { registry } from '../../support/pipeline.js';
import { caughtUp, generatedDay, isolatedProjection, sendTruth } from '../../support/projection.js';

const run = promisify(execFile);
const cli = async (args: string[]): Promise<{ stdout: string; stderr: string }> =>
  run(process.execPath, [join(process.cwd(), 'bin', 'gexstream.js'), ...args], { env: { ...process.env, GEXSTREAM_LOG_LEVEL: 'warn' }, maxBuffer: 64 * 1024 * 1024 });

const byTable = (sums: readonly TableSum[]): Record<string, string> => Object.fromEntries(sums.map((s) => [s.table, `${s.rows}:${s.checksum}`]));

const parquetTree = (dir: string): Record<string, string> =>
  Object.fromEntries(listParquet(dir).map((p) => [relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex')]));

test('live projection of a generated day equals its replay; --until gives the state as of that time', async () => {
  const iso = await isolatedProjection('live');
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-proj-'));
  try {
    const part1 = generatedDay({ seed: 11, count: 300 });
    const part2 = generatedDay({ seed: 11, count: 200, from: 300 });
    // a message on the processed topic that is not Avro: the projector dead-letters it and goes on
    await sendTruth(iso.topics, part1, { processed: [{ key: 'SPX', value: Buffer.from('{"not":"avro"}') }] });
    const projector = await createProjector({ kafka: kafka(), registry, db: join(dir, 'live.duckdb'), parquet: join(dir, 'live-pq'), topology: iso.topology, lagGroupId: null, segmentOffsets: 64, flushMs: 200 });
    await projector.start();
    let stopped = false;
    try {
      await eventually('projector caught up with part 1', async () => ((await caughtUp(iso.topics, projector.positions)) ? true : undefined), 60_000);
      const atT = byTable(await projector.checksums());
      const T = Date.now();
      await new Promise((r) => setTimeout(r, 20));
      await sendTruth(iso.topics, part2);
      await eventually('projector caught up with part 2', async () => ((await caughtUp(iso.topics, projector.positions)) ? true : undefined), 60_000);

      // the latest-snapshot view holds the newest snapshot per ticker and kind
      const newestSpx = [...part1.processed, ...part2.processed].filter((p) => p.snapshot.ticker === 'SPX').reduce((a, b) => (b.snapshot.timestamp_ms >= a.snapshot.timestamp_ms ? b : a));
      const latest = projector.latest('SPX');
      assert.is(latest.length, 1);
      assert.is(latest[0]?.processed.request_id, newestSpx.request_id);
      const viewOf = (p: { latest: () => Array<{ processed: { snapshot: { ticker: string; kind: string } } }> }): string[] =>
        p.latest().map((l) => JSON.stringify(l)).sort();
      const viewBefore = viewOf(projector);
      assert.is(viewBefore.length, 3, 'one newest snapshot per ticker');
      await projector.stop();
      stopped = true;

      // restarted on the same file, before any new snapshot: the same latest-snapshot view, read back from the topic
      const again = await createProjector({ kafka: kafka(), registry, db: join(dir, 'live.duckdb'), parquet: null, topology: iso.topology, lagGroupId: null });
      await again.start();
      try {
        assert.equal(viewOf(again), viewBefore);
      } finally {
        await again.stop();
      }

      const store = await openStore(join(dir, 'live.duckdb'), { readOnly: true });
      const live = await store.checksums();
      const strikeKeys = await store.connection.runAndReadAll('SELECT count(*), count(DISTINCT (request_id, strike)) FROM gex_strikes');
      const dl = await store.connection.runAndReadAll("SELECT stage, reason FROM dead_letters WHERE stage = 'project'");
      store.close();
      const all = [...part1.processed, ...part2.processed];
      const rows = Object.fromEntries(live.map((s) => [s.table, s.rows]));
      // against the ground truth
      assert.equal(rows, {
        priority_requests: 500,
        processing_jobs: 1500,
        data_sources: 1,
        priority_rules: 4,
        gex_snapshots: 500,
        gex_strikes: all.reduce((a, p) => a + p.snapshot.strikes.count, 0),
        dead_letters: 7,
        lineage: all.filter((p) => p.lineage !== null).length,
      });
      assert.equal(strikeKeys.getRows()[0]?.map(Number), [rows['gex_strikes'], rows['gex_strikes']]);
      assert.is(dl.getRows().length, 1);
      assert.match(String(dl.getRows()[0]?.[1]), /not a .*processed-value Avro value/);

      // full replay: identical tables and Parquet files
      const full = JSON.parse((await cli(['replay', '--db', join(dir, 'replay.duckdb'), '--parquet', join(dir, 'replay-pq'), '--topic-prefix', iso.prefix, '--segment-offsets', '64', '--json'])).stdout) as { tables: TableSum[] };
      assert.equal(byTable(full.tables), byTable(live));
      const liveTree = parquetTree(join(dir, 'live-pq'));
      assert.ok(Object.keys(liveTree).length >= 6, `expected several Parquet segments, got ${Object.keys(liveTree).length}`);
      assert.ok(Object.keys(liveTree).every((p) => /^gex_(snapshots|strikes)\/symbol=[A-Z]+\/date=\d{4}-\d{2}-\d{2}\/.+-\d+-\d+\.parquet$/.test(p)), Object.keys(liveTree).join('\n'));
      assert.equal(parquetTree(join(dir, 'replay-pq')), liveTree);
      // independent readers: pyarrow and polars read the tree with hive partitioning
      const py = await run('python3', [join(process.cwd(), 'tests', 'interop', 'read_parquet.py'), join(dir, 'live-pq')]);
      const readers = JSON.parse(py.stdout) as Record<string, Record<'pyarrow' | 'polars', { rows: number; symbols: string[]; dates: string[]; sum: number }>>;
      const strikeSum = Math.round(all.reduce((a, p) => a + p.snapshot.strikes.strike.reduce((b, k) => b + k, 0), 0) * 1e6) / 1e6;
      for (const reader of ['pyarrow', 'polars'] as const) {
        assert.equal(readers['gex_strikes']?.[reader], { rows: rows['gex_strikes'], symbols: ['NDX', 'QQQ', 'SPX'], dates: ['2025-11-07'], sum: strikeSum }, reader);
        assert.is(readers['gex_snapshots']?.[reader].rows, 500, reader);
      }
      const audit = await cli(['audit', '--parquet', join(dir, 'live-pq'), '--db', join(dir, 'live.duckdb'), '--json']);
      assert.equal((JSON.parse(audit.stdout) as { mismatches: string[] }).mismatches, []);

      // --until T: the state the live projector had at T
      const until = JSON.parse((await cli(['replay', '--db', join(dir, 'until.duckdb'), '--until', new Date(T).toISOString(), '--topic-prefix', iso.prefix, '--json'])).stdout) as { tables: TableSum[] };
      assert.equal(byTable(until.tables), atT);
      assert.not.equal(byTable(until.tables), byTable(live));

      // checksum on the file agrees with replay's report
      const sum = JSON.parse((await cli(['checksum', '--db', join(dir, 'replay.duckdb'), '--json'])).stdout) as { tables: TableSum[] };
      assert.equal(byTable(sum.tables), byTable(live));
    } finally {
      if (!stopped) await projector.stop().catch(() => undefined);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await iso.cleanup();
  }
});

test('replay refuses to overwrite an existing file and names --force', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-proj-'));
  try {
    const store = await openStore(join(dir, 'x.duckdb'));
    store.close();
    const err = await cli(['replay', '--db', join(dir, 'x.duckdb')]).then(() => null, (e: { code: number; stderr: string }) => e);
    assert.ok(err, 'replay over an existing file must fail');
    assert.is(err?.code, 2);
    assert.match(err?.stderr ?? '', /exists; replay builds a fresh file \(pass --force/);
    const bad = await cli(['replay', '--db', join(dir, 'y.duckdb'), '--until', 'yesterday']).then(() => null, (e: { stderr: string }) => e);
    assert.match(bad?.stderr ?? '', /--until: expected an ISO-8601 time/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
