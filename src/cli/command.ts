// Owns the CLI's command shape: every command declares its usage and options, and gets `--help` for free.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { withPrefix, type Topology } from '../domain/topology.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Lines after `usage:`; the first is the synopsis. */
  readonly usage: string;
  readonly options?: Options;
  readonly optionHelp?: Record<string, string>;
  readonly run: (args: Parsed) => Promise<number>;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const helpText = (c: Command, prefix = 'gexstream'): string => {
  const lines = [`usage: ${prefix} ${c.name} ${c.usage}`, '', c.summary];
  const opts = Object.entries(c.options ?? {});
  if (opts.length > 0) {
    lines.push('', 'options:');
    for (const [name, o] of opts) {
      const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' VALUE' : ''}`;
      lines.push(`  ${flag.padEnd(28)} ${c.optionHelp?.[name] ?? ''}`);
    }
  }
  lines.push(`  ${'    --help'.padEnd(28)} show this help`);
  return lines.join('\n');
};

export const runCommand = async (c: Command, argv: string[], prefix = 'gexstream'): Promise<number> => {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${helpText(c, prefix)}\n`);
    return 0;
  }
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options: c.options ?? {}, allowPositionals: true, strict: true }) as Parsed;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${helpText(c, prefix)}`);
  }
  return c.run(parsed);
};

/** A command made of subcommands (`stack up`, `topics apply`, ...). */
export const group = (name: string, summary: string, subs: Command[]): Command => ({
  name,
  summary: `${summary}\n\ncommands:\n${subs.map((s) => `  ${s.name.padEnd(12)} ${s.summary.split('\n')[0]}`).join('\n')}`,
  usage: `<${subs.map((s) => s.name).join('|')}> [options]`,
  run: async ({ positionals }) => {
    const [sub, ...rest] = positionals;
    const c = subs.find((s) => s.name === sub);
    if (!c) throw new UsageError(`${sub === undefined ? 'missing command' : `unknown command ${JSON.stringify(sub)}`} for \`gexstream ${name}\`; one of: ${subs.map((s) => s.name).join(', ')}`);
    return runCommand(c, rest, `gexstream ${name}`);
  },
});

/** A group parses its own argv: pass everything after the group name through untouched. */
export const runGroup = async (c: Command, argv: string[]): Promise<number> => {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${helpText(c)}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  return c.run({ values: {}, positionals: argv });
};

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export interface NumberRule {
  /** Smallest accepted value (inclusive, unless `above`). */
  readonly min?: number;
  readonly max?: number;
  /** Exclusive lower bound, e.g. 0 for "a number > 0". */
  readonly above?: number;
  readonly integer?: boolean;
  /** What the number is, for the message (e.g. "seconds", "a TCP port"). */
  readonly what?: string;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The one parser of numeric options: `Number()` alone takes '' as 0, '0x10' as 16 and 'abc' as NaN (which turned
 * limits off silently); here anything but a plain decimal in range is a usage error (exit 2) naming the option.
 */
export const num = (name: string, v: unknown, fallback: number, rule: NumberRule = {}): number => {
  if (v === undefined) return fallback;
  const s = typeof v === 'string' ? v.trim() : '';
  const n = DECIMAL.test(s) ? Number(s) : NaN;
  const range = [
    rule.above !== undefined ? `> ${rule.above}` : rule.min !== undefined ? `>= ${rule.min}` : '',
    rule.max !== undefined ? `<= ${rule.max}` : '',
  ].filter(Boolean).join(' and ');
  const expected = `${rule.what ?? (rule.integer ? 'a whole number' : 'a number')}${range ? ` ${range}` : ''}`;
  const ok =
    Number.isFinite(n) &&
    (!rule.integer || Number.isSafeInteger(n)) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.max === undefined || n <= rule.max) &&
    (rule.above === undefined || n > rule.above);
  if (!ok) throw new UsageError(`--${name}: expected ${expected}, got ${JSON.stringify(v)}`);
  return n;
};

/** A whole number >= 0. */
export const int = (name: string, v: unknown, fallback: number): number => num(name, v, fallback, { integer: true, min: 0 });

/** A TCP port (0 = none). */
export const port = (name: string, v: unknown, fallback: number): number => num(name, v, fallback, { integer: true, min: 0, max: 65535, what: 'a TCP port' });

/** The declared topology, or every topic under `--topic-prefix P` when given (P.raw, P.<level>, ...); an illegal P is a usage error. */
export const topologyUnder = (declared: Topology, prefix: string | undefined): Topology => {
  if (prefix === undefined) return declared;
  try {
    return withPrefix(declared, prefix);
  } catch (err) {
    throw new UsageError(`--topic-prefix: ${(err as Error).message}`);
  }
};
