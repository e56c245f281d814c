#!/usr/bin/env node
// Entry point of the `gexstream` CLI: runs the compiled composition root on the project's own Node (24 LTS, installed
// from the npm registry as the devDependency `node`), whichever `node` started this file, with the V8 flags below.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
/**
 * A young generation of 4 MB semi-spaces (V8 grows them to tens of MB): the roles' garbage is short-lived, and the
 * memory it held stayed with the process. W-day, alternating runs in one sitting: a replay's peak RSS 723 MB against
 * 865 MB (medians of 3, wall time unchanged); `bench/day` (all roles in one `run`) 730/682 MB against 824/814 MB, CPU
 * 34.2/28.7 s against 34.7/33.6 s. A flag given on the command line or in NODE_OPTIONS is left as it is.
 */
const V8_FLAGS = ['--max-semi-space-size=4'];
const given = (flag) => {
  const name = flag.split('=')[0];
  return process.execArgv.some((a) => a.split('=')[0] === name) || (process.env.NODE_OPTIONS ?? '').split(/\s+/).some((a) => a.split('=')[0] === name);
};
const missing = V8_FLAGS.filter((f) => !given(f));
const major = Number(process.versions.node.split('.')[0]);
if (major >= REQUIRED_MAJOR && missing.length > 0 && typeof process.execve === 'function') {
  // the same process (same pid, so `kill -9 <pid>` still reaches the role) started again with the flags
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...missing, fileURLToPath(import.meta.url), ...process.argv.slice(2)], process.env);
}
if (major < REQUIRED_MAJOR) {
  const own = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(own)) {
    console.error(`gexstream: needs Node ${REQUIRED_MAJOR} (this is ${process.version}); run \`npm ci\` in the project to install it, or put Node ${REQUIRED_MAJOR} on the PATH`);
    process.exit(1);
  }
  // re-run on the project's Node; signals are passed on so `kill <pid>` stops the real process
  const child = spawn(own, [...process.execArgv, ...missing, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
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
