// Owns `gexstream demo`: the whole product on the embedded defaults, from an empty machine to decoded snapshots.
import { isLeft } from 'fp-ts/lib/Either.js';
import { join } from 'node:path';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { decodeRaw } from '../domain/decode.js';
import { generatePayloads } from '../domain/generator.js';
import { H } from '../domain/headers.js';
import type { DeadLetter } from '../domain/deadLetter.js';
import { createKafka } from '../kafka/client.js';
import { createProducer } from '../kafka/producer.js';
import { endOffsets, readToEnd } from '../kafka/reader.js';
import { publishFiles } from '../pipelines/publish.js';
import { registerSchemas, valueSubject } from '../pipelines/schemas.js';
import { applyTopics } from '../pipelines/topics.js';
import { createRegistry } from '../registry/registry.js';
import { loadSchemas } from '../registry/schemas.js';
import { loadTopicSpecs, schemasDir } from '../resources.js';
import { packageRoot } from '../stack/paths.js';
import { stackUp } from '../stack/stack.js';
import { int, str, type Command } from './command.js';

const BROKEN = new Set([17, 512, 1500]);
import { progressLine } from './progress.js';
import { LEVELS } from '../domain/priority/level.js';
import type { PrioritizedSnapshot } from '../domain/prioritized.js';
import type { Topology } from '../domain/topology.js';
import { PROJECTED_KINDS } from '../domain/projection/projection.js';
import { createPrioritizer, PRIORITIZER_GROUP } from '../pipelines/prioritize.js';
import { createProcessor } from '../pipelines/process.js';
import { createProjector, DEFAULT_DB_PATH, DEFAULT_PARQUET_DIR, type Projector } from '../pipelines/project.js';
import { listParquet } from '../duckdb/parquet.js';
import { StoreError } from '../duckdb/store.js';
import { OffsetGapError, OtherClusterError } from '../kafka/ownedOffsets.js';
import type { ProcessedSnapshot } from '../domain/processed.js';
import { createLogger } from '../log.js';

const say = (s: string): void => void process.stdout.write(`${s}\n`);
const fmt = (n: number | null | undefined, d = 2): string => (n === null || n === undefined ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: d }));

export const demoCommand = (cfg: Config, topology: Topology): Command => ({
  name: 'demo',
  summary: `Run the demo on the embedded defaults: start the local stack if none runs, apply topics, register schemas,\npublish the bundled sample, a live real-time session and a historical back-fill to ${topology.raw}, read it back decoded,\nand prioritize it onto the level topics with the firm guidelines, explaining a decision.`,
  usage: '[--snapshots N] [--history N] [--db PATH] [--parquet DIR]',
  options: { history: { type: 'string' }, snapshots: { type: 'string' }, db: { type: 'string' }, parquet: { type: 'string' } },
  optionHelp: { history: 'snapshots in the historical back-fill (default 2,000, three of them broken)', snapshots: 'generated real-time snapshots per ticker (default 30)', db: `projector DuckDB file (default ${DEFAULT_DB_PATH})`, parquet: `projector Parquet tree (default ${DEFAULT_PARQUET_DIR})` },
  run: async ({ values }) => {
    const perTicker = int('snapshots', values['snapshots'], 30);
    const historyCount = int('history', values['history'], 2_000);
    say('1/6 stack');
    if (cfg.external) say(`    using the existing cluster ${cfg.brokers.join(',')} and registry ${cfg.registryUrl}`);
    else {
      const r = await stackUp(cfg, (s) => say(`    ${s}`));
      say(`    kafka ${cfg.brokers.join(',')} and registry ${cfg.registryUrl}: ${r.started.length ? `started ${r.started.join(', ')}` : 'already running'}`);
    }
    const kafka = createKafka({ ...cfg.kafka });
    say('2/6 topics');
    const t = await applyTopics({ kafka, specs: loadTopicSpecs() });
    say(`    ${t.actions.length === 0 ? 'all 10 topics in sync' : `${t.actions.length} change(s) applied`}`);
    say('3/6 schemas');
    const registry = createRegistry(cfg.registry);
    const reg = await registerSchemas({ registry, specs: loadTopicSpecs(), schemas: loadSchemas(schemasDir) });
    say(`    ${reg.length} subjects (BACKWARD), ${reg.filter((r) => r.created).length} newly registered, ${[...new Set(reg.map((r) => r.id))].length} distinct schema ids`);

    say("4/6 prioritizer, level processors (critical drained first, exactly once) and projector (DuckDB + Parquet)");
    const prioritizer = await createPrioritizer({ kafka, registry, logger: createLogger('warn'), priority: cfg.priority, topology });
    await prioritizer.start();
    const processor = await createProcessor({ kafka, registry, logger: createLogger('warn'), topology });
    await processor.start();
    const db = str(values['db']) ?? cfg.dbPath;
    const parquet = str(values['parquet']) ?? cfg.parquetDir;
    let projector: Projector | null = null;
    const startProjector = async (): Promise<Projector> => {
      const p = await createProjector({ kafka, registry, topology, db, parquet, log: createLogger('warn'), memoryLimit: cfg.duckdbMemory, parquetCompression: cfg.parquetCompression, ...(cfg.duckdbThreads ? { threads: cfg.duckdbThreads } : {}) });
      try {
        await p.start();
      } catch (err) {
        await p.stop().catch(() => undefined);
        throw err;
      }
      return p;
    };
    try {
      try {
        projector = await startProjector();
      } catch (err) {
        // The demo's own files (no --db given) written against a stack that has been reset since: its offsets are past
        // the ends of these topics. A demo starts afresh, and keeps the old files beside (nothing deleted); a file the
        // user named is refused as `run` refuses it.
        if (!(err instanceof OffsetGapError || err instanceof OtherClusterError) || values['db'] !== undefined) throw err;
        const aside = `.stale-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        for (const f of [db, `${db}.wal`, ...(values['parquet'] === undefined ? [parquet] : [])]) if (existsSync(f)) renameSync(f, `${f}${aside}`);
        say(`    ${db} holds positions of another cluster or past the ends of this stack's topics (the stack was reset after it was written): moved to ${db}${aside}${values['parquet'] === undefined ? ` (and ${parquet}/ beside it)` : ''}; starting a fresh file`);
        projector = await startProjector();
      }
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      say(`    projector not started: ${err.message}`);
    }
    const processedFrom = await endOffsets(kafka, topology.processed);
    say(`    running: rule set v${prioritizer.ruleSet().version}, groups ${PRIORITIZER_GROUP} and gexstream-processor-{${LEVELS.join(',')}}${projector ? `, projector -> ${db} + ${parquet}/` : ''}`);

    say('5/6 publish');
    const dir = join(cfg.stateDir, 'demo');
    mkdirSync(dir, { recursive: true });
    const nowSec = Math.floor(Date.now() / 1000);
    // a live real-time session (timestamps up to now), an on-demand snapshot and a historical back-fill
    const live = [...generatePayloads({ seed: 7, tickers: ['SPX', 'NDX', 'QQQ'], count: perTicker * 3 })].map((p, i, all) => ({ ...p, timestamp: nowSec - Math.floor((all.length - i) / 3) }));
    const onDemand = [...generatePayloads({ seed: 8, tickers: ['SPY'], count: 5 })].map((p) => ({ ...p, timestamp: nowSec - 2 }));
    // the back-fill carries three broken records (the DLQ shows what happens to bad input)
    const history = [...generatePayloads({ seed: 9, tickers: ['NQ_NDX'], day: '2025-11-07', count: historyCount })].map((p, i) => (BROKEN.has(i) ? { ...p, spot: 'n/a' } : p));
    const files = { live: join(dir, 'live.jsonl'), onDemand: join(dir, 'on-demand.jsonl'), history: join(dir, '2025-11-07_NQ_NDX_classic_gex_zero.json') };
    // the desk's SPX 0DTE feed, sent with requested level critical (a manual override, recorded with each decision), one
    // snapshot every 100 ms while the back-fill is published and worked through: each is a file of one snapshot, as a
    // desk's publisher would send them
    const desk = live.filter((p) => (p as Record<string, unknown>)['ticker'] === 'SPX').map((p, i) => {
      const f = join(dir, `spx-0dte-desk-${String(i).padStart(3, '0')}.json`);
      writeFileSync(f, JSON.stringify(p));
      return f;
    });
    writeFileSync(files.live, live.filter((p) => (p as Record<string, unknown>)['ticker'] !== 'SPX').map((p) => JSON.stringify(p)).join('\n'));
    writeFileSync(files.onDemand, onDemand.map((p) => JSON.stringify(p)).join('\n'));
    writeFileSync(files.history, JSON.stringify(history));
    const marks = new Map<string, Map<number, number>>();
    for (const l of LEVELS) marks.set(topology.level(l), await endOffsets(kafka, topology.level(l)));
    const from = await endOffsets(kafka, topology.raw);
    const producer = await createProducer({ kafka, compression: cfg.compression });
    const dlq = await registry.encoder<DeadLetter>(valueSubject(topology.dlq));
    const batch = `demo-${Date.now()}`;
    let published = 0;
    /** Publishes one file; says so unless it is one of the desk's (they are summed up in one line). */
    const send = async (file: string, dataType: 'real_time' | 'snapshot' | 'historical', level?: 'critical'): Promise<void> => {
      const [r] = await publishFiles([file], { producer, encodeDeadLetter: dlq.encode }, { source: 'demo', dataType, batch, ...(level ? { level } : {}), topology });
      published += r?.published ?? 0;
      if (r && !level) say(`    ${r.file.replace(`${cfg.stateDir}/`, '')}: ${r.published} snapshot(s), data type ${dataType} -> ${topology.raw}`);
    };
    try {
      await send(join(packageRoot, 'fixtures', 'gexbot-classic-spx.json'), 'snapshot');
      await send(files.live, 'real_time');
      await send(files.onDemand, 'snapshot');
      // the back-fill and, while it flows, the desk's critical feed
      const backfill = send(files.history, 'historical');
      const deskStart = Date.now();
      for (const [i, f] of desk.entries()) {
        await new Promise((r) => setTimeout(r, Math.max(0, deskStart + i * 100 - Date.now())));
        await send(f, 'real_time', 'critical');
      }
      await backfill;
      say(`    ${join(dir, 'spx-0dte-desk-*.json').replace(`${cfg.stateDir}/`, '')}: ${desk.length} snapshot(s), one every 100 ms while the back-fill flowed, data type real_time, requested level critical -> ${topology.raw}`);
    } finally {
      await producer.close();
    }

    say('6/6 read back: raw decoded, decisions per level');
    const rows: string[] = [];
    let ok = 0;
    let bad = 0;
    await readToEnd(
      kafka,
      topology.raw,
      (m) => {
        if (m.headers[H.importBatch] !== batch || !m.value) return;
        const d = decodeRaw(m.value, { dataType: 'real_time', kind: m.headers[H.kind] }, { nowMs: Date.now(), maxSkewMs: 5_000, maxBytes: 8 * 1024 * 1024 });
        if (isLeft(d)) {
          bad++;
          return;
        }
        ok++;
        const s = d.right;
        if (rows.length < 3)
          rows.push(
            `    ${s.ticker.padEnd(6)} ${new Date(s.timestamp_ms).toISOString()}  spot ${fmt(s.spot).padStart(9)}  strikes ${String(s.strikes.count).padStart(3)}  zero gamma vendor ${fmt(s.zero_gamma).padStart(9)} computed ${fmt(s.derived?.zero_gamma).padStart(9)}  quality ${fmt(s.derived?.quality_score, 3)}`,
          );
      },
      { from },
    );
    for (const r of rows) say(r);
    say(`    ${ok} decoded into canonical snapshots, ${bad} invalid`);
    // the prioritizer has decided everything once its committed offsets reach the raw topic's end
    const end = await endOffsets(kafka, topology.raw);
    const admin = kafka.admin();
    await admin.connect();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [t] = await admin.fetchOffsets({ groupId: PRIORITIZER_GROUP, topics: [topology.raw] });
      const committed = new Map((t?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))])); // -1: nothing committed yet
      if ([...end].every(([p, h]) => (committed.get(p) ?? 0) >= h) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await prioritizer.stop();
    // then the processors: done once their groups reach the end of every level topic (or after 60 s: a large
    // backlog left on the level topics by earlier runs is drained first, critical before the rest)
    const levelEnds = new Map(await Promise.all(LEVELS.map(async (l) => [l, await endOffsets(kafka, topology.level(l))] as const)));
    const drainDeadline = Date.now() + 60_000;
    for (;;) {
      let done = true;
      for (const l of LEVELS) {
        const [t] = await admin.fetchOffsets({ groupId: `gexstream-processor-${l}`, topics: [topology.level(l)] });
        const committed = new Map((t?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
        // the last offset of a transactional topic is a commit marker: one short of the end is the end
        if (![...(levelEnds.get(l) ?? new Map())].every(([p, h]) => (committed.get(p) ?? 0) >= h - 1)) done = false;
      }
      if (done || Date.now() > drainDeadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await admin.disconnect();
    await processor.stop();
    const processed = new Map<string, ProcessedSnapshot>();
    await readToEnd(kafka, topology.processed, async (m) => {
      if (!m.value) return;
      const v = await registry.decode<ProcessedSnapshot>(m.value);
      if (v.lineage?.batch === batch) processed.set(v.request_id, v);
    }, { from: processedFrom, idleMs: 300 });
    // the projector has folded this run once its state holds every processed snapshot of the run and their last job
    // events; it may first have earlier data on the topics to fold (it shows how far behind it is)
    if (projector) {
      const p = projector;
      const ends = await Promise.all(PROJECTED_KINDS.map((k) => topology[k]).map(async (t) => [t, await endOffsets(kafka, t)] as const));
      const behind = (): number => ends.reduce((a, [t, e]) => a + [...e].reduce((b, [part, h]) => b + Math.max(0, h - 2 - (p.positions().get(`${t}:${part}`) ?? 0)), 0), 0);
      const mine = async (): Promise<number> =>
        p.read(async (c) => Number((await c.runAndReadAll(`SELECT count(*) FROM lineage l JOIN processing_jobs j USING (request_id) WHERE l.batch = '${batch}' AND j.status = 'COMPLETED'`)).getRows()[0]?.[0] ?? 0));
      const expected = processed.size;
      const projDeadline = Date.now() + 120_000;
      const bar = progressLine('    projector catching up', 'offsets behind');
      let have = await mine();
      while (Date.now() < projDeadline && have < expected) {
        bar.update(behind());
        await new Promise((r) => setTimeout(r, 200));
        have = await mine();
      }
      bar.done();
      if (have < expected) say(`    the projector has ${have} of this run's ${expected} snapshots so far (it folds earlier data on the topics first); it resumes from ${db} next time`);
      await new Promise((r) => setTimeout(r, 500)); // a last batch may still be in its transaction
    }
    const decided: PrioritizedSnapshot[] = [];
    for (const l of LEVELS)
      await readToEnd(kafka, topology.level(l), async (m) => {
        if (!m.value) return;
        const v = await registry.decode<PrioritizedSnapshot>(m.value);
        if (v.lineage?.batch === batch) decided.push(v);
      }, { from: marks.get(topology.level(l)) ?? new Map(), idleMs: 300 });
    for (const l of LEVELS) {
      const mine = decided.filter((d) => d.level === l);
      const lat = mine.map((d) => d.prioritized_at_ms - d.published_at_ms).sort((a, b) => a - b);
      const done = mine.map((d) => processed.get(d.request_id)).filter((x): x is ProcessedSnapshot => x !== undefined);
      const plat = done.map((x) => x.processed_at_ms - x.published_at_ms).sort((a, b) => a - b);
      const q = (xs: number[], p: number) => (xs.length ? `${xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]} ms` : '-');
      say(`    ${l.padEnd(9)} ${String(mine.length).padStart(5)} snapshots  ${[...new Set(mine.map((d) => d.snapshot.ticker))].join(', ').padEnd(16)} prioritized p50 ${q(lat, 0.5).padStart(7)}   processed ${String(done.length).padStart(4)}, publish->processed p50 ${q(plat, 0.5).padStart(7)} p99 ${q(plat, 0.99).padStart(7)}`);
    }
    const example = decided.find((d) => d.level === 'critical') ?? decided[0];
    if (example) {
      const c = example.components;
      say(`    why ${example.snapshot.ticker} ${example.snapshot.data_type} is ${example.level}: ${example.overridden ? 'requested level (a manual override, recorded); ' : ''}rules [${example.matched_rules.join(', ')}] (rule set v${example.rule_set_version}), score ${example.score.toFixed(2)} = impact ${c.market_impact.toFixed(2)}, freshness ${c.freshness.toFixed(2)}, reliability ${c.source_reliability.toFixed(2)}, urgency ${c.urgency.toFixed(2)}`);
    }
    if (projector) {
      const sums = await projector.checksums();
      const dead = await projector.read(async (c) =>
        (await c.runAndReadAll(`SELECT lineage_file || '[' || lineage_index || ']: ' || reason FROM dead_letters WHERE import_batch = '${batch}' ORDER BY lineage_index`)).getRows().map((r) => String(r[0])),
      );
      const latest = projector.latest('SPX');
      await projector.stop();
      say(`    DuckDB ${db}: ${sums.map((x) => `${x.table} ${x.rows.toLocaleString('en-US')}`).join(', ')}`);
      if (dead.length > 0) say(`    dead letters of this run: ${dead.length} (dlq list shows them; redrive after a fix), e.g. ${dead[0]}`);
      say(`    Parquet ${parquet}/: ${listParquet(parquet).length} files (gex_snapshots, gex_strikes by symbol and date, ${cfg.parquetCompression})`);
      const l = latest[0]?.processed.snapshot;
      if (l) say(`    latest SPX snapshot (in-memory view): ${new Date(l.timestamp_ms).toISOString()} spot ${fmt(l.spot)} zero gamma ${fmt(l.derived?.zero_gamma ?? l.zero_gamma)}`);
      say(`    try: duckdb ${db} "SELECT ticker, level, count(*) AS snapshots, round(avg(processed_at_ms - published_at_ms)) AS avg_ms FROM gex_snapshots GROUP BY ALL ORDER BY ALL"`);
      say(`     or: duckdb -c "SELECT symbol, date, count(*) FROM read_parquet('${parquet}/gex_strikes/*/*/*.parquet', hive_partitioning = true) GROUP BY ALL"`);
    }
    say('');
    say(`processed snapshots are on ${topology.processed} (Avro, schema registry ${cfg.registryUrl}); ${processed.size} of ${published} from this run`);
    say('next: `npx gexstream run` (all roles), `npx gexstream rules list`, `npx gexstream dlq list`, `npx gexstream validate FILE`');
    // the three broken back-fill records are the only invalid ones, and everything else was decided
    return bad === BROKEN.size && ok > 0 && decided.length === published - BROKEN.size ? 0 : 1;
  },
});
