// Owns `gexstream stack up|down|status|logs|reset`: the CLI face of src/stack/.
import { performance } from 'node:perf_hooks';
import type { Config } from '../config.js';
import { COMPONENTS, stackDown, stackLogs, stackReset, stackStatus, stackUp, type Component } from '../stack/stack.js';
import { group, int, UsageError, type Command } from './command.js';

const say = (s: string): void => void process.stderr.write(`${s}\n`);

export const stackCommand = (cfg: Config): Command =>
  group('stack', 'Run a local single-node Kafka (KRaft) and Apicurio schema registry as JVM processes on 127.0.0.1, without Docker.\nSet KAFKA_BROKERS and SCHEMA_REGISTRY_URL to use an existing cluster instead (then `stack` starts nothing).\nState (data, logs, pids) lives in GEXSTREAM_STATE_DIR (default ./.gexstream); downloads in GEXSTREAM_CACHE_DIR (default ~/.cache/gexstream).\nGEXSTREAM_KAFKA_VERSION=3.9 (default) or 4.1 picks the Kafka release.', [
    {
      name: 'up',
      summary: 'Start Kafka and the registry (idempotent); waits until both answer.',
      usage: '',
      run: async () => {
        if (cfg.external) {
          say(`external cluster configured (${cfg.brokers.join(',')}, ${cfg.registryUrl}): nothing to start`);
          return 0;
        }
        const t0 = performance.now();
        const r = await stackUp(cfg, say);
        for (const c of r.alreadyRunning) say(`${c}: already running`);
        for (const c of r.started) say(`${c}: started`);
        say(`stack up in ${((performance.now() - t0) / 1000).toFixed(1)} s: kafka ${cfg.brokers.join(',')}, registry ${cfg.registryUrl}`);
        return 0;
      },
    },
    {
      name: 'down',
      summary: 'Stop exactly the processes `stack up` started from this state dir (data is kept).',
      usage: '',
      run: async () => {
        if (cfg.external) {
          say('external cluster configured: nothing to stop');
          return 0;
        }
        const stopped = await stackDown(cfg);
        say(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
        return 0;
      },
    },
    {
      name: 'status',
      summary: 'Show each component, its state, address and pid; exit 1 if any is not running.',
      usage: '[--json]',
      options: { json: { type: 'boolean' } },
      optionHelp: { json: 'print one JSON object per component' },
      run: async ({ values }) => {
        const st = await stackStatus(cfg);
        for (const s of st) {
          if (values['json']) process.stdout.write(`${JSON.stringify(s)}\n`);
          else process.stdout.write(`${s.component.padEnd(9)} ${s.state.padEnd(11)} ${s.address}${s.pid ? `  pid ${s.pid}` : ''}${s.version ? `  ${s.version}` : ''}${s.detail ? `  (${s.detail})` : ''}\n`);
        }
        return st.every((s) => s.state === 'running' || s.state === 'external') ? 0 : 1;
      },
    },
    {
      name: 'logs',
      summary: "Print the tail of a component's log (kafka or registry; both by default).",
      usage: '[kafka|registry] [-n LINES]',
      options: { lines: { type: 'string', short: 'n' } },
      optionHelp: { lines: 'how many lines (default 50)' },
      run: async ({ values, positionals }) => {
        const which = positionals.length ? positionals : COMPONENTS;
        for (const c of which) {
          if (!COMPONENTS.includes(c as Component)) throw new UsageError(`unknown component ${JSON.stringify(c)}; one of: ${COMPONENTS.join(', ')}`);
          process.stdout.write(`==> ${c} <==\n${stackLogs(cfg, c as Component, int('lines', values['lines'], 50))}\n`);
        }
        return 0;
      },
    },
    {
      name: 'reset',
      summary: 'Stop the stack and delete its state dir: every topic, message and schema. Needs --yes.',
      usage: '--yes',
      options: { yes: { type: 'boolean' } },
      optionHelp: { yes: 'confirm the wipe' },
      run: async ({ values }) => {
        if (!values['yes']) throw new UsageError(`stack reset deletes ${cfg.stateDir} (all topics, messages and schemas); run it again with --yes`);
        await stackReset(cfg);
        say(`wiped ${cfg.stateDir}`);
        return 0;
      },
    },
  ]);
