// Owns what the HTTP API does over the running roles: validate-and-publish ingest, lookups in the projector's state,
// the queue from Kafka lag and the processors' stats, rules through rule events, and the status stream.
import { randomUUID } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeValue } from '../domain/decode.js';
import type { PathError } from '../domain/errors.js';
import { H } from '../domain/headers.js';
import { LEVELS, type Level } from '../domain/priority/level.js';
import type { RuleCommand } from '../domain/priority/ruleCommands.js';
import type { ProjectedEvent } from '../domain/projection/projection.js';
import { slaReport } from '../domain/processing/sla.js';
import { deadLetterRows, requestView, ruleMatchCounts, sourceRows } from '../duckdb/queries.js';
import type { ApiDeps, IngestRequest, StatusEvent } from '../http/api.js';
import type { KafkaClient } from '../kafka/client.js';
import type { GexProducer } from '../kafka/producer.js';
import { keepOnSuccess, registryUnavailable, whileUnavailable, type Registry } from '../registry/registry.js';
import { matches, readDeadLetters } from './deadLetters.js';
import type { Prioritizer } from './prioritize.js';
import type { Processor } from './process.js';
import type { Projector } from './project.js';
import type { Topology } from '../domain/topology.js';
import { valueSubject } from './schemas.js';
import { deadLetter, type DeadLetter } from '../domain/deadLetter.js';
import { followRules, ruleWriter, type RuleView } from './rules.js';
import { readLevelLag } from './queue.js';

export class Unavailable extends Error {
  override readonly name = 'Unavailable';
  readonly statusCode = 503;
}

export interface ApiRoles {
  readonly kafka: KafkaClient;
  readonly registry: Registry;
  readonly producer: GexProducer;
  readonly prioritizer?: Prioritizer | null;
  readonly processor?: Processor | null;
  readonly projector?: Projector | null;
  /** Ingest writes raw and dlq; rules read and write rules; the queue reads the levels' lag; dead letters read dlq. */
  readonly topology: Topology;
  readonly processorGroupPrefix?: string;
  readonly maxRecordBytes?: number; // bytes
  readonly maxSkewMs?: number; // ms
  readonly clock?: () => number;
}

/** The status stream's hub: the projector's job events as they commit, fanned out to subscribers. */
export const createStatusHub = (): { publish: (events: readonly ProjectedEvent[]) => void; emit: (e: StatusEvent) => void; subscribe: ApiDeps['subscribe']; size: () => number } => {
  const subs = new Set<(e: StatusEvent) => void>();
  const emit = (e: StatusEvent): void => {
    for (const s of subs) s(e);
  };
  return {
    emit,
    publish: (events) => {
      if (subs.size === 0) return;
      for (const e of events) if (e.kind === 'jobs') emit({ type: 'job', ...e.value });
    },
    subscribe: (f) => {
      subs.add(f);
      return () => subs.delete(f);
    },
    size: () => subs.size,
  };
};

const need = <T>(x: T | null | undefined, role: string): T => {
  if (x === null || x === undefined) throw new Unavailable(`the ${role} does not run in this process (gexstream run --role ${role})`);
  return x;
};

export const apiService = (r: ApiRoles): Omit<ApiDeps, 'metrics' | 'token' | 'bodyLimit' | 'ready' | 'subscribe'> & { close: () => Promise<void> } => {
  const clock = r.clock ?? Date.now;
  const rawTopic = r.topology.raw;
  const maxBytes = r.maxRecordBytes ?? 8 * 1024 * 1024 - 64 * 1024;
  const groupPrefix = r.processorGroupPrefix ?? 'gexstream-processor';
  const dlqTopic = r.topology.dlq;
  // fetched when first needed and kept once had: a registry outage is never remembered past its end
  const dlqEncoder = keepOnSuccess(() => r.registry.encoder<DeadLetter>(valueSubject(dlqTopic)));
  let lastRates: { at: number; processed: Record<Level, number> } | null = null;
  // rules: the prioritizer's live view when it runs here, else one of our own; chosen on first use, with its writer
  const rulesTopic = { topic: r.topology.rules };
  let ownView: Promise<RuleView> | null = null;
  let access: Promise<{ view: RuleView; write: ReturnType<typeof ruleWriter> }> | null = null;
  const rulesAccess = (): Promise<{ view: RuleView; write: ReturnType<typeof ruleWriter> }> =>
    (access ??= (async () => {
      const view = r.prioritizer?.rules() ?? (await (ownView = followRules({ kafka: r.kafka, registry: r.registry, ...rulesTopic })));
      return { view, write: ruleWriter({ view, producer: r.producer, registry: r.registry, ...rulesTopic, now: clock }) };
    })());

  // the count scans every projected decision (about 0.1 s a million, between the projector's writes): one scan per
  // 5 s however many status pages ask
  let counted: { at: number; counts: Promise<Map<string, number>> } | null = null;
  const matchCounts = (p: Projector): Promise<Map<string, number>> => {
    const now = clock();
    if (!counted || now - counted.at > 5_000) {
      const counts = p.read((c) => ruleMatchCounts(c));
      counted = { at: now, counts };
      counts.catch(() => (counted = null));
    }
    return counted.counts;
  };

  const ingest = async (req: IngestRequest): Promise<{ ok: true; requestIds: string[] } | { ok: false; errors: PathError[] }> => {
    const errors: PathError[] = [];
    const now = clock();
    const rejected: DeadLetter[] = [];
    const messages = req.payloads.map((payload, i) => {
      const at = req.payloads.length === 1 ? '$.payload' : `$.payloads[${i}]`;
      const value = Buffer.from(JSON.stringify(payload));
      const mine: PathError[] = [];
      if (value.length > maxBytes) mine.push({ path: at, message: `${value.length} bytes exceeds the ${maxBytes}-byte limit of ${rawTopic}` });
      const d = decodeValue(payload, { dataType: req.data_type, kind: req.kind, category: req.category }, { nowMs: now, maxSkewMs: r.maxSkewMs ?? 5_000, maxBytes });
      if (isLeft(d)) for (const e of d.left) mine.push({ path: `${at}${e.path.startsWith('[') ? '' : '.'}${e.path}`, message: e.message });
      const requestId = randomUUID();
      const ticker = isLeft(d) ? null : d.right.ticker;
      const headers: Record<string, string> = {
        [H.source]: req.source,
        [H.dataType]: req.data_type,
        [H.requestId]: requestId,
        [H.publishedAt]: String(now),
        [H.contentType]: 'application/json',
        ...(req.level ? { [H.requestedLevel]: req.level } : {}),
        ...(req.kind ? { [H.kind]: req.kind } : {}),
        ...(req.category ? { [H.category]: req.category } : {}),
      };
      if (mine.length > 0) {
        errors.push(...mine);
        rejected.push(deadLetter({ stage: 'validate', errors: mine, value, key: ticker, headers, source: req.source, ticker, requestId }, now));
      }
      return { requestId, message: { key: ticker, value, headers } };
    });
    if (errors.length > 0) {
      // the caller gets the paths; the rejected payloads are kept on the DLQ with their bytes, like any bad input
      // a short outage is waited out; a longer one is a 503 (retry later), never a 500 and never cached
      const enc = await whileUnavailable(dlqEncoder, { attempts: 6 }).catch((err: unknown) => {
        throw registryUnavailable(err) ? new Unavailable(`the schema registry is unavailable; retry later (${(err as Error).message})`) : err;
      });
      await r.producer.send([{ topic: dlqTopic, messages: rejected.map((d) => ({ key: d.dead_letter_id, value: enc.encode(d) })) }]);
      return { ok: false, errors: errors.slice(0, 200) };
    }
    await r.producer.send([{ topic: rawTopic, messages: messages.map((m) => m.message) }]);
    return { ok: true, requestIds: messages.map((m) => m.requestId) };
  };

  const queue = async (): Promise<Record<string, unknown>> => {
    // the same lag as `gexstream queue`, from Kafka; the processor's own stats are added when it runs here
    const lags = await readLevelLag({ kafka: r.kafka, topology: r.topology, groupPrefix });
    const levels: Record<string, Record<string, unknown>> = Object.fromEntries(lags.map((x) => [x.level, { topic: x.topic, lag: x.lag }]));
    const p = r.processor?.stats();
    if (p) {
      const now = clock();
      const rates = lastRates && now > lastRates.at ? Object.fromEntries(LEVELS.map((l) => [l, ((p.processed[l] - (lastRates?.processed[l] ?? 0)) * 1000) / (now - (lastRates?.at ?? now))])) : null;
      lastRates = { at: now, processed: { ...p.processed } };
      const sla = new Map(slaReport(p.sla).map((x) => [x.level, x]));
      for (const l of LEVELS)
        levels[l] = {
          ...levels[l], processed: p.processed[l], processed_per_s: rates ? Math.round((rates[l] ?? 0) * 10) / 10 : null, sla_breaches: p.sla[l].breaches, drain: p.plan[l],
          in_flight: p.inFlight[l] ?? 0, p50_ms: sla.get(l)?.p50_ms ?? null, p99_ms: sla.get(l)?.p99_ms ?? null,
        };
    }
    return { levels, held_by_breakers: p?.held ?? null, dead_letters: p?.deadLetters ?? null, at: new Date(clock()).toISOString() };
  };

  return {
    ingest,
    queue,
    request: async (id) => need(r.projector, 'projector').read((c) => requestView(c, id)),
    sources: async () => {
      if (r.projector) return r.projector.read((c) => sourceRows(c));
      return [...need(r.processor, 'projector').stats().sources.values()];
    },
    rules: async () => {
      const { view } = await rulesAccess();
      await view.caughtUp();
      return [...view.ruleSet().rules.values()];
    },
    writeRule: async (cmd) => {
      const res = await (await rulesAccess()).write(cmd as unknown as RuleCommand);
      if (!isLeft(res)) return { ok: true, event: res.right };
      const e = res.left;
      return { ok: false, status: typeof e === 'string' ? (/unknown rule/.test(e) ? 404 : 409) : 400, errors: e };
    },
    latest: async (ticker, kind) =>
      need(r.projector, 'projector')
        .latest(ticker, kind)
        .map((l) => ({ ...l.processed, offset: l.offset, timestamp: new Date(l.processed.snapshot.timestamp_ms).toISOString() })),
    ruleMatches: async () => {
      const { view } = await rulesAccess();
      await view.caughtUp();
      const set = view.ruleSet();
      // counts come from the projected decisions; without a projector here the rules are listed without them
      const counts = r.projector ? await matchCounts(r.projector) : null;
      const rules = [...set.rules.values()].map((e) => ({ rule_id: e.rule.rule_id, name: e.rule.name, level: e.rule.level, active: e.rule.active, matched: counts ? (counts.get(e.rule.rule_id) ?? 0) : null }));
      rules.sort((a, b) => (b.matched ?? 0) - (a.matched ?? 0) || (a.rule_id < b.rule_id ? -1 : 1));
      return { rule_set_version: set.version, counted: counts !== null, rules };
    },
    tickers: async () =>
      need(r.projector, 'projector')
        .latest()
        .map((l) => ({ ticker: l.processed.snapshot.ticker, kind: l.processed.snapshot.kind, request_id: l.processed.request_id, level: l.processed.level, strikes: l.processed.snapshot.strikes.length, timestamp: new Date(l.processed.snapshot.timestamp_ms).toISOString(), processed_at: new Date(l.processed.processed_at_ms).toISOString() }))
        .sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : a.kind < b.kind ? -1 : 1)),
    deadLetters: async (q) => {
      if (r.projector) return r.projector.read((c) => deadLetterRows(c, q));
      const all = await readDeadLetters({ kafka: r.kafka, registry: r.registry, topic: dlqTopic });
      return all
        .filter((d) => matches(d, { ...(q.stage ? { stage: q.stage } : {}), ...(q.ticker ? { ticker: q.ticker } : {}) }))
        .slice(-q.limit)
        .reverse()
        .map((d) => ({ ...d, original_value: undefined, original_bytes: d.original_value.length, original_key: d.original_key?.toString('utf8') ?? null }));
    },
    close: async () => {
      if (ownView) await (await ownView).stop();
    },
  };
};
