// CLI hygiene, on the real binary: --version, a closed pipe (`| head`) exits 0 without a trace, numeric options are
// checked by one parser (exit 2 with the option's name), and validate's progress line shows only on a terminal.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { num, port, UsageError } from '../../../src/cli/command.js';
import { validateProgress } from '../../../src/cli/validate.js';
import { packageRoot } from '../../../src/stack/paths.js';

const bin = join(packageRoot, 'bin', 'gexstream.js');
const dir = mkdtempSync(join(tmpdir(), 'gexstream-cli-'));
const feed = join(dir, 'feed.jsonl');
const NOW = ['--now', '2025-11-08T00:00:00Z'];

const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: packageRoot, encoding: 'utf8', maxBuffer: 1 << 30 });

/** Runs the CLI, reads its first chunk of stdout and closes the pipe, as `| head -1` does. */
const headOne = async (args: string[]): Promise<{ code: number | null; first: string; stderr: string }> => {
  const child = spawn(process.execPath, [bin, ...args], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // closed in the same tick as the first chunk arrives: a flowing stream would otherwise drain the writer to the end
  const chunk = await new Promise<Buffer>((resolve) =>
    child.stdout.once('data', (c: Buffer) => {
      child.stdout.destroy();
      resolve(c);
    }),
  );
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, first: chunk.toString('utf8').split('\n')[0] ?? '', stderr };
};

/** The command line of a process as the kernel shows it, waiting (up to 10 s) until `until` holds for it. */
const cmdlineOf = async (pid: number, until: (args: string[]) => boolean): Promise<string[]> => {
  const end = Date.now() + 10_000;
  for (;;) {
    let args: string[] = [];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    } catch {
      // not there yet
    }
    if (until(args) || Date.now() > end) return args;
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('the CLI runs with its V8 flags in the same process (the pid a supervisor kills), and keeps a flag the user gave', async () => {
  // a role that waits for a broker and a registry that are not there: it stays up long enough to be looked at
  const env = { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1', GEXSTREAM_LOG_LEVEL: 'silent' };
  const role = ['run', '--role', 'prioritizer', '--ops-port', '0', '--http-port', '0'];
  for (const [given, want] of [[[], '--max-semi-space-size=4'], [['--max-semi-space-size=8'], '--max-semi-space-size=8']] as const) {
    const child = spawn(process.execPath, [...given, bin, ...role], { cwd: packageRoot, env, stdio: 'ignore' });
    try {
      const args = await cmdlineOf(child.pid as number, (a) => a.some((x) => x.startsWith('--max-semi-space-size')));
      assert.equal(args.filter((x) => x.startsWith('--max-semi-space-size')), [want], args.join(' '));
      assert.ok(args.includes(bin) && args.includes('prioritizer'), args.join(' '));
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

test.before(() => {
  // far beyond a pipe's buffer (about 10 MB of JSON lines): the writer is far from done when the reader leaves
  const r = cli(['generate', '--count', '2000', '--out', feed]);
  assert.is(r.status, 0, r.stderr);
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('--version and -V print the package version', () => {
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = cli([flag]);
    assert.is(r.status, 0);
    assert.is(r.stdout, `gexstream ${version}\n`);
    assert.is(r.stderr, '');
  }
});

test('generate | head: exit 0, nothing on stderr', async () => {
  const r = await headOne(['generate', '--count', '200000']);
  assert.is(r.stderr, '');
  assert.is(r.code, 0);
  assert.ok(JSON.parse(r.first).ticker === 'SPX');
});

test('validate --json | head: exit 0, nothing on stderr', async () => {
  const r = await headOne(['validate', feed, '--json', ...NOW]);
  assert.is(r.stderr, '');
  assert.is(r.code, 0);
  assert.is(JSON.parse(r.first).ticker, 'SPX');
});

test('validate --json to a reader that stays: every record, and the summary on stderr', () => {
  const r = cli(['validate', feed, '--json', ...NOW]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim().split('\n').length, 2000);
  assert.match(r.stderr, /feed\.jsonl: 2000 valid, 0 invalid/);
});

test('numeric options: one parser, exit 2 naming the option', () => {
  const cases: Array<[string[], RegExp]> = [
    [['validate', feed, '--max-bytes', 'abc'], /--max-bytes: expected a size in bytes > 0, got "abc"/],
    [['validate', feed, '--max-bytes', ''], /--max-bytes: expected .* got ""/],
    [['validate', feed, '--max-skew=-1'], /--max-skew: expected seconds >= 0/],
    [['generate', '--rate', '0x10'], /--rate: expected a number > 0, got "0x10"/],
    [['generate', '--count', '1.5'], /--count: expected a whole number >= 0, got "1.5"/],
    [['generate', '--bad-fraction', '2'], /--bad-fraction: expected a number >= 0 and <= 1, got "2"/],
    [['publish', feed, '--timeout', 'soon'], /--timeout: expected seconds > 0, got "soon"/],
    [['run', '--ops-port', '70000'], /--ops-port: expected a TCP port >= 0 and <= 65535, got "70000"/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('num: decimals only, in range', () => {
  assert.is(num('x', undefined, 7), 7);
  assert.is(num('x', '2.5', 0, { min: 0 }), 2.5);
  assert.is(num('x', '1e3', 0, { integer: true }), 1000);
  assert.is(num('x', '-3', 0, { integer: true }), -3);
  assert.is(port('p', '0', 1), 0);
  for (const bad of ['abc', '', ' ', '0x10', 'Infinity', 'NaN', '1_000', '12abc']) assert.throws(() => num('x', bad, 0), (e: Error) => e instanceof UsageError && e.message.startsWith('--x: expected'));
  assert.throws(() => num('x', '0', 1, { above: 0 }), /> 0/);
  assert.throws(() => num('x', '65536', 1, { max: 65535 }), /<= 65535/);
  assert.throws(() => num('x', '9007199254740993', 1, { integer: true }), /whole number/);
});

const fakeStream = (isTTY: boolean): NodeJS.WriteStream & { text: () => string } => {
  let text = '';
  const w = new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(w, { isTTY, text: () => text });
  return w;
};

test('validate progress: a live line on a terminal, none with --json, --quiet or without a terminal', () => {
  const tty = fakeStream(true);
  const bar = validateProgress({ json: false, quiet: false }, tty);
  assert.ok(bar);
  bar?.update(1234, 'feed.jsonl');
  assert.match(tty.text(), /^\r\x1b\[2Kvalidate 1,234 records .* feed\.jsonl$/);
  assert.is(validateProgress({ json: true, quiet: false }, fakeStream(true)), null);
  assert.is(validateProgress({ json: false, quiet: true }, fakeStream(true)), null);
  assert.is(validateProgress({ json: false, quiet: false }, fakeStream(false)), null);
});

// util-linux `script` gives the CLI a real terminal; stdout and stderr both land in its transcript
const onTerminal = (args: string[]): string =>
  spawnSync('script', ['-qec', [process.execPath, bin, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { cwd: packageRoot, encoding: 'utf8' }).stdout;
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

test('validate on a real terminal: the progress line, and not with --quiet', () => {
  if (!hasScript) {
    console.log('  (util-linux `script` not installed: the terminal case is covered by the unit case above only)');
    return;
  }
  const shown = onTerminal(['validate', feed, ...NOW]);
  assert.match(shown, /\r\x1b\[2Kvalidate [\d,]+ records/);
  assert.match(shown, /feed\.jsonl: 2000 valid, 0 invalid/);
  const quiet = onTerminal(['validate', feed, '--quiet', ...NOW]);
  assert.not.match(quiet, /validate [\d,]+ records/);
  assert.match(quiet, /feed\.jsonl: 2000 valid, 0 invalid/);
});

test.run();
