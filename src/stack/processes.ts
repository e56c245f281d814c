// Owns background JVM processes of the local stack: start detached, pid files, ownership checks, stop.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Started {
  readonly pid: number;
}

/** Starts a detached process whose stdout/stderr go to logFile; its pid is written to pidFile. */
export const startDetached = (cmd: string, args: string[], opts: { logFile: string; pidFile: string; cwd: string; env?: NodeJS.ProcessEnv }): Started => {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, { cwd: opts.cwd, detached: true, stdio: ['ignore', fd, fd], env: opts.env ?? process.env });
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    child.unref();
    writeFileSync(opts.pidFile, `${child.pid}\n`);
    return { pid: child.pid };
  } finally {
    closeSync(fd);
  }
};

/** The pid in pidFile if that process is alive and its command line carries `marker` (so a reused pid is never ours). */
export const ownedPid = (pidFile: string, marker: string): number | undefined => {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(marker) ? pid : undefined;
  } catch {
    return undefined;
  }
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM, wait up to graceMs, then SIGKILL; removes the pid file. */
export const stopOwned = async (pidFile: string, marker: string, graceMs = 30_000): Promise<boolean> => {
  const pid = ownedPid(pidFile, marker);
  if (pid === undefined) {
    rmSync(pidFile, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) {
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(50);
  }
  rmSync(pidFile, { force: true });
  return true;
};

export const portOpen = (host: string, port: number, timeoutMs = 1000): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createConnection({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });

/** Polls `ready` until it answers true, the process dies, or the deadline passes. */
export const waitUntil = async (what: string, ready: () => Promise<boolean>, opts: { timeoutMs: number; pidFile?: string; marker?: string; logFile?: string }): Promise<void> => {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await ready().catch(() => false)) return;
    if (opts.pidFile && opts.marker && ownedPid(opts.pidFile, opts.marker) === undefined) {
      throw new Error(`${what} exited during start-up${opts.logFile ? `; see ${opts.logFile}:\n${tail(opts.logFile, 15)}` : ''}`);
    }
    if (Date.now() > deadline) throw new Error(`${what} did not become ready within ${opts.timeoutMs / 1000} s${opts.logFile ? `; see ${opts.logFile}` : ''}`);
    await sleep(200);
  }
};

export const tail = (file: string, lines: number): string => {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return text.split('\n').slice(-lines - 1).join('\n');
};
