// Owns `gexstream dlq list|redrive`: inspect dead letters and re-drive them to the raw topic after a fix.
import type { Config } from '../config.js';
import type { Topology } from '../domain/topology.js';
import { createKafka } from '../kafka/client.js';
import { createProducer } from '../kafka/producer.js';
import { matches, readDeadLetters, redrive, type DeadLetterFilter } from '../pipelines/deadLetters.js';
import { createRegistry } from '../registry/registry.js';
import { group, int, str, type Command, type Options } from './command.js';

const filterOptions: Options = { stage: { type: 'string' }, ticker: { type: 'string' }, source: { type: 'string' }, id: { type: 'string' }, reason: { type: 'string' } };
const filterHelp = { stage: 'only this stage (publish, decode, validate, prioritize, process)', ticker: 'only this ticker', source: 'only this source', id: 'only this dead letter id', reason: 'only reasons containing this text' };
const filterOf = (v: Record<string, unknown>): DeadLetterFilter => {
  const f: { -readonly [K in keyof DeadLetterFilter]: DeadLetterFilter[K] } = {};
  for (const k of ['stage', 'ticker', 'source', 'id', 'reason'] as const) {
    const s = str(v[k]);
    if (s !== undefined) f[k] = s;
  }
  return f;
};

export const dlqCommand = (cfg: Config, topology: Topology): Command =>
  group('dlq', `Dead letters: messages that failed decoding, validation or processing, kept with their original bytes on ${topology.dlq}.`, [
    {
      name: 'list',
      summary: 'List dead letters (oldest first) with origin, reason and size.',
      usage: '[--stage S] [--ticker T] [--source S] [--id ID] [--reason TEXT] [--limit N] [--json]',
      options: { ...filterOptions, limit: { type: 'string' }, json: { type: 'boolean' } },
      optionHelp: { ...filterHelp, limit: 'show at most N (default 100)', json: 'one JSON object per dead letter (value as base64)' },
      run: async ({ values }) => {
        const all = await readDeadLetters({ kafka: createKafka({ ...cfg.kafka }), registry: createRegistry(cfg.registry), topic: topology.dlq });
        const f = filterOf(values);
        const chosen = all.filter((d) => matches(d, f));
        const limit = int('limit', values['limit'], 100);
        for (const d of chosen.slice(-limit)) {
          if (values['json']) process.stdout.write(`${JSON.stringify({ ...d, original_value: Buffer.from(d.original_value).toString('base64'), original_key: d.original_key ? Buffer.from(d.original_key).toString('utf8') : null })}\n`);
          else {
            const origin = d.original_topic ? `${d.original_topic}/${d.original_partition}@${d.original_offset}` : d.lineage ? `${d.lineage.file}[${d.lineage.index}]` : '-';
            process.stdout.write(`${new Date(d.failed_at_ms).toISOString()}  ${d.dead_letter_id.slice(0, 8)}  ${d.stage.padEnd(9)} ${(d.ticker ?? '-').padEnd(8)} ${origin}  ${d.original_value.length} B\n    ${d.reason}\n`);
          }
        }
        if (!values['json']) process.stdout.write(`${chosen.length} dead letter(s)${chosen.length > limit ? `, last ${limit} shown` : ''} of ${all.length} on ${topology.dlq}\n`);
        return 0;
      },
    },
    {
      name: 'redrive',
      summary: `Republish the original bytes and headers of matching dead letters to ${topology.raw} (after a fix). Needs a filter or --all.`,
      usage: '[--stage S] [--ticker T] [--source S] [--id ID] [--reason TEXT] [--all] [--dry-run]',
      options: { ...filterOptions, all: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
      optionHelp: { ...filterHelp, all: 'every dead letter', 'dry-run': 'only count what would be re-driven' },
      run: async ({ values }) => {
        const f = filterOf(values);
        if (Object.keys(f).length === 0 && !values['all']) throw new Error('dlq redrive: give a filter (--stage, --ticker, --source, --id, --reason) or --all');
        const kafka = createKafka({ ...cfg.kafka });
        const letters = await readDeadLetters({ kafka, registry: createRegistry(cfg.registry), topic: topology.dlq });
        if (values['dry-run']) {
          process.stdout.write(`would re-drive ${letters.filter((d) => matches(d, f)).length} dead letter(s)\n`);
          return 0;
        }
        const producer = await createProducer({ kafka });
        try {
          const done = await redrive({ producer, letters, filter: f, rawTopic: topology.raw });
          process.stdout.write(`re-drove ${done.length} dead letter(s) to ${topology.raw}\n`);
        } finally {
          await producer.close();
        }
        return 0;
      },
    },
  ]);
