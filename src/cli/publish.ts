// Owns `gexstream publish FILE...`: files -> the raw topic as raw JSON bytes with lineage headers.
import { Compression, DEFAULT_COMPRESSION, type Config } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { createProducer } from '../kafka/producer.js';
import { publishFiles } from '../pipelines/publish.js';
import type { Topology } from '../domain/topology.js';
import { valueSubject } from '../pipelines/schemas.js';
import { createRegistry } from '../registry/registry.js';
import type { DeadLetter } from '../domain/deadLetter.js';
import { num, str, UsageError, type Command } from './command.js';
import { progressLine } from './progress.js';
import { randomUUID } from 'node:crypto';
import type { ImportSummary } from '../domain/importSummary.js';
import { awaitImport, markImport } from '../pipelines/importSummary.js';

const DATA_TYPES = ['historical', 'real_time', 'snapshot'] as const;

const pct = (x: number): string => `${(x * 100).toFixed(3)} %`;

export const formatImport = (s: ImportSummary & { complete: boolean }, maxErrorRate: number): string => {
  const lines = [
    `import ${s.batch}: ${s.imported.toLocaleString('en-US')} imported, ${s.rejected.toLocaleString('en-US')} rejected of ${s.expected.toLocaleString('en-US')} records; error rate ${pct(s.errorRate)} (limit ${pct(maxErrorRate)})${s.errorRate > maxErrorRate ? '  EXCEEDED' : ''}`,
  ];
  if (!s.complete) lines.push(`  ${s.pending.toLocaleString('en-US')} record(s) without an outcome before the timeout: is the pipeline running (gexstream run)?`);
  for (const f of s.files) lines.push(`  ${f.file}: ${f.imported} imported, ${f.rejected} rejected`);
  for (const r of s.reasons) lines.push(`  rejected ${r.count}x at ${r.stage} ${r.path} (records ${r.indexes.join(', ')}${r.count > r.indexes.length ? ', ...' : ''}): ${r.example}`);
  return `${lines.join('\n')}\n`;
};

export const publishCommand = (cfg: Config, topology: Topology): Command => ({
  name: 'publish',
  summary: `Publish snapshot files (JSON object, JSON array such as vendor history files, JSONL; each optionally .gz) to ${topology.raw}.\nEach record goes as its exact bytes, key = ticker, with headers for source, data type, request id, lineage (file, sha256, index, import batch) and publish time.\nRecords too large for the topic go to ${topology.dlq} with the reason.\nWith --wait (history imports), follows the pipeline until every record is imported or rejected and prints the import summary.`,
  usage: 'FILE... [--compression none|gzip|snappy|lz4|zstd] [--source NAME] [--data-type historical|real_time|snapshot] [--kind KIND] [--category C] [--level L] [--batch ID] [--wait [--timeout S] [--max-error-rate R]]',
  options: {
    source: { type: 'string' },
    'data-type': { type: 'string' },
    kind: { type: 'string' },
    category: { type: 'string' },
    batch: { type: 'string' },
    json: { type: 'boolean' },
    wait: { type: 'boolean' },
    level: { type: 'string' },
    timeout: { type: 'string' },
    'max-error-rate': { type: 'string' },
    compression: { type: 'string' },
  },
  optionHelp: {
    source: 'data source name (default: file)',
    'data-type': 'historical | real_time | snapshot (default: snapshot)',
    kind: 'input shape hint, e.g. classic, state, greek, majors, maxchange, orderflow, chain (default: detected)',
    category: 'vendor category, e.g. full, zero, one',
    batch: 'import batch id for the lineage (default: a new UUID)',
    json: 'print the summary as JSON',
    level: 'requested level critical|high|medium|low: a manual override recorded with the decision',
    wait: 'wait until the running pipeline has imported or rejected every record, then print the import summary (imported, rejected with reasons, error rate)',
    timeout: 'with --wait: give up after S seconds (default 600); exit 1',
    'max-error-rate': 'with --wait: exit 1 when rejected/records exceeds R (default 0.001, i.e. 0.1 %)',
    compression: `record batch compression: none, gzip, snappy, lz4 or zstd (default ${cfg.compression}: GEXSTREAM_COMPRESSION, else kafka.compression of the config file, else ${DEFAULT_COMPRESSION})`,
  },
  run: async ({ values, positionals }) => {
    if (positionals.length === 0) throw new UsageError('publish: name at least one FILE');
    const dataType = str(values['data-type']) ?? 'snapshot';
    if (!(DATA_TYPES as readonly string[]).includes(dataType)) throw new UsageError(`--data-type: expected one of ${DATA_TYPES.join(', ')}, got ${JSON.stringify(dataType)}`);
    // options first: a usage error must not leave a connected producer behind
    const timeoutS = num('timeout', values['timeout'], 600, { above: 0, what: 'seconds' });
    const maxErrorRate = num('max-error-rate', values['max-error-rate'], 0.001, { min: 0, max: 1, what: 'a fraction' });
    const level = str(values['level']);
    if (level !== undefined && !['critical', 'high', 'medium', 'low'].includes(level)) throw new UsageError(`--level: expected critical, high, medium or low, got ${JSON.stringify(level)}`);
    const registry = createRegistry(cfg.registry);
    const dlq = await registry.encoder<DeadLetter>(valueSubject(topology.dlq));
    const compression = str(values['compression']) ?? cfg.compression;
    if (!Compression.is(compression)) throw new UsageError(`--compression: expected one of none, gzip, snappy, lz4, zstd, got ${JSON.stringify(compression)}`);
    const producer = await createProducer({ kafka: createKafka({ ...cfg.kafka }), compression });
    const batchId = str(values['batch']) ?? randomUUID();
    const kafka = createKafka({ ...cfg.kafka });
    const wait = values['wait'] === true;
    const marks = wait ? await markImport(kafka, topology) : null;
    const bar = progressLine('publish');
    let base = 0;
    let lastFile = '';
    let lastCount = 0;
    try {
      const kind = str(values['kind']);
      const category = str(values['category']);
      const res = await publishFiles(
        positionals,
        {
          producer,
          encodeDeadLetter: dlq.encode,
          onProgress: (p) => {
            if (p.file !== lastFile) {
              base += lastCount;
              lastFile = p.file;
            }
            lastCount = p.published + p.deadLettered;
            bar.update(base + lastCount, p.file);
          },
        },
        { source: str(values['source']) ?? 'file', dataType: dataType as (typeof DATA_TYPES)[number], ...(kind ? { kind } : {}), ...(category ? { category } : {}), ...(level ? { level: level as 'critical' } : {}), batch: batchId, topology },
      );
      const { seconds } = bar.done();
      const total = res.reduce((a, r) => a + r.published, 0);
      const dead = res.reduce((a, r) => a + r.deadLettered, 0);
      const mb = res.reduce((a, r) => a + r.bytes, 0) / 1e6;
      let summary: Awaited<ReturnType<typeof awaitImport>> | null = null;
      if (marks) {
        const expected = total + dead;
        const wbar = progressLine('import', 'records', expected);
        summary = await awaitImport({ kafka, registry, marks, batch: batchId, expected, timeoutMs: timeoutS * 1000, onProgress: (n) => wbar.update(n) });
        wbar.done();
      }
      if (values['json']) process.stdout.write(`${JSON.stringify({ batch: batchId, files: res, published: total, deadLettered: dead, seconds, ...(summary ? { import: summary } : {}) })}\n`);
      else {
        for (const r of res) {
          process.stdout.write(`${r.file}: ${r.published} published, ${r.deadLettered} to the DLQ (${r.format}, sha256 ${r.sha256.slice(0, 12)}...)\n`);
          for (const p of r.problems) process.stdout.write(`  ${r.file}:${p}\n`);
        }
        process.stdout.write(`published ${total.toLocaleString('en-US')} snapshots (${mb.toFixed(1)} MB) to ${topology.raw} in ${seconds.toFixed(2)} s: ${Math.round(total / Math.max(seconds, 1e-9)).toLocaleString('en-US')} snapshots/s; ${dead} to ${topology.dlq}\n`);
      }
      if (summary) {
        if (!values['json']) process.stdout.write(formatImport(summary, maxErrorRate));
        if (!summary.complete || summary.errorRate > maxErrorRate) return 1;
      }
      return 0;
    } finally {
      await producer.close();
    }
  },
});
