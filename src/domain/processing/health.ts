// Owns what "ready" means for a consuming role: a pure judgement over what its consumers last reported.

/** What a consumer reports about itself: its lifecycle, its crashes and its progress through its partitions. */
export interface ConsumerHealth {
  /** starting: joining its group; running: holds partitions; restarting: crashed, a new consumer comes after a backoff. */
  readonly state: 'starting' | 'running' | 'restarting' | 'stopped';
  readonly crashes: number;
  readonly lastCrash: { readonly atMs: number; readonly error: string; readonly restartInMs: number | null } | null;
  /** Messages behind the high-water marks its fetches last saw, over the partitions it holds. */
  readonly lag: number;
  readonly lastProgressAtMs: number | null;
  /** Since when it has had lag without interruption (null: none). */
  readonly behindSinceMs: number | null;
  /** Paused on purpose (a lower level yielding to a higher one): no progress is expected. */
  readonly paused: boolean;
}

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string };

const secs = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/**
 * Ready when the consumer runs and, whenever it has lag, has committed within `stallMs`: a crashed consumer, or one that
 * sits on lag without progress (a producer stuck in a transaction, a wedged fetch), is not ready, with the reason.
 */
export const judgeConsumer = (h: ConsumerHealth, nowMs: number, stallMs: number): Readiness => {
  if (h.state === 'stopped') return { ready: false, reason: 'stopped' };
  if (h.state === 'restarting') {
    const c = h.lastCrash;
    const when = c ? `${secs(nowMs - c.atMs)} ago` : '';
    const next = c?.restartInMs != null ? `; restarting (crash ${h.crashes}, retry after ${secs(c.restartInMs)})` : `; restarting (crash ${h.crashes})`;
    return { ready: false, reason: `consumer crashed ${when}: ${c?.error ?? 'unknown error'}${next}` };
  }
  if (h.state === 'starting') return { ready: false, reason: 'starting: joining its consumer group' };
  if (!h.paused && h.lag > 0 && h.behindSinceMs !== null) {
    const since = Math.max(h.behindSinceMs, h.lastProgressAtMs ?? 0);
    if (nowMs - since > stallMs) return { ready: false, reason: `no progress for ${secs(nowMs - since)} with a lag of ${h.lag}` };
  }
  return { ready: true };
};

/** Exponential backoff with jitter for restarting a crashed consumer: attempt 1 waits about initialMs, capped at maxMs. */
export const restartBackoffMs = (attempt: number, random: number, initialMs = 1_000, maxMs = 30_000): number =>
  Math.round(Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1)) * (0.75 + random / 2));

export type RoleProgress = Readiness & Partial<Pick<ConsumerHealth, 'state' | 'lag' | 'crashes'>>;

/** Each role's consumer judged (null: not started yet), and the roles that are not ready with their reasons. */
export const judgeRoles = (roles: Readonly<Record<string, ConsumerHealth | null>>, nowMs: number, stallMs: number): { ready: boolean; progress: Record<string, RoleProgress>; notReady: string[] } => {
  const progress: Record<string, RoleProgress> = {};
  for (const [role, h] of Object.entries(roles)) progress[role] = h ? { ...judgeConsumer(h, nowMs, stallMs), state: h.state, lag: h.lag, crashes: h.crashes } : { ready: false, reason: 'starting' };
  const notReady = Object.entries(progress).flatMap(([k, r]) => (r.ready ? [] : [`${k}: ${r.reason}`]));
  return { ready: notReady.length === 0, progress, notReady };
};
