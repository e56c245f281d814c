#!/usr/bin/env node
// `npm run bench`: runs every benchmark under dist/bench and prints their figures. Broker-backed benchmarks start the
// local stack when none runs (and stop it again), like the test command.
//   node scripts/bench.mjs [NAME...]     e.g. node scripts/bench.mjs decode prioritize chaos-processor
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'dist', 'bench');
const pure = new Set(['decode', 'prioritize', 'duckdb']);
const wanted = process.argv.slice(2);
const all = readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'support.js').map((f) => f.slice(0, -3));
// chaos scripts kill processes on purpose and take minutes: only when named
const chosen = wanted.length ? all.filter((b) => wanted.includes(b)) : all.filter((b) => !b.startsWith('chaos-'));
const cli = (...a) => spawnSync(process.execPath, [join(root, 'bin', 'gexstream.js'), ...a], { cwd: root, stdio: 'inherit' }).status;
const external = Boolean(process.env.KAFKA_BROKERS || process.env.SCHEMA_REGISTRY_URL);
let started = false;
let failed = 0;
try {
  if (chosen.some((b) => !pure.has(b))) {
    if (!external && cli('stack', 'status') !== 0) {
      if (cli('stack', 'up') !== 0) throw new Error('could not start the local stack');
      started = true;
    }
    if (cli('topics', 'apply') !== 0 || cli('schemas', 'register') !== 0) throw new Error('topics/schemas setup failed');
  }
  for (const b of chosen) {
    process.stdout.write(`\n== bench/${b} ==\n`);
    const r = spawnSync(process.execPath, ['--expose-gc', join(dir, `${b}.js`)], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) failed++;
  }
} finally {
  if (started) cli('stack', 'down');
}
process.exit(failed === 0 ? 0 : 1);
