// The composition root: decodes the configuration and wires the CLI commands to their edges.
import { ConfigError, loadConfig } from './config.js';
import { runCommand, runGroup, UsageError, type Command } from './cli/command.js';
import { stackCommand } from './cli/stack.js';
import { topicsCommand } from './cli/topics.js';
import { schemasCommand } from './cli/schemas.js';
import { publishCommand } from './cli/publish.js';
import { validateCommand } from './cli/validate.js';
import { generateCommand } from './cli/generate.js';
import { dlqCommand } from './cli/dlq.js';
import { demoCommand } from './cli/demo.js';
import { rulesCommand } from './cli/rules.js';
import { runCommand as runRolesCommand } from './cli/run.js';
import { auditCommand, checksumCommand, replayCommand } from './cli/state.js';
import { queueCommand } from './cli/queue.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './stack/paths.js';
import { exitQuietlyOnClosedStdout } from './cli/stdout.js';
import { loadTopology } from './resources.js';

/** The version of the installed package (package.json), for `--version`. */
export const packageVersion = (): string => (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

const USAGE = `gexstream: a stream processor for options gamma-exposure (GEX) data on Apache Kafka

usage: gexstream [--config FILE] <command> [options]     (gexstream <command> --help for details)
       gexstream --version

configuration: a JSON file (--config or GEXSTREAM_CONFIG; see config.example.json) and the environment, which wins.

commands:
`;

export const main = async (argv: string[]): Promise<void> => {
  let code = 0;
  exitQuietlyOnClosedStdout();
  try {
    if (argv[0] === '--version' || argv[0] === '-V') {
      process.stdout.write(`gexstream ${packageVersion()}\n`);
      process.exitCode = 0;
      return;
    }
    // --config FILE (before the command) is GEXSTREAM_CONFIG
    const at = argv.indexOf('--config');
    if (at >= 0 && (at === 0 || !argv.slice(0, at).some((a) => !a.startsWith('-')))) {
      const file = argv[at + 1];
      if (file === undefined || file.startsWith('-')) throw new UsageError('--config: expected a file path');
      process.env['GEXSTREAM_CONFIG'] = file;
      argv = [...argv.slice(0, at), ...argv.slice(at + 2)];
    }
    const cfg = loadConfig();
    // which topic plays which part, decoded once from topics/*.json: every role and command gets its names from it
    const topology = loadTopology();
    const groups: Command[] = [stackCommand(cfg), topicsCommand(cfg), schemasCommand(cfg), dlqCommand(cfg, topology), rulesCommand(cfg, topology)];
    const commands: Command[] = [demoCommand(cfg, topology), runRolesCommand(cfg, topology), generateCommand(), validateCommand(), publishCommand(cfg, topology), replayCommand(cfg, topology), checksumCommand(), auditCommand(), queueCommand(cfg, topology)];
    const all = [...groups, ...commands];
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(`${USAGE}${all.map((c) => `  ${c.name.padEnd(10)} ${c.summary.split('\n')[0]}`).join('\n')}\n`);
      code = name === undefined ? 2 : 0;
    } else {
      const g = groups.find((c) => c.name === name);
      const c = commands.find((c) => c.name === name);
      if (g) code = await runGroup(g, rest);
      else if (c) code = await runCommand(c, rest);
      else throw new UsageError(`unknown command ${JSON.stringify(name)}; run \`gexstream --help\``);
    }
  } catch (err) {
    const e = err as Error;
    process.stderr.write(`gexstream: ${e instanceof UsageError || e instanceof ConfigError || e.name.endsWith('Error') && e.name !== 'Error' ? e.message : e.stack ?? e.message}\n`);
    code = e instanceof UsageError ? 2 : 1;
    // a command that failed half-way may hold connected clients: they must not keep the process alive
    process.exit(code);
  }
  process.exitCode = code;
};
