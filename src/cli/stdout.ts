// Owns what the CLI does when its reader goes away (`gexstream validate --json | head`): stop at once and exit 0.
//
// The output is no longer wanted, which is not a failure. A write to a closed pipe fails with EPIPE; Node reports it
// as an 'error' event on process.stdout (a stack trace when nobody listens), and only after the current synchronous
// work, so a tight loop also checks `stdoutClosed()` itself.

const closed = (err: unknown): boolean => (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';

/** True once a write to stdout has failed because the reader closed the pipe. */
export const stdoutClosed = (): boolean => closed(process.stdout.errored);

/** Exits 0 on a closed stdout instead of an unhandled 'error' event; other stdout errors stay errors. */
export const exitQuietlyOnClosedStdout = (): void => {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (closed(err)) process.exit(0);
    throw err;
  });
};

/** For loops that write to stdout without yielding: exit 0 as soon as the reader has gone. */
export const exitIfStdoutClosed = (): void => {
  if (stdoutClosed()) process.exit(0);
};
