#!/usr/bin/env node
// The test command: starts the local stack when none is running (and stops what it started), prepares topics and
// schemas, runs the unit and integration suites with uvu, and ends with the line `N passed, N failed`.
//   node scripts/test.mjs [--unit] [--keep-stack] [--with-demo]
// --with-demo (CI) also runs the README's first command, the demo, on the fresh stack and counts it as one test.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = new Set(process.argv.slice(2));
const unitOnly = args.has('--unit');
const cli = (...a) => spawnSync(process.execPath, [join(root, 'bin', 'gexstream.js'), ...a], { cwd: root, stdio: 'inherit' }).status;
const log = (s) => process.stderr.write(`[test] ${s}\n`);

log(`Node ${process.version} (${process.execPath})`);

/**
 * The interop tests run `python3` with confluent-kafka and friends (tests/interop/requirements.txt). Installed into the
 * Python on the PATH when it takes them; a system Python that refuses pip (PEP 668, "externally managed", as Debian's
 * does) gets a virtual environment of ours in the cache instead, put first on the PATH of every suite.
 */
const prepareInteropPython = () => {
  const requirements = join(root, 'tests', 'interop', 'requirements.txt');
  const ready = (python) => spawnSync(python, ['-c', 'import confluent_kafka.schema_registry.avro, fastavro, pyarrow.dataset, polars'], { stdio: 'ignore' }).status === 0;
  const pipInstall = (python) => spawnSync(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', requirements], { stdio: 'inherit' }).status === 0;
  const venv = join(process.env.GEXSTREAM_CACHE_DIR ?? join(homedir(), '.cache', 'gexstream'), 'interop-venv');
  const venvBin = join(venv, 'bin');
  const useVenv = () => {
    process.env.PATH = `${venvBin}${delimiter}${process.env.PATH ?? ''}`;
    log(`interop client: ${join(venvBin, 'python3')}`);
  };
  if (ready('python3')) return;
  if (existsSync(join(venvBin, 'python3')) && ready(join(venvBin, 'python3'))) return useVenv();
  log('installing the independent interop client (tests/interop/requirements.txt)');
  if (pipInstall('python3') && ready('python3')) return;
  log(`the system Python refused the install: a virtual environment in ${venv}`);
  if (!existsSync(join(venvBin, 'python3')) && spawnSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' }).status !== 0) throw new Error(`python3 -m venv ${venv} failed (Debian: apt install python3-venv)`);
  if (!pipInstall(join(venvBin, 'python3')) || !ready(join(venvBin, 'python3'))) throw new Error('pip install of tests/interop/requirements.txt failed');
  useVenv();
};

let passed = 0;
let failed = 0;
let skipped = 0;
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** Runs uvu on one folder, streaming its output, and adds its totals. A crash without totals counts as one failure. */
const runSuite = (dir, timeoutMs) =>
  new Promise((resolve) => {
    if (!existsSync(join(root, dir)) || readdirSync(join(root, dir), { recursive: true }).every((f) => !String(f).endsWith('.test.js'))) return resolve();
    log(`running ${dir}`);
    const child = spawn(process.execPath, [join(root, 'node_modules', 'uvu', 'bin.js'), dir, '.test.js$'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let lingering;
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
      // uvu prints its totals and then waits for open handles; a leaked client must not hold the run for 40 minutes
      if (!lingering && /Duration:/.test(strip(out)))
        lingering = setTimeout(() => {
          log(`${dir}: finished but did not exit (an open handle); stopping it`);
          child.kill('SIGKILL');
        }, 15_000);
    });
    const timer = setTimeout(() => {
      log(`${dir}: no result after ${timeoutMs / 1000} s, killing it`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(lingering);
      const text = strip(out);
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const ok = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const sk = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      if (Number.isNaN(total) || Number.isNaN(ok)) {
        failed += 1;
        log(`${dir}: exited ${code} without a result`);
      } else {
        passed += ok;
        failed += total - ok;
        skipped += sk;
        if (code !== 0 && code !== null && total === ok) failed += 1;
      }
      resolve();
    });
  });

/**
 * The status page's browser test drives Debian's chromium: installed here when missing (as root, with apt-get).
 * Without it the browser test fails with the reason logged here; it is never skipped.
 */
const CHROMIUM = process.env.GEXSTREAM_CHROMIUM ?? '/usr/bin/chromium';
const ensureChromium = () => {
  if (existsSync(CHROMIUM)) return;
  log(`${CHROMIUM} is missing: installing Debian's chromium for the status page's browser test`);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    throw new Error(`${CHROMIUM} is missing and this is not root: run \`sudo apt-get install -y chromium\` (the status page's browser test needs it)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...a) => spawnSync('apt-get', a, { stdio: 'inherit', env }).status;
  if (apt('install', '-y', 'chromium') !== 0 && (apt('update') !== 0 || apt('install', '-y', 'chromium') !== 0))
    throw new Error('apt-get install -y chromium failed: the status page\'s browser test needs Debian\'s chromium');
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is not there`);
};

const external = Boolean(process.env.KAFKA_BROKERS || process.env.SCHEMA_REGISTRY_URL);
let startedStack = false;
let exitCode = 1;
try {
  await runSuite('dist/tests/unit', 10 * 60_000);
  if (!unitOnly) {
    if (!external && cli('stack', 'status') !== 0) {
      log('no local stack running: starting one (stopped again at the end)');
      if (cli('stack', 'up') !== 0) throw new Error('could not start the local stack');
      startedStack = true;
    }
    prepareInteropPython();
    if (args.has('--with-demo')) {
      log('running the demo (the README quick start) on this stack');
      const t0 = Date.now();
      const demo = spawnSync(process.execPath, [join(root, 'bin', 'gexstream.js'), 'demo'], { cwd: root, stdio: 'inherit', timeout: 15 * 60_000 });
      if (demo.status === 0) passed += 1;
      else failed += 1;
      log(`demo ${demo.status === 0 ? 'passed' : `FAILED (exit ${demo.status ?? demo.signal})`} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    // a browser that cannot be installed fails the browser test with this reason; the other suites still run
    try {
      ensureChromium();
    } catch (err) {
      log(err.message);
    }
    if (cli('topics', 'apply') !== 0) throw new Error('topics apply failed');
    if (cli('schemas', 'register') !== 0) throw new Error('schemas register failed');
    await runSuite('dist/tests/integration', 40 * 60_000);
  }
  exitCode = failed === 0 ? 0 : 1;
} catch (err) {
  log(err.message);
  failed += 1;
} finally {
  if (startedStack && !args.has('--keep-stack')) {
    log('stopping the stack this run started');
    cli('stack', 'down');
  }
}
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed === 0 ? exitCode : 1);
