// Owns the level processors: drain the level topics (v2) critical-first, normalise, publish ProcessedSnapshot + job events
// exactly once; retries with backoff, a circuit breaker per source, source stats and SLA tracking.
import type { DeadLetter } from '../domain/deadLetter.js';
import type { JobEvent, PrioritizedEnvelope } from '../domain/prioritized.js';
import { normalise, processedEnvelope, type ProcessedEnvelope } from '../domain/processed.js';
import { ColumnarFormatError, decodeSnapshot, scanSnapshot, v2Wire, type EnvelopeHead, type SnapshotScan } from '../registry/columnarSnapshot.js';
import { LEVELS, levelRank, type Level } from '../domain/priority/level.js';
import {
  breakerOfStats,
  newerStats,
  defaultBreakerConfig,
  defaultDrainConfig,
  defaultRetryConfig,
  errorDescriptor,
  isRetriable,
  planDrain,
  slaBreached,
  type BreakerConfig,
  type Breakers,
  type DrainConfig,
  type RetryConfig,
  type SlaTally,
  type SourceStats,
} from '../domain/processing/index.js';
import {
  admit,
  initialProcessorState,
  settle,
  type AttemptOutcome,
  type EnvelopeRead,
  type ProcessContext,
  type ProcessNotes,
  type ProcessorState,
  type ProcessOutput,
} from '../domain/processing/step.js';
import type { CanonicalSnapshot } from '../domain/snapshot.js';
import type { KafkaClient } from '../kafka/client.js';
import type { OutMessage } from '../kafka/producer.js';
import type { ConsumerHealth } from '../domain/processing/health.js';
import { createTransactionalProcessor, type InMessage, type TransactionalProcessor } from '../kafka/transactional.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { registryUnavailable, whileUnavailable, type Registry } from '../registry/registry.js';
import type { Topology } from '../domain/topology.js';
import { levelKind } from '../domain/topicKind.js';
import { createTimeSlicer } from '../kafka/timeSlice.js';
import { followTable, type TableReader } from '../kafka/tableReader.js';
import { valueSubject } from './schemas.js';

/** The processing step applied to each snapshot; it may throw (errors with `retriable: true` are retried). */
export type ProcessingStep = (s: CanonicalSnapshot, meta: { source: string; level: Level }) => CanonicalSnapshot;

export interface ProcessorOptions {
  readonly kafka: KafkaClient;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly levels?: readonly Level[];
  readonly instanceId?: string;
  readonly clock?: () => number;
  readonly random?: () => number;
  /** Reads the levels; writes processed, sources, jobs and dlq. */
  readonly topology: Topology;
  readonly groupPrefix?: string;
  readonly step?: ProcessingStep;
  readonly drain?: DrainConfig;
  readonly retry?: RetryConfig;
  readonly breaker?: BreakerConfig;
  /** Messages per transaction by level: small for the lower levels, so a critical arrival waits for little. */
  readonly chunk?: Partial<Record<Level, number>>;
}

export interface ProcessorStats {
  readonly processed: Readonly<Record<Level, number>>;
  readonly deadLetters: number;
  readonly held: number;
  /** Retries scheduled (messages re-queued with a retry ticket), and re-queues of retries read before their time. */
  readonly retried: number;
  readonly waiting: number;
  readonly sla: SlaTally;
  readonly breakers: Breakers;
  readonly sources: ReadonlyMap<string, SourceStats>;
  readonly plan: Readonly<Record<Level, string>>;
  /** Per level: messages behind the high-water marks the consumers last saw, and fetched but not yet committed. */
  readonly lag: Readonly<Record<Level, number>>;
  readonly inFlight: Readonly<Record<Level, number>>;
  /** The levels this processor drains, and whether each one's consumer runs (joined its group). */
  readonly running: Readonly<Partial<Record<Level, boolean>>>;
}

export interface Processor {
  readonly start: () => Promise<void>;
  readonly stop: () => Promise<void>;
  readonly stats: () => ProcessorStats;
  /** Per level: its consumer's lifecycle, crashes and progress (absent before start). */
  readonly health: () => Partial<Record<Level, ConsumerHealth>>;
}

interface LevelState {
  proc?: TransactionalProcessor;
  /** True once its consumer runs: pause/resume before that would crash kafkajs. */
  running: boolean;
  /** Per partition: messages fetched and not yet committed, and what lies beyond the fetched batch. */
  readonly lag: Map<number, number>;
  readonly pending: Map<number, { left: number; beyond: number }>;
  inFlight: number;
  paused: boolean;
  allowance: number;
  completions: number[];
  action: string;
  /** Until then (epoch ms) the level is paused: its last chunk held only messages that wait (held, retries not due). */
  restUntil: number;
}

export const createProcessor = async (o: ProcessorOptions): Promise<Processor> => {
  const levels = o.levels ?? LEVELS;
  const clock = o.clock ?? Date.now;
  const random = o.random ?? Math.random;
  const topicOf = o.topology.level;
  const processedTopic = o.topology.processed;
  const sourcesTopic = o.topology.sources;
  const groupPrefix = o.groupPrefix ?? 'gexstream-processor';
  const step = o.step ?? ((s: CanonicalSnapshot) => normalise(s));
  // The default step (normalise) leaves a snapshot whose strikes ascend and whose derived metrics are there as it is:
  // then the snapshot's bytes are copied from the level topic to the processed one, never decoded nor re-encoded.
  const copiesUnchanged = o.step === undefined;
  const drainCfg = o.drain ?? defaultDrainConfig;
  const retryCfg = o.retry ?? defaultRetryConfig;
  const breakerCfg = o.breaker ?? defaultBreakerConfig;
  // critical stays small (a critical snapshot waits for little); the others commit larger transactions (fewer commits,
  // markers and offset commits per snapshot), and still yield to a higher level at their next message (mayProceed)
  const chunk: Record<Level, number> = { critical: 50, high: 500, medium: 1000, low: 1000, ...o.chunk };
  const log = o.logger.child({ role: 'processor' });

  // a registry that is down or still loading at start-up is waited for a while (about a minute), then start-up fails
  const startUp = { attempts: 18 };
  const wire = v2Wire(o.registry);
  const processedEnc = await whileUnavailable(() => wire.encoder<ProcessedEnvelope>(valueSubject(processedTopic)), startUp);
  const jobsTopic = o.topology.jobs;
  const dlqTopic = o.topology.dlq;
  const jobEnc = await whileUnavailable(() => o.registry.encoder<JobEvent>(valueSubject(jobsTopic)), startUp);
  const dlqEnc = await whileUnavailable(() => o.registry.encoder<DeadLetter>(valueSubject(dlqTopic)), startUp);
  const sourceEnc = await whileUnavailable(() => o.registry.encoder<SourceStats>(valueSubject(sourcesTopic)), startUp);

  // what the step folds; the sources and breakers are also taken from the sources topic (start below)
  let state: ProcessorState = initialProcessorState();
  const fresh = (): LevelState => ({ running: false, lag: new Map(), pending: new Map(), inFlight: 0, paused: false, allowance: Infinity, completions: [], action: 'run', restUntil: 0 });
  // The longest a level rests when it only sees waiting messages: a critical arrival behind them waits at most this.
  const restCapMs: Record<Level, number> = { critical: 50, high: 100, medium: 250, low: 250 };
  const st: Record<Level, LevelState> = { critical: fresh(), high: fresh(), medium: fresh(), low: fresh() };

  const lower = (l: Level): Level[] => levels.filter((x) => levelRank(x) > levelRank(l));

  // a chunk of a back-fill level is hundreds of ms of work: yield every few ms so that the critical level's fetch and
  // commit in this process (and every heartbeat) do not wait behind it
  const slicer = createTimeSlicer();
  /** Bytes of each kind of output the step addresses (the processed value is made by the edge, a re-queue is as read). */
  const encoders = {
    jobs: (e: JobEvent): Buffer => jobEnc.encode(e),
    dlq: (d: DeadLetter): Buffer => dlqEnc.encode(d),
    sources: (x: SourceStats): Buffer => sourceEnc.encode(x),
  };
  const transformFor = (level: Level) => async (batch: readonly InMessage[]) => {
    st[level].inFlight = batch.length;
    const out: OutMessage[] = [];
    const requeue: OutMessage[] = [];
    const jobs: OutMessage[] = [];
    const dlq: OutMessage[] = [];
    // a source's stats as of the end of the batch: one record per source touched, the last
    const stats = new Map<string, SourceStats>();
    // Messages that only wait (held by a breaker, or a retry not yet due) go back to the end of the topic; when a
    // chunk holds nothing else, the level rests briefly after its commit instead of spinning through them.
    let onlyWaits = true;
    let restMs = Infinity;
    const ctxAt = (nowMs: number): ProcessContext => ({ level, nowMs, breaker: breakerCfg, retry: retryCfg });
    const take = (r: { readonly state: ProcessorState; readonly outputs: readonly ProcessOutput<Buffer>[]; readonly notes: ProcessNotes }, requestId: string | null): void => {
      state = r.state;
      for (const x of r.outputs) {
        switch (x.kind) {
          case 'processed':
            out.push({ key: x.key, value: x.value });
            break;
          case 'jobs':
            jobs.push({ key: x.key, value: encoders.jobs(x.value) });
            break;
          case 'dlq':
            dlq.push({ key: x.key, value: encoders.dlq(x.value) });
            o.metrics?.deadLetters.inc({ stage: 'process' });
            break;
          case 'sources':
            stats.set(x.key, x.value);
            break;
          default:
            requeue.push({ key: x.key, value: x.value, headers: x.headers });
            if (x.waitMs !== null) restMs = Math.min(restMs, x.waitMs);
        }
      }
      const n = r.notes;
      if (n.refused !== undefined) log.error({ requestId, level, reason: n.refused }, 'job refused a command');
      if (n.breakerChange) log.warn({ source: n.breakerChange.source, from: n.breakerChange.from, to: n.breakerChange.to, reason: n.breakerChange.reason }, 'circuit breaker changed');
      if (n.latencyMs !== undefined) {
        st[level].completions.push(clock());
        o.metrics?.processLatency.observe({ level }, n.latencyMs / 1000);
        if (slaBreached(level, n.latencyMs)) o.metrics?.slaBreaches.inc({ level });
      }
    };
    for (const m of batch) {
      const turn = slicer.tick();
      if (turn) await turn;
      let head: EnvelopeHead<PrioritizedEnvelope> | undefined;
      let scan: SnapshotScan | undefined;
      let read: EnvelopeRead;
      const value = m.value ?? Buffer.alloc(0);
      try {
        if (!m.value) throw new Error('a tombstone (null value) is not a prioritized snapshot');
        // the envelope only, with the writer's schema (the registry being unreachable is an outage: waited out a
        // while, then the batch fails and is retried whole); the snapshot is walked, not decoded
        head = await whileUnavailable(() => wire.decodeEnvelope<PrioritizedEnvelope>(value), { attempts: 8 });
        scan = scanSnapshot(head.bytes, head.snapshotAt);
        if (scan.end !== head.bytes.length) throw new ColumnarFormatError('$', `${head.bytes.length - scan.end} bytes after the snapshot`);
        read = { ok: true, envelope: head.envelope, ticker: scan.ticker };
      } catch (err) {
        if (registryUnavailable(err)) throw err;
        read = { ok: false, errors: [{ path: err instanceof ColumnarFormatError ? err.path : '$', message: `undecodable prioritized snapshot: ${(err as Error).message}` }] };
      }
      const admitted = admit<Buffer>(state, m, read, ctxAt(clock()));
      take(admitted, read.ok ? read.envelope.request_id : null);
      if (!admitted.waits) onlyWaits = false;
      const a = admitted.attempt;
      if (a === null || head === undefined || scan === undefined) continue;
      // the work only the edge can do, between the step's two phases: the user's processing step and the encode
      let outcome: AttemptOutcome<Buffer>;
      try {
        if (copiesUnchanged && scan.ascending && scan.qualityScore !== null) {
          outcome = { ok: true, key: a.ticker, records: scan.count, value: processedEnc.encodeWithSnapshotBytes(processedEnvelope(a.envelope, scan.qualityScore, clock()), head.bytes.subarray(head.snapshotAt, scan.end)) };
        } else {
          const { snapshot: columns } = decodeSnapshot(head.bytes, head.snapshotAt);
          const snapshot = step(columns, { source: a.envelope.source, level });
          outcome = { ok: true, key: snapshot.ticker, records: snapshot.strikes.count, value: processedEnc.encode(processedEnvelope(a.envelope, snapshot.derived?.quality_score ?? 0, clock()), snapshot) };
        }
      } catch (err) {
        const desc = errorDescriptor(err);
        outcome = { ok: false, name: desc.name, message: (err as Error).message ?? String(err), retriable: isRetriable(desc), jitter01: random() };
      }
      take(settle(state, a, outcome, ctxAt(clock())), a.envelope.request_id);
    }
    // nothing else to do: rest after the commit instead of spinning (never inside the batch)
    if (onlyWaits && requeue.length > 0) st[level].restUntil = clock() + Math.min(restCapMs[level], restMs);
    st[level].inFlight = 0;
    return [
      { kind: 'processed' as const, messages: out },
      { kind: 'jobs' as const, messages: jobs },
      { kind: 'dlq' as const, messages: dlq },
      { kind: levelKind(level), messages: requeue },
      { kind: 'sources' as const, messages: [...stats].map(([key, x]) => ({ key, value: encoders.sources(x) })) },
    ];
  };

  // The drain controller: every planIntervalMs the pure policy decides; this edge only applies it with pause/resume.
  const plan = (): void => {
    const now = clock();
    const loads = Object.fromEntries(LEVELS.map((l) => [l, { lag: levels.includes(l) ? [...st[l].lag.values()].reduce((a, b) => a + b, 0) : 0, inFlight: st[l].inFlight, paused: st[l].paused }])) as Record<Level, { lag: number; inFlight: number; paused: boolean }>;
    const counts = Object.fromEntries(LEVELS.map((l) => {
      st[l].completions = st[l].completions.filter((t) => now - t <= drainCfg.windowMs);
      return [l, st[l].completions.length];
    })) as Record<Level, number>;
    const decided = planDrain(loads, counts, drainCfg);
    for (const l of levels) {
      const d = decided[l];
      const s = st[l];
      s.action = d.action;
      s.allowance = d.action === 'run' ? Infinity : d.action === 'throttle' ? d.budget : 0;
      if (!s.running) continue;
      const pause = d.action === 'pause' || now < s.restUntil;
      if (pause && !s.paused) {
        s.proc?.pause();
        s.paused = true;
      } else if (!pause && s.paused) {
        s.proc?.resume();
        s.paused = false;
      }
    }
  };
  let timer: NodeJS.Timeout | undefined;
  let sourcesTable: TableReader | undefined;
  let started = false;
  let stopping = false;

  return {
    stats: () => ({
      ...state.counts,
      processed: { ...state.counts.processed },
      sla: state.sla,
      breakers: state.breakers,
      sources: state.sources,
      plan: Object.fromEntries(LEVELS.map((l) => [l, st[l].action])) as Record<Level, string>,
      lag: Object.fromEntries(LEVELS.map((l) => [l, [...st[l].lag.values()].reduce((a, b) => a + b, 0)])) as Record<Level, number>,
      inFlight: Object.fromEntries(LEVELS.map((l) => [l, st[l].inFlight])) as Record<Level, number>,
      running: Object.fromEntries(levels.map((l) => [l, st[l].running])) as Partial<Record<Level, boolean>>,
    }),
    health: () => Object.fromEntries(levels.flatMap((l) => (st[l].proc ? [[l, st[l].proc.health()]] : []))) as Partial<Record<Level, ConsumerHealth>>,
    start: async () => {
      // Source stats and breakers are rebuilt from the sources topic before any message is processed (a restart goes
      // on from the recorded totals and keeps an open breaker open), and followed: another instance's newer totals
      // are taken up, so instances add to each other's counts instead of overwriting them with their own.
      const table = await followTable({
        kafka: o.kafka,
        topic: sourcesTopic,
        onRecord: async ({ key, value }) => {
          if (key === null || value === null) return;
          try {
            const read = await whileUnavailable(() => o.registry.decode<SourceStats>(value), { stopped: () => stopping });
            if (!newerStats(state.sources.get(key), read)) return;
            const sources = new Map(state.sources);
            sources.set(key, read);
            state = { ...state, sources };
            if (!started) {
              const breakers = new Map(state.breakers);
              breakers.set(key, breakerOfStats(read));
              state = { ...state, breakers };
            }
          } catch (err) {
            log.error({ err, source: key }, 'unreadable source stats skipped');
          }
        },
      });
      sourcesTable = table;
      await table.ready;
      started = true;
      for (const level of levels) {
        const s = st[level];
        s.proc = await createTransactionalProcessor({
          kafka: o.kafka,
          groupId: `${groupPrefix}-${level}`,
          topics: [topicOf(level)],
          topology: o.topology,
          transactionalId: `${groupPrefix}-${level}-${o.instanceId ?? '0'}`,
          transform: transformFor(level),
          maxMessagesPerTransaction: chunk[level],
          maxInputBytesPerTransaction: level === 'critical' ? 1024 * 1024 : 8 * 1024 * 1024, // a whole fetch (8 MiB per partition) for the others
          maxWaitTimeInMs: 100, // a paused level must see its resume within a plan interval, not after a 5 s fetch wait
          mayProceed: level === 'critical' ? undefined : () => {
            if (s.allowance <= 0) return false;
            s.allowance--;
            return true;
          },
          onFetched: ({ partition, highWatermark, lastOffset, messages }) => {
            // Transaction markers occupy offsets: a gap of one or two after the batch is the commit marker, not work.
            const gap = highWatermark - (lastOffset + 1);
            const p = { left: messages, beyond: gap > 2 ? gap : 0 };
            s.pending.set(partition, p);
            s.lag.set(partition, p.left + p.beyond);
            // a higher level has work: plan now rather than at the next tick, so lower levels yield at their next
            // message; the policy still grants them their minimum share (zeroing them here would starve them under
            // continuous critical traffic)
            if (lower(level).length > 0) plan();
          },
          onCrash: ({ error, restart, inMs }) => log.error({ err: error, level, restart, inMs }, 'processor consumer crashed; restarting'),
          onProducerReset: ({ transactionalId, error }) => log.warn({ err: error, level, transactionalId }, 'transaction failed; its producer is re-initialised'),
          onStartRetry: ({ error, attempt }) => log.warn({ err: error, level, attempt }, 'broker unavailable at start-up; waiting for it'),
          onCommitted: ({ partition, messages }) => {
            const p = s.pending.get(partition);
            if (!p) return;
            p.left = Math.max(0, p.left - messages);
            s.lag.set(partition, p.left + p.beyond);
            // a higher level just ran dry: let the lower ones go now rather than at the next tick
            if (level !== 'low' && [...s.lag.values()].every((x) => x === 0)) plan();
            else if (s.restUntil > clock()) plan(); // the chunk only held waiting messages: rest from now on
          },
        });
      }
      for (const level of levels) {
        await st[level].proc?.start();
        st[level].running = true;
      }
      timer = setInterval(plan, drainCfg.planIntervalMs);
      log.info({ levels }, 'processors started');
    },
    stop: async () => {
      stopping = true;
      if (timer) clearInterval(timer);
      for (const level of levels) st[level].running = false;
      for (const level of levels) await st[level].proc?.stop();
      await sourcesTable?.stop();
    },
  };
};
