// Owns `gexstream topics apply|list`: the CLI face of src/pipelines/topics.ts.
import type { Config } from '../config.js';
import { describeAction, describeWarning } from '../domain/topicSpec.js';
import { createKafka } from '../kafka/client.js';
import { applyTopics, listTopics } from '../pipelines/topics.js';
import { loadTopicSpecs, topicsDir } from '../resources.js';
import { group, str, type Command } from './command.js';

const out = (s: string): void => void process.stdout.write(`${s}\n`);

export const topicsCommand = (cfg: Config): Command =>
  group('topics', `Create and reconcile the topics declared in ${topicsDir} (one JSON file per topic).`, [
    {
      name: 'apply',
      summary: 'Create missing topics, raise partition counts, alter changed configs; prints the diff. A no-op when in sync.',
      usage: '[--dry-run] [--json] [--dir DIR]',
      options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, dir: { type: 'string' } },
      optionHelp: {
        'dry-run': 'print the diff, change nothing',
        json: 'print one JSON object: {"dry_run","brokers","declared","actions":[...],"warnings":[...],"changes":[text...]}',
        dir: `topic spec folder (default ${topicsDir})`,
      },
      run: async ({ values }) => {
        const specs = loadTopicSpecs(str(values['dir']));
        const r = await applyTopics({ kafka: createKafka({ ...cfg.kafka }), specs, dryRun: values['dry-run'] === true });
        if (values['json']) {
          out(JSON.stringify({ dry_run: values['dry-run'] === true, brokers: r.brokers, declared: specs.length, actions: r.actions, warnings: r.warnings, changes: r.actions.map(describeAction) }));
          return 0;
        }
        for (const a of r.actions) out(describeAction(a));
        for (const w of r.warnings) out(describeWarning(w));
        out(r.actions.length === 0 ? `topics in sync: ${specs.length} declared, nothing to do` : `${values['dry-run'] ? 'would apply' : 'applied'} ${r.actions.length} change(s) to ${specs.length} declared topics (${r.brokers} broker(s))`);
        return 0;
      },
    },
    {
      name: 'list',
      summary: 'Show each declared topic: actual vs declared partitions, replication and configs.',
      usage: '[--json] [--dir DIR]',
      options: { json: { type: 'boolean' }, dir: { type: 'string' } },
      optionHelp: { json: 'one JSON object per topic', dir: `topic spec folder (default ${topicsDir})` },
      run: async ({ values }) => {
        const rows = await listTopics({ kafka: createKafka({ ...cfg.kafka }), specs: loadTopicSpecs(str(values['dir'])) });
        if (values['json']) for (const r of rows) out(JSON.stringify(r));
        else {
          out(`${'topic'.padEnd(30)} ${'partitions'.padEnd(12)} ${'replication'.padEnd(12)} state`);
          for (const r of rows) {
            const a = r.actual;
            out(
              `${r.declared.name.padEnd(30)} ${`${a?.partitions ?? '-'}/${r.declared.partitions}`.padEnd(12)} ${`${a?.replicationFactor ?? '-'}/${r.declared.replicationFactor}`.padEnd(12)} ${a === undefined ? 'missing' : r.inSync ? 'in sync' : 'drift (run `topics apply`)'}`,
            );
          }
          out('(actual/declared; declared replication is capped at the broker count)');
        }
        return rows.every((r) => r.inSync) ? 0 : 1;
      },
    },
  ]);
