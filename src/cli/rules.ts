// Owns `gexstream rules list|add|update|disable|history`: firm-guideline rules as events on the rules topic.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Config } from '../config.js';
import type { Topology } from '../domain/topology.js';
import { LEVELS, type Level } from '../domain/priority/level.js';
import type { RuleCommandError, RuleEvent } from '../domain/priority/index.js';
import { createKafka } from '../kafka/client.js';
import { readRules, writeRuleCommand } from '../pipelines/rules.js';
import { createRegistry } from '../registry/registry.js';
import { group, num, str, UsageError, type Command, type Options } from './command.js';

const out = (s: string): void => void process.stdout.write(`${s}\n`);
const fieldOptions: Options = { name: { type: 'string' }, condition: { type: 'string' }, description: { type: 'string' }, level: { type: 'string' }, score: { type: 'string' }, adjust: { type: 'string' }, actor: { type: 'string' } };
const fieldHelp = {
  name: 'human-readable name',
  condition: 'CEL expression, e.g. data_type == "real_time" && ticker in ["SPX","NDX"]',
  description: 'what the rule is for',
  level: `set this level when the condition matches (${LEVELS.join(', ')})`,
  score: 'set this score in [0,1] when the condition matches',
  adjust: 'promote (+N) or demote (-N) by levels when the condition matches',
  actor: 'who makes the change (default $USER)',
};

const fields = (v: Record<string, unknown>) => {
  const f: { name?: string; condition?: string; description?: string; level?: Level | null; score?: number | null; adjust?: number | null } = {};
  for (const k of ['name', 'condition', 'description'] as const) if (str(v[k]) !== undefined) f[k] = str(v[k]) as string;
  const level = str(v['level']);
  if (level !== undefined) {
    if (level !== 'none' && !(LEVELS as readonly string[]).includes(level)) throw new UsageError(`--level: expected one of ${LEVELS.join(', ')} (or none), got ${JSON.stringify(level)}`);
    f.level = level === 'none' ? null : (level as Level);
  }
  for (const k of ['score', 'adjust'] as const) {
    const s = str(v[k]);
    if (s === undefined) continue;
    const n = s === 'none' ? null : num(k, s, 0, { what: 'a number (or none)' });
    f[k] = n;
  }
  return f;
};

const refused = (e: RuleCommandError): number => {
  process.stderr.write(`refused: ${typeof e === 'string' ? e : e.map((x) => `${x.path}: ${x.message}`).join('\n  ')}\n`);
  return 1;
};

const describe = (e: RuleEvent): string => {
  const r = e.rule;
  const action = [r.level ? `level ${r.level}` : '', r.score !== null ? `score ${r.score}` : '', r.adjust ? `adjust ${r.adjust > 0 ? '+' : ''}${r.adjust}` : ''].filter(Boolean).join(', ');
  return `${r.rule_id}  v${r.version}  ${r.active ? 'active  ' : 'disabled'}  ${action}\n    ${r.name}: ${r.condition}`;
};

export const rulesCommand = (cfg: Config, topology: Topology): Command => {
  const deps = () => ({ kafka: createKafka({ ...cfg.kafka }), registry: createRegistry(cfg.registry), topic: topology.rules });
  const actor = (v: Record<string, unknown>) => str(v['actor']) ?? process.env['USER'] ?? 'cli';
  const written = (e: RuleEvent): number => {
    out(`${e.type} ${e.rule_id} (rule version ${e.rule.version}); the running prioritizers apply it to their next message`);
    return 0;
  };
  return group('rules', `Firm-guideline rules: CEL conditions with a level, a score or a promotion/demotion, written as events to the compacted ${topology.rules}.\nA running prioritizer applies every change to its very next message. See rules/README.md for the variables and the conflict order.`, [
    {
      name: 'list',
      summary: `The current rule set (folded from ${topology.rules}) and its version.`,
      usage: '[--all] [--json]',
      options: { all: { type: 'boolean' }, json: { type: 'boolean' } },
      optionHelp: { all: 'include disabled rules', json: 'one JSON object per rule' },
      run: async ({ values }) => {
        const { ruleSet } = await readRules(deps());
        const entries = [...ruleSet.rules.values()].filter((e) => values['all'] || e.rule.active).sort((a, b) => a.rule.rule_id.localeCompare(b.rule.rule_id));
        for (const e of entries) {
          if (values['json']) out(JSON.stringify({ ...e.rule, problem: e.problem }));
          else out(`${describe({ type: 'RuleDefined', rule_id: e.rule.rule_id, at_ms: e.rule.updated_at_ms, actor: null, rule: e.rule })}${e.problem ? `\n    problem: ${e.problem}` : ''}`);
        }
        if (!values['json']) out(`rule set version ${ruleSet.version}: ${ruleSet.active.length} active of ${ruleSet.rules.size}`);
        return 0;
      },
    },
    {
      name: 'add',
      summary: 'Define a new rule; an invalid condition is refused with the parse error and nothing is written.',
      usage: '--name NAME --condition EXPR (--level L | --score S | --adjust N) [--description D]',
      options: fieldOptions,
      optionHelp: fieldHelp,
      run: async ({ values }) => {
        const f = fields(values);
        if (f.name === undefined || f.condition === undefined) throw new UsageError('rules add: --name and --condition are required');
        const r = await writeRuleCommand(deps(), { type: 'DefineRule', ...f, name: f.name, condition: f.condition, actor: actor(values) });
        return isLeft(r) ? refused(r.left) : written(r.right);
      },
    },
    {
      name: 'update',
      summary: 'Change fields of a rule (only those given); --enable re-activates a disabled rule.',
      usage: 'RULE_ID [--name] [--condition] [--level|none] [--score|none] [--adjust|none] [--description] [--enable]',
      options: { ...fieldOptions, enable: { type: 'boolean' } },
      optionHelp: { ...fieldHelp, enable: 're-activate a disabled rule' },
      run: async ({ values, positionals }) => {
        const [id] = positionals;
        if (!id) throw new UsageError('rules update: name the RULE_ID');
        const r = await writeRuleCommand(deps(), { type: 'UpdateRule', rule_id: id, changes: { ...fields(values), ...(values['enable'] ? { active: true } : {}) }, actor: actor(values) });
        return isLeft(r) ? refused(r.left) : written(r.right);
      },
    },
    {
      name: 'disable',
      summary: 'Disable a rule (it stays in the history and can be re-enabled with `update --enable`).',
      usage: 'RULE_ID',
      options: { actor: { type: 'string' } },
      optionHelp: { actor: fieldHelp.actor },
      run: async ({ values, positionals }) => {
        const [id] = positionals;
        if (!id) throw new UsageError('rules disable: name the RULE_ID');
        const r = await writeRuleCommand(deps(), { type: 'DisableRule', rule_id: id, actor: actor(values) });
        return isLeft(r) ? refused(r.left) : written(r.right);
      },
    },
    {
      name: 'history',
      summary: `The rule events still on ${topology.rules} (compaction keeps the latest per rule; the projector keeps every change).`,
      usage: '[RULE_ID]',
      run: async ({ positionals }) => {
        const [id] = positionals;
        const { events } = await readRules(deps());
        for (const e of events.filter((x) => id === undefined || x.rule_id === id)) out(`${new Date(e.at_ms).toISOString()}  ${e.type.padEnd(12)} by ${e.actor ?? '-'}\n  ${describe(e)}`);
        return 0;
      },
    },
  ]);
};
