// Owns `gexstream publish FILE...`: files -> gex.raw.v1 as raw JSON bytes with lineage headers.
import type { Config } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { createProducer } from '../kafka/producer.js';
import { publishFiles, RAW_TOPIC } from '../pipelines/publish.js';
import { valueSubject } from '../pipelines/schemas.js';
import { createRegistry } from '../registry/registry.js';
import type { DeadLetter } from '../domain/deadLetter.js';
import { str, UsageError, type Command } from './command.js';
import { progressLine } from './progress.js';

const DATA_TYPES = ['historical', 'real_time', 'snapshot'] as const;

export const publishCommand = (cfg: Config): Command => ({
  name: 'publish',
  summary: `Publish snapshot files (JSON object, JSON array such as vendor history files, JSONL; each optionally .gz) to ${RAW_TOPIC}.\nEach record goes as its exact bytes, key = ticker, with headers for source, data type, request id, lineage (file, sha256, index, import batch) and publish time.\nRecords too large for the topic go to gex.dlq.v1 with the reason.`,
  usage: 'FILE... [--source NAME] [--data-type historical|real_time|snapshot] [--kind KIND] [--category C] [--batch ID]',
  options: {
    source: { type: 'string' },
    'data-type': { type: 'string' },
    kind: { type: 'string' },
    category: { type: 'string' },
    batch: { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    source: 'data source name (default: file)',
    'data-type': 'historical | real_time | snapshot (default: snapshot)',
    kind: 'input shape hint, e.g. classic, state, greek, majors, maxchange, orderflow, chain (default: detected)',
    category: 'vendor category, e.g. full, zero, one',
    batch: 'import batch id for the lineage (default: a new UUID)',
    json: 'print the summary as JSON',
  },
  run: async ({ values, positionals }) => {
    if (positionals.length === 0) throw new UsageError('publish: name at least one FILE');
    const dataType = str(values['data-type']) ?? 'snapshot';
    if (!(DATA_TYPES as readonly string[]).includes(dataType)) throw new UsageError(`--data-type: expected one of ${DATA_TYPES.join(', ')}, got ${JSON.stringify(dataType)}`);
    const registry = createRegistry({ url: cfg.registryUrl });
    const dlq = await registry.encoder<DeadLetter>(valueSubject('gex.dlq.v1'));
    const producer = await createProducer({ kafka: createKafka({ brokers: cfg.brokers }), compression: cfg.compression });
    const bar = progressLine('publish');
    let base = 0;
    let lastFile = '';
    let lastCount = 0;
    try {
      const kind = str(values['kind']);
      const category = str(values['category']);
      const batch = str(values['batch']);
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
        { source: str(values['source']) ?? 'file', dataType: dataType as (typeof DATA_TYPES)[number], ...(kind ? { kind } : {}), ...(category ? { category } : {}), ...(batch ? { batch } : {}) },
      );
      const { seconds } = bar.done();
      const total = res.reduce((a, r) => a + r.published, 0);
      const dead = res.reduce((a, r) => a + r.deadLettered, 0);
      const mb = res.reduce((a, r) => a + r.bytes, 0) / 1e6;
      if (values['json']) process.stdout.write(`${JSON.stringify({ files: res, published: total, deadLettered: dead, seconds })}\n`);
      else {
        for (const r of res) {
          process.stdout.write(`${r.file}: ${r.published} published, ${r.deadLettered} to the DLQ (${r.format}, sha256 ${r.sha256.slice(0, 12)}...)\n`);
          for (const p of r.problems) process.stdout.write(`  ${r.file}:${p}\n`);
        }
        process.stdout.write(`published ${total.toLocaleString('en-US')} snapshots (${mb.toFixed(1)} MB) to ${RAW_TOPIC} in ${seconds.toFixed(2)} s: ${Math.round(total / Math.max(seconds, 1e-9)).toLocaleString('en-US')} snapshots/s; ${dead} to gex.dlq.v1\n`);
      }
      return 0;
    } finally {
      await producer.close();
    }
  },
});
