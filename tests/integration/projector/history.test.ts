// History import through the whole pipeline (prioritizer, processor, projector on the real broker): a vendor history
// file with a few bad records is imported at low priority; good records land with complete lineage, bad ones in the
// DLQ and dead_letters; the import summary counts both and gives the error rate. A clean file stays under 0.1 %.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isLeft } from 'fp-ts/lib/Either.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeValue } from '../../../src/domain/decode.js';
import type { DeadLetter } from '../../../src/domain/deadLetter.js';
import { generatePayloads } from '../../../src/domain/generator.js';
import { defaultPriorityConfig } from '../../../src/domain/priority/config.js';
import { openStore } from '../../../src/duckdb/store.js';
import { createProducer } from '../../../src/kafka/producer.js';
import { createLogger } from '../../../src/log.js';
import { awaitImport, markImport } from '../../../src/pipelines/importSummary.js';
import { createPrioritizer } from '../../../src/pipelines/prioritize.js';
import { createProcessor } from '../../../src/pipelines/process.js';
import { createProjector } from '../../../src/pipelines/project.js';
import { publishFiles } from '../../../src/pipelines/publish.js';
import { eventually, kafka, unique } from '../../support/env.js';
import { registry } from '../../support/pipeline.js';
import { isolatedPipeline } from '../../support/projection.js';

const logger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
const BAD: Record<number, (p: Record<string, unknown>) => Record<string, unknown>> = {
  7: (p) => ({ ...p, spot: 'abc' }),
  99: ({ ticker: _t, ...rest }) => rest,
  200: (p) => ({ ...p, strikes: 5 }),
  333: (p) => ({ ...p, timestamp: -5 }),
};

test('history files: good records imported with lineage at low priority, bad ones dead-lettered, summary and error rate', async () => {
  const iso = await isolatedPipeline('history');
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-history-'));
  const stops: Array<() => Promise<void>> = [];
  try {
    const payloads = [...generatePayloads({ seed: 31, tickers: ['SPX'], count: 400, strikes: 30 })].map((p, i) => (BAD[i] ? (BAD[i] as (x: Record<string, unknown>) => Record<string, unknown>)(p) : p));
    for (const i of Object.keys(BAD).map(Number))
      assert.ok(isLeft(decodeValue(payloads[i], { dataType: 'historical' }, { nowMs: Date.now(), maxSkewMs: 60_000, maxBytes: 1e7 })), `record ${i} is really bad`);
    const badFile = join(dir, '2025-11-07_SPX_classic_gex_zero.json.gz');
    const bytes = gzipSync(Buffer.from(JSON.stringify(payloads)));
    writeFileSync(badFile, bytes);
    const cleanFile = join(dir, '2025-11-06_NDX_classic_gex_zero.json');
    writeFileSync(cleanFile, JSON.stringify([...generatePayloads({ seed: 32, tickers: ['NDX'], count: 200, strikes: 30, day: '2025-11-06' })]));

    const prioritizer = await createPrioritizer({ kafka: kafka(), registry, logger, priority: defaultPriorityConfig, topology: iso.topology, groupId: unique('history.prio'), instanceId: unique('hp') });
    await prioritizer.start();
    stops.push(prioritizer.stop);
    const processor = await createProcessor({ kafka: kafka(), registry, logger, topology: iso.topology, groupPrefix: unique('history.proc'), instanceId: unique('hq') });
    await processor.start();
    stops.push(processor.stop);
    const db = join(dir, 'state.duckdb');
    const projector = await createProjector({ kafka: kafka(), registry, db, parquet: join(dir, 'pq'), topology: iso.topology, lagGroupId: null });
    await projector.start();
    stops.push(projector.stop);

    const dlq = await registry.encoder<DeadLetter>(`${iso.topology.dlq}-value`);
    const producer = await createProducer({ kafka: kafka() });
    const importFile = async (file: string, batch: string) => {
      const marks = await markImport(kafka(), iso.topology);
      const [res] = await publishFiles([file], { producer, encodeDeadLetter: dlq.encode }, { topology: iso.topology, source: 'vendor-history', dataType: 'historical', batch });
      const expected = (res?.published ?? 0) + (res?.deadLettered ?? 0);
      return awaitImport({ kafka: kafka(), registry, marks, batch, expected, timeoutMs: 120_000 });
    };
    const b1 = unique('batch');
    const s1 = await importFile(badFile, b1);
    const b2 = unique('batch');
    const s2 = await importFile(cleanFile, b2);
    await producer.close();

    assert.ok(s1.complete, 'every record of the file has an outcome');
    assert.equal([s1.expected, s1.imported, s1.rejected, s1.pending], [400, 396, 4, 0]);
    assert.is(s1.errorRate, 0.01);
    assert.equal(s1.reasons.flatMap((r) => r.indexes).sort((a, b) => a - b), [7, 99, 200, 333]);
    // path-precise: each rejection names the field that is wrong
    assert.equal(Object.fromEntries(s1.reasons.map((r) => [r.indexes[0], `${r.stage} ${r.path}`])), { 7: 'decode spot', 99: 'decode ticker', 200: 'decode strikes', 333: 'decode timestamp' });
    assert.equal([s2.imported, s2.rejected, s2.complete], [200, 0, true]);
    assert.ok(s2.errorRate < 0.001, 'a clean file stays under the 0.1 % error rate');

    await eventually('the projector has the imports', async () => {
      const r = projector.stats().rows;
      return r.lineage >= 596 && r.dead_letters >= 4 ? true : undefined;
    }, 60_000);
    // let the last job events (COMPLETED after the processed write) arrive
    await eventually('job events settled', async () => {
      const before = projector.stats().events;
      await new Promise((r) => setTimeout(r, 1500));
      return projector.stats().events === before ? true : undefined;
    }, 60_000, 0);
    for (const stop of stops.reverse()) await stop();
    stops.length = 0;

    const store = await openStore(db, { readOnly: true });
    try {
      const q = async (sql: string): Promise<unknown[][]> => (await store.connection.runAndReadAll(sql)).getRows();
      const sha = createHash('sha256').update(bytes).digest('hex');
      const lineage = await q(`SELECT file, sha256, idx FROM lineage WHERE batch = '${b1}' ORDER BY idx`);
      const good = payloads.map((_, i) => i).filter((i) => !BAD[i]);
      assert.equal(lineage.map((r) => Number(r[2])), good, 'lineage: one row per good record, with its index');
      assert.ok(lineage.every((r) => r[0] === '2025-11-07_SPX_classic_gex_zero.json.gz' && r[1] === sha), 'lineage: file name and sha256 of the file');
      const dead = await q(`SELECT lineage_index, stage, reason FROM dead_letters WHERE import_batch = '${b1}' ORDER BY lineage_index`);
      assert.equal(dead.map((r) => Number(r[0])), [7, 99, 200, 333]);
      assert.ok(dead.every((r) => String(r[2]).length > 0));
      const levels = await q(`SELECT DISTINCT p.level FROM lineage l JOIN priority_requests p USING (request_id) WHERE l.batch IN ('${b1}', '${b2}')`);
      assert.equal(levels.map((r) => r[0]), ['low'], 'history flows at low priority');
      const completed = await q(`SELECT count(DISTINCT j.request_id) FROM processing_jobs j JOIN lineage l USING (request_id) WHERE l.batch = '${b1}' AND j.status = 'COMPLETED'`);
      assert.is(Number(completed[0]?.[0]), 396, 'every imported record has a completed job');
    } finally {
      store.close();
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await iso.cleanup();
  }
});

test.run();
