// Owns `gexstream schemas register|list`: the CLI face of src/pipelines/schemas.ts.
import type { Config } from '../config.js';
import { registerSchemas, valueSubject } from '../pipelines/schemas.js';
import { createRegistry } from '../registry/registry.js';
import { loadSchemas } from '../registry/schemas.js';
import { loadTopicSpecs, schemasDir } from '../resources.js';
import { group, type Command } from './command.js';

const out = (s: string): void => void process.stdout.write(`${s}\n`);

export const schemasCommand = (cfg: Config): Command =>
  group('schemas', `Register the Avro schemas in ${schemasDir} with the schema registry (TopicNameStrategy subjects, BACKWARD compatibility).`, [
    {
      name: 'register',
      summary: 'Register each topic\'s value schema as `<topic>-value`; an incompatible change is refused, naming subject and field.',
      usage: '[--json]',
      options: { json: { type: 'boolean' } },
      optionHelp: { json: 'one JSON object per subject: {"subject","id","version","created"}' },
      run: async ({ values }) => {
        const res = await registerSchemas({ registry: createRegistry(cfg.registry), specs: loadTopicSpecs(), schemas: loadSchemas(schemasDir) });
        if (values['json']) {
          for (const r of res) out(JSON.stringify(r));
          return 0;
        }
        for (const r of res) out(`${r.created ? '+' : '='} ${r.subject.padEnd(38)} id ${r.id}  version ${r.version}${r.created ? '' : '  (unchanged)'}`);
        out(`${res.filter((r) => r.created).length} registered, ${res.filter((r) => !r.created).length} unchanged`);
        return 0;
      },
    },
    {
      name: 'list',
      summary: 'Show the registered id and version of each topic\'s value subject.',
      usage: '[--json]',
      options: { json: { type: 'boolean' } },
      optionHelp: { json: 'one JSON object per subject: {"subject","schema","registered","id","version"}' },
      run: async ({ values }) => {
        const registry = createRegistry(cfg.registry);
        let missing = 0;
        for (const spec of loadTopicSpecs()) {
          if (!spec.valueSchema) continue;
          const l = await registry.latest(valueSubject(spec.name));
          if (!l) missing++;
          if (values['json']) out(JSON.stringify({ subject: valueSubject(spec.name), schema: spec.valueSchema, registered: l !== undefined, id: l?.id ?? null, version: l?.version ?? null }));
          else out(`${valueSubject(spec.name).padEnd(38)} ${spec.valueSchema.padEnd(32)} ${l ? `id ${l.id}  version ${l.version}` : 'not registered'}`);
        }
        return missing === 0 ? 0 : 1;
      },
    },
  ]);
