// A start-up failure of `gexstream run` (its ops or API port taken) ends the process non-zero within seconds and leaves
// no member in any consumer group: no zombie that keeps partitions and ignores SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LEVELS } from '../../../src/domain/priority/level.js';
import { eventually, kafka, unique } from '../../support/env.js';
import { isolatedPipeline, type IsolatedPipeline } from '../../support/projection.js';

const test = suite('run: a start-up failure exits non-zero and leaves no group member');

const takePort = async (): Promise<{ server: Server; port: number }> => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  return { server, port: a.port };
};

const members = async (groups: string[]): Promise<Record<string, number>> => {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const d = await admin.describeGroups(groups);
    return Object.fromEntries(d.groups.map((g) => [g.groupId, g.members.length]));
  } finally {
    await admin.disconnect();
  }
};

const startFails = async (iso: IsolatedPipeline, portArgs: string[]): Promise<{ code: number | null; afterFailureMs: number; stderr: string }> => {
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-startup-'));
  const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'gexstream.js'), 'run', '--topic-prefix', iso.prefix, '--instance', unique('su'), '--db', join(dir, 'state.duckdb'), '--parquet', 'none', ...portArgs], {
    env: { ...process.env, GEXSTREAM_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let failedAt = 0;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!failedAt && /start-up failed/.test(stderr)) failedAt = Date.now();
  });
  try {
    // wait for the process to end on its own (bounded, so a zombie fails the test instead of hanging it)
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    const [code] = await eventually('the process to exit by itself', async () => (child.exitCode !== null || child.signalCode !== null ? await exited : undefined), 120_000, 100);
    return { code, afterFailureMs: failedAt ? Date.now() - failedAt : -1, stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
};

const groupsOf = (iso: IsolatedPipeline): string[] => [`${iso.prefix}.prioritizer`, ...LEVELS.map((l) => `${iso.prefix}.processor-${l}`)];

test('ops port taken: exit non-zero within seconds, no group member', async () => {
  const iso = await isolatedPipeline('startup-ops');
  const taken = await takePort();
  try {
    const r = await startFails(iso, ['--ops-port', String(taken.port), '--http-port', '0']);
    assert.is.not(r.code, 0, r.stderr);
    assert.match(r.stderr, /EADDRINUSE/);
    assert.ok(r.afterFailureMs >= 0 && r.afterFailureMs < 15_000, `exited ${r.afterFailureMs} ms after the failure`);
    const m = await members(groupsOf(iso));
    assert.ok(Object.values(m).every((n) => n === 0), `members left: ${JSON.stringify(m)}`);
  } finally {
    taken.server.close();
    await iso.cleanup();
  }
});

test('API port taken after every role joined its groups: exit non-zero within seconds, every member gone', async () => {
  const iso = await isolatedPipeline('startup-api');
  const taken = await takePort();
  try {
    const r = await startFails(iso, ['--ops-port', '0', '--http-port', String(taken.port)]);
    assert.is.not(r.code, 0, r.stderr);
    assert.match(r.stderr, /EADDRINUSE/);
    assert.ok(r.afterFailureMs >= 0 && r.afterFailureMs < 15_000, `exited ${r.afterFailureMs} ms after the failure`);
    const m = await members(groupsOf(iso));
    assert.ok(Object.values(m).every((n) => n === 0), `members left: ${JSON.stringify(m)}`);
  } finally {
    taken.server.close();
    await iso.cleanup();
  }
});

test.run();
