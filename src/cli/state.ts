// Owns `gexstream replay`, `checksum` and `audit`: rebuild the DuckDB state from the topics, and compare states.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Config } from '../config.js';
import { auditParquet, DEFAULT_SEGMENT_OFFSETS } from '../duckdb/parquet.js';
import { openStore, type TableSum } from '../duckdb/store.js';
import { createKafka } from '../kafka/client.js';
import { tp } from '../kafka/ownedOffsets.js';
import { endOffsets } from '../kafka/reader.js';
import { createLogger } from '../log.js';
import { createProjector } from '../pipelines/project.js';
import { PROJECTED_KINDS } from '../domain/projection/projection.js';
import type { Topology } from '../domain/topology.js';
import { createRegistry } from '../registry/registry.js';
import { int, str, topologyUnder, UsageError, type Command } from './command.js';
import { progressLine } from './progress.js';

const formatSums = (sums: readonly TableSum[]): string =>
  `${'table'.padEnd(20)} ${'rows'.padStart(10)}  checksum\n${sums.map((s) => `${s.table.padEnd(20)} ${String(s.rows).padStart(10)}  ${s.checksum}`).join('\n')}\n`;

const printSums = (sums: readonly TableSum[], json: boolean, extra: Record<string, unknown> = {}): void => {
  process.stdout.write(json ? `${JSON.stringify({ ...extra, tables: sums })}\n` : formatSums(sums));
};

export const parseUntil = (s: string): number => {
  const ms = Date.parse(s);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s) || Number.isNaN(ms)) throw new UsageError(`--until: expected an ISO-8601 time such as 2026-11-24T15:30:00Z, got ${JSON.stringify(s)}`);
  return ms;
};

export const replayCommand = (cfg: Config, declared: Topology): Command => ({
  name: 'replay',
  summary:
    'Rebuild the projector state from the topics, from offset 0, into a fresh DuckDB file (and Parquet tree) with the same folds.\nStops at the high-water marks taken at start, or at --until (the state as of that time); prints per-table row counts and checksums.',
  usage: '--db PATH [--parquet DIR] [--until ISO-TIME] [--segment-offsets N] [--force] [--json]',
  options: { 'segment-offsets': { type: 'string' }, db: { type: 'string' }, parquet: { type: 'string' }, until: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, 'topic-prefix': { type: 'string' } },
  optionHelp: {
    db: 'the DuckDB file to build (must not exist, unless --force)',
    parquet: 'also write the Parquet tree here (must be empty or absent, unless --force)',
    until: 'stop each partition at its first message appended after this time (ISO-8601)',
    force: 'replace an existing --db file and --parquet tree',
    'segment-offsets': `offsets of the processed topic per Parquet segment file; the live projector's value (default ${DEFAULT_SEGMENT_OFFSETS})`,
    json: 'print the result as one JSON object',
    'topic-prefix': 'as `run --topic-prefix P`: read P.processed, P.jobs, ... instead of the declared topics',
  },
  run: async ({ values }) => {
    const db = str(values['db']);
    if (!db) throw new UsageError('replay: --db PATH is required (a new DuckDB file)');
    const topology = topologyUnder(declared, str(values['topic-prefix']));
    const parquet = str(values['parquet']) ?? null;
    const untilRaw = str(values['until']);
    const untilMs = untilRaw === undefined ? undefined : parseUntil(untilRaw);
    if (existsSync(db)) {
      if (!values['force']) throw new UsageError(`replay: ${db} exists; replay builds a fresh file (pass --force to replace it)`);
      rmSync(db, { force: true });
      rmSync(`${db}.wal`, { force: true });
    }
    if (parquet && existsSync(parquet) && readdirSync(parquet).length > 0) {
      if (!values['force']) throw new UsageError(`replay: ${parquet} is not empty (pass --force to replace it)`);
      rmSync(parquet, { recursive: true, force: true });
    }
    const kafka = createKafka({ ...cfg.kafka, logger: createLogger(cfg.logLevel) });
    const stopAt = new Map<string, number>();
    for (const t of PROJECTED_KINDS.map((k) => topology[k])) for (const [p, o] of await endOffsets(kafka, t)) stopAt.set(tp(t, p), o);
    const total = [...stopAt].filter(([k]) => k.startsWith(`${topology.processed}:`)).reduce((a, [, o]) => a + o, 0);
    const bar = progressLine('replay', 'events', undefined);
    const projector = await createProjector({
      kafka,
      registry: createRegistry(cfg.registry),
      db,
      parquet,
      topology,
      stopAt,
      memoryLimit: cfg.duckdbMemory,
      parquetCompression: cfg.parquetCompression,
      ...(cfg.duckdbThreads ? { threads: cfg.duckdbThreads } : {}),
      segmentOffsets: int('segment-offsets', values['segment-offsets'], DEFAULT_SEGMENT_OFFSETS),
      ...(untilMs !== undefined ? { untilMs } : {}),
      log: createLogger(cfg.logLevel),
      onBatch: (s) => bar.update(s.events, `${s.rows.gex_strikes.toLocaleString('en-US')} strike rows`),
    });
    try {
      await projector.start();
      await projector.finished;
    } finally {
      await projector.stop();
    }
    const { seconds } = bar.done();
    const s = projector.stats();
    const store = await openStore(db, { readOnly: true });
    try {
      const sums = await store.checksums();
      if (!values['json'])
        process.stderr.write(
          `replayed ${s.events.toLocaleString('en-US')} events (${total.toLocaleString('en-US')} offsets on ${topology.processed}) in ${seconds.toFixed(1)} s into ${db}${parquet ? ` and ${parquet}` : ''}${untilRaw ? `, as of ${untilRaw}` : ''}\n`,
        );
      printSums(sums, values['json'] === true, { db, parquet, seconds, events: s.events, dead_letters_sent: s.deadLetters });
    } finally {
      store.close();
    }
    return 0;
  },
});

export const checksumCommand = (): Command => ({
  name: 'checksum',
  summary: "Per table of a projector DuckDB file: row count and an order-independent content checksum (compare a live-built and a replayed file).\nThe file must not be open in a running projector (DuckDB allows one writer process).",
  usage: '--db PATH [--json]',
  options: { db: { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: { db: 'the DuckDB file', json: 'print one JSON object' },
  run: async ({ values }) => {
    const db = str(values['db']);
    if (!db) throw new UsageError('checksum: --db PATH is required');
    const store = await openStore(db, { readOnly: true });
    try {
      printSums(await store.checksums(), values['json'] === true, { db });
    } finally {
      store.close();
    }
    return 0;
  },
});

export const auditCommand = (): Command => ({
  name: 'audit',
  summary:
    'Row counts and checksums of a Parquet tree (gex_snapshots, gex_strikes), computed as the DuckDB tables are; with --db, compares them and exits 1 on a difference.',
  usage: '--parquet DIR [--db PATH] [--json]',
  options: { parquet: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: { parquet: 'root of the Parquet tree', db: 'a projector DuckDB file to compare with', json: 'print one JSON object' },
  run: async ({ values }) => {
    const dir = str(values['parquet']);
    if (!dir) throw new UsageError('audit: --parquet DIR is required');
    if (!existsSync(dir)) throw new UsageError(`audit: ${dir}: no such directory`);
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    try {
      const { sums, files } = await auditParquet(c, dir);
      const db = str(values['db']);
      let mismatches: string[] = [];
      if (db) {
        const store = await openStore(db, { readOnly: true });
        try {
          const dbSums = await store.checksums();
          mismatches = sums.filter((s) => {
            const d = dbSums.find((x) => x.table === s.table);
            return !d || d.rows !== s.rows || d.checksum !== s.checksum;
          }).map((s) => s.table);
        } finally {
          store.close();
        }
      }
      printSums(sums, values['json'] === true, { parquet: dir, files, ...(db ? { db, mismatches } : {}) });
      if (!values['json']) {
        process.stderr.write(`${files} Parquet file(s) under ${dir}\n`);
        if (db) process.stderr.write(mismatches.length === 0 ? `matches ${db}\n` : `differs from ${db}: ${mismatches.join(', ')}\n`);
      }
      return mismatches.length === 0 ? 0 : 1;
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  },
});
