// Owns keeping a kafkajs consumer alive: kafkajs restarts itself only after retriable errors, so a non-retriable crash
// (KafkaJSNotImplemented, a transaction state error, a TypeError in a handler) would leave the role silently dead.
// This tracks each consumer's health (crashes, lag, progress) and restarts it with backoff after such a crash.
import type { Consumer } from 'kafkajs';
import { restartBackoffMs, type ConsumerHealth } from '../domain/processing/health.js';

export interface HealthTracker {
  readonly joined: () => void;
  readonly crashed: (err: unknown, restartInMs: number | null) => void;
  readonly stopped: () => void;
  readonly paused: (p: boolean) => void;
  /** A fetch saw `behind` messages from its first offset to the high-water mark of a partition. */
  readonly fetched: (key: string, behind: number) => void;
  /** A commit left `behind` messages on a partition: progress. */
  readonly committed: (key: string, behind: number) => void;
  readonly snapshot: () => ConsumerHealth;
}

/** The error and, when kafkajs wrapped it, the cause it wrapped (the TypeError behind a KafkaJSNonRetriableError). */
const describe = (err: unknown): string => {
  if (!(err instanceof Error)) return String(err);
  let root: unknown = err;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  const text = `${err.name}: ${err.message}`;
  return root !== err && root instanceof Error ? `${text} (caused by ${root.name}: ${root.message})` : text;
};

export const createHealthTracker = (clock: () => number = Date.now): HealthTracker => {
  let state: ConsumerHealth['state'] = 'starting';
  let crashes = 0;
  let lastCrash: ConsumerHealth['lastCrash'] = null;
  let lastProgressAtMs: number | null = null;
  let behindSinceMs: number | null = null;
  let isPaused = false;
  const behind = new Map<string, number>();
  const lag = (): number => [...behind.values()].reduce((a, b) => a + b, 0);
  const update = (): void => {
    const l = lag();
    if (l > 0 && behindSinceMs === null) behindSinceMs = clock();
    if (l === 0) behindSinceMs = null;
  };
  return {
    joined: () => {
      state = 'running';
      // the assignment may have changed: the next fetches say what this member holds now
      behind.clear();
      behindSinceMs = null;
    },
    crashed: (err, restartInMs) => {
      state = 'restarting';
      crashes++;
      lastCrash = { atMs: clock(), error: describe(err), restartInMs };
    },
    stopped: () => {
      state = 'stopped';
    },
    paused: (p) => {
      // the stall clock counts from the resume: waiting while paused on purpose is not a stall
      if (isPaused && !p && behindSinceMs !== null) behindSinceMs = clock();
      isPaused = p;
    },
    fetched: (key, n) => {
      behind.set(key, Math.max(0, n));
      update();
    },
    committed: (key, n) => {
      lastProgressAtMs = clock();
      behind.set(key, Math.max(0, n));
      update();
    },
    snapshot: () => ({ state, crashes, lastCrash, lag: lag(), lastProgressAtMs, behindSinceMs, paused: isPaused }),
  };
};

export interface SupervisedOptions {
  /** A new consumer: kafkajs cannot run a crashed one again. */
  readonly make: () => Consumer;
  /** Connects, subscribes and runs it. */
  readonly begin: (c: Consumer) => Promise<void>;
  readonly health: HealthTracker;
  readonly onCrash?: (info: { error: unknown; restart: 'kafkajs' | 'supervisor'; inMs: number | null }) => void;
  /** Called after each (re)start, e.g. to pause again what was paused. */
  readonly onStarted?: (c: Consumer) => void;
  readonly random?: () => number;
}

export interface Supervised {
  readonly start: () => Promise<void>;
  readonly stop: () => Promise<void>;
  /** The running consumer (null while restarting). */
  readonly current: () => Consumer | null;
}

/** Runs a consumer and starts a new one with backoff whenever kafkajs gives up on it; the health shows each crash. */
export const supervise = ({ make, begin, health, onCrash, onStarted, random = Math.random }: SupervisedOptions): Supervised => {
  let consumer: Consumer | null = null;
  let running = false;
  let stopping = false;
  let timer: NodeJS.Timeout | null = null;
  let attempt = 0;
  let progressAtCrash: number | null = null;

  const schedule = (error: unknown, old: Consumer | null): void => {
    // a crash after progress starts the backoff over; crash after crash waits longer each time
    const progress = health.snapshot().lastProgressAtMs;
    attempt = progress !== null && progress !== progressAtCrash ? 1 : attempt + 1;
    progressAtCrash = progress;
    const inMs = restartBackoffMs(attempt, random());
    health.crashed(error, inMs);
    onCrash?.({ error, restart: 'supervisor', inMs });
    if (consumer === old) consumer = null;
    running = false;
    timer = setTimeout(() => {
      timer = null;
      void (async () => {
        await old?.disconnect().catch(() => undefined);
        if (stopping) return;
        await launch().catch((err: unknown) => {
          if (!stopping) schedule(err, consumer);
        });
      })();
    }, inMs);
  };
  const launch = async (): Promise<void> => {
    const c = make();
    consumer = c;
    c.on(c.events.GROUP_JOIN, () => {
      if (c === consumer) health.joined();
    });
    c.on(c.events.CRASH, ({ payload }) => {
      if (c !== consumer || stopping) return;
      if (payload.restart) {
        // kafkajs restarts this consumer itself after a retriable error
        health.crashed(payload.error, null);
        onCrash?.({ error: payload.error, restart: 'kafkajs', inMs: null });
        return;
      }
      schedule(payload.error, c);
    });
    await begin(c);
    running = true;
    if (stopping) return;
    onStarted?.(c);
  };
  return {
    current: () => (running ? consumer : null),
    start: async () => {
      try {
        await launch();
      } catch (err) {
        const c = consumer;
        consumer = null;
        await c?.disconnect().catch(() => undefined);
        throw err;
      }
    },
    stop: async () => {
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const c = consumer;
      consumer = null;
      running = false;
      await c?.disconnect();
      health.stopped();
    },
  };
};
