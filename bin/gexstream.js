#!/usr/bin/env node
// Entry point of the `gexstream` CLI: runs the compiled composition root on the project's own Node (24 LTS, installed
// from the npm registry as the devDependency `node`), whichever `node` started this file.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
if (major < REQUIRED_MAJOR) {
  const own = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(own)) {
    console.error(`gexstream: needs Node ${REQUIRED_MAJOR} (this is ${process.version}); run \`npm ci\` in the project to install it, or put Node ${REQUIRED_MAJOR} on the PATH`);
    process.exit(1);
  }
  // re-run on the project's Node; signals are passed on so `kill <pid>` stops the real process
  const child = spawn(own, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    process.exit(code ?? 1);
  });
} else {
  import('../dist/src/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/main.js')) {
      console.error('gexstream: not built yet; run `npm run build` first');
    } else {
      console.error(err);
    }
    process.exit(1);
  });
}
