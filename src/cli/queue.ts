// Owns `gexstream queue`: the per-level backlog of the processors, read from Kafka (no running process needed).
import type { Config } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { readLevelLag } from '../pipelines/queue.js';
import type { Topology } from '../domain/topology.js';
import { str, topologyUnder, type Command } from './command.js';

export const queueCommand = (cfg: Config, declared: Topology): Command => ({
  name: 'queue',
  summary: 'Show per priority level the processors\' lag: messages on each level topic their consumer group has not consumed yet.\nThe running API adds rates, in-flight work and SLA breaches (GET /api/v1/ingest/priority/queue).',
  usage: '[--json] [--topic-prefix P] [--group-prefix G]',
  options: { json: { type: 'boolean' }, 'topic-prefix': { type: 'string' }, 'group-prefix': { type: 'string' } },
  optionHelp: {
    json: 'print one JSON object: {"levels":{"critical":{"topic","group","lag"},...},"total_lag":N}',
    'topic-prefix': 'as `run --topic-prefix P`: read P.<level> and the groups P.processor-<level>',
    'group-prefix': 'processor consumer groups G-<level> (default gexstream-processor)',
  },
  run: async ({ values }) => {
    const ns = str(values['topic-prefix']);
    const groupPrefix = str(values['group-prefix']) ?? (ns ? `${ns}.processor` : undefined);
    const topology = topologyUnder(declared, ns);
    const rows = await readLevelLag({ kafka: createKafka({ ...cfg.kafka }), topology, ...(groupPrefix ? { groupPrefix } : {}) });
    const total = rows.reduce((a, r) => a + r.lag, 0);
    if (values['json']) {
      process.stdout.write(`${JSON.stringify({ levels: Object.fromEntries(rows.map(({ level, ...r }) => [level, r])), total_lag: total })}\n`);
    } else {
      process.stdout.write(`${'level'.padEnd(9)} ${'lag'.padStart(10)}  topic / group\n`);
      for (const r of rows) process.stdout.write(`${r.level.padEnd(9)} ${r.lag.toLocaleString('en-US').padStart(10)}  ${r.topic} / ${r.group}\n`);
      process.stdout.write(`total lag ${total.toLocaleString('en-US')}\n`);
    }
    return 0;
  },
});
