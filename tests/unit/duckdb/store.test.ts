// The DuckDB edge writes exactly what the pure fold says: same rows (by the engine-independent FNV checksum) after
// upserts, strikes of a re-processed request replaced as a whole, and offsets committed with the rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatChecksum, tableChecksum } from '../../../src/domain/projection/checksum.js';

const checksumOf = (t: Parameters<typeof tableChecksum>[0], rows: Parameters<typeof tableChecksum>[1]) => formatChecksum(tableChecksum(t, rows));
import { applyRows, batchRows, contentsRows, emptyContents, foldEvents, type ProjectedEvent } from '../../../src/domain/projection/projection.js';
import { TABLE_NAMES, TABLES } from '../../../src/domain/projection/tables.js';
import { roundWrite } from '../../../src/domain/projection/round.js';
import { openStore } from '../../../src/duckdb/store.js';
import { createParquetWriter, listParquet } from '../../../src/duckdb/parquet.js';
import { job, processed, snapshot } from '../projection/fixtures.js';

const events = (): ProjectedEvent[][] => {
  const p1 = processed('req-1');
  const p2 = processed('req-2', { ticker: 'NDX', withLineage: false });
  // req-1 again (a redrive): fewer strikes, later processing time: its rows replace the first ones
  const again = { ...processed('req-1', { processedAt: 9e12 }), snapshot: { ...snapshot(), strikes: snapshot().strikes.slice(0, 1) } };
  return [
    [{ kind: 'processed', value: p1, at: { partition: 0, offset: 0 } }, { kind: 'jobs', value: job('QUEUED', 1) }, { kind: 'processed', value: p2, at: { partition: 0, offset: 1 } }],
    [{ kind: 'jobs', value: job('COMPLETED', 2) }, { kind: 'processed', value: again, at: { partition: 0, offset: 5 } }],
  ];
};

test('rows in DuckDB equal the pure fold after upserts across batches', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-store-'));
  try {
    const store = await openStore(join(dir, 's.duckdb'));
    let contents = emptyContents();
    let next = 0;
    for (const batch of events()) {
      const rows = batchRows(foldEvents(batch));
      next += batch.length;
      await store.write({ rows, offsets: [{ topic: 't', partition: 0, next }] });
      contents = applyRows(contents, rows);
    }
    const expected = contentsRows(contents);
    for (const t of TABLE_NAMES) {
      const cols = TABLES[t].columns.map((c) => `"${c.name}"`).join(', ');
      const got = (await store.connection.runAndReadAll(`SELECT ${cols} FROM ${t}`)).getRowObjectsJS() as Record<string, never>[];
      assert.is(checksumOf(t, got), checksumOf(t, expected[t]), `table ${t}`);
    }
    const strikes = await store.connection.runAndReadAll("SELECT count(*) FROM gex_strikes WHERE request_id = 'req-1'");
    assert.is(Number(strikes.getRows()[0]?.[0]), 1, 'the re-processed request keeps only its new strike rows');
    assert.equal((await store.offsets()).map((o) => [o.topic, o.partition, o.next]), [['t', 0, 5]]);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rounds written as strike columns give the same tables as the pure fold, offsets of every partition with them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-store-'));
  try {
    const store = await openStore(join(dir, 's.duckdb'));
    let contents = emptyContents();
    for (const [k, batch] of events().entries()) {
      const w = roundWrite(batch);
      await store.write({ rows: w.rows, strikes: w.strikes, offsets: [{ topic: 'p', partition: 0, next: 10 * (k + 1) }, { topic: 'j', partition: 3, next: k + 1 }] });
      contents = applyRows(contents, batchRows(foldEvents(batch)));
    }
    const expected = contentsRows(contents);
    for (const t of TABLE_NAMES) {
      const cols = TABLES[t].columns.map((c) => `"${c.name}"`).join(', ');
      const got = (await store.connection.runAndReadAll(`SELECT ${cols} FROM ${t}`)).getRowObjectsJS() as Record<string, never>[];
      assert.is(checksumOf(t, got), checksumOf(t, expected[t]), `table ${t}`);
    }
    // the redriven request's first strike rows are gone from storage, not only hidden by the view
    assert.is(Number((await store.connection.runAndReadAll('SELECT count(*) FROM gex_strike_rows')).getRows()[0]?.[0]), expected.gex_strikes.length);
    const priors = await store.connection.runAndReadAll("SELECT priors FROM gex_strikes WHERE request_id = 'req-2' ORDER BY strike");
    assert.equal(priors.getRowsJS().map((r) => r[0]), [[0.1, -0.2, 3], [], [1]]);
    assert.equal((await store.offsets()).map((o) => [o.topic, o.partition, o.next]), [['j', 3, 2], ['p', 0, 20]]);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed batch leaves neither rows nor offsets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-store-'));
  try {
    const store = await openStore(join(dir, 's.duckdb'));
    // the second row has no key: the batch fails after the first row was staged
    const bad = { priority_requests: [{ request_id: 'x' }, { request_id: null }], processing_jobs: [{ event_key: 'e' }] };
    await store.write({ rows: bad, offsets: [{ topic: 't', partition: 0, next: 2 }] }).then(
      () => assert.unreachable('a row without its key must fail the batch'),
      () => undefined,
    );
    assert.equal(await store.offsets(), []);
    assert.is(Number((await store.connection.runAndReadAll('SELECT (SELECT count(*) FROM priority_requests) + (SELECT count(*) FROM processing_jobs)')).getRows()[0]?.[0]), 0);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Parquet files are written with the configured codec: snappy by default, zstd (or another) when asked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-store-'));
  try {
    const store = await openStore(join(dir, 's.duckdb'));
    let next = 0;
    for (const batch of events()) {
      next += batch.length;
      await store.write({ rows: batchRows(foldEvents(batch)), offsets: [{ topic: 't', partition: 0, next }] });
    }
    const codecs = async (compression?: 'zstd'): Promise<string[]> => {
      const out = join(dir, compression ?? 'default');
      const w = await createParquetWriter(store, { dir: out, topic: 't', ...(compression ? { compression } : {}) });
      w.committed(0, 0, next);
      assert.is(await w.flush(), 0);
      const files = listParquet(out);
      assert.ok(files.length >= 2, 'a file per table at least');
      const r = await store.connection.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata([${files.map((f) => `'${f}'`).join(', ')}])`);
      return r.getRows().map((x) => String(x[0])).sort();
    };
    assert.equal(await codecs(), ['SNAPPY']);
    assert.equal(await codecs('zstd'), ['ZSTD']);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
