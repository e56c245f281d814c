// Owns `gexstream run`: starts the pipeline roles in this process and stops them cleanly on SIGTERM/SIGINT.
import { bindAddress, isLoopback, type Config } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { createLogger } from '../log.js';
import { createPrioritizer } from '../pipelines/prioritize.js';
import { createProcessor } from '../pipelines/process.js';
import { createProjector, DEFAULT_DB_PATH, DEFAULT_PARQUET_DIR } from '../pipelines/project.js';
import type { Topology } from '../domain/topology.js';
import { LEVELS, type Level } from '../domain/priority/level.js';
import { createRegistry } from '../registry/registry.js';
import { createMetrics } from '../metrics.js';
import { startOpsServer } from '../http/opsServer.js';
import { probeBrokers } from '../kafka/client.js';
import { registryReady } from '../stack/stack.js';
import { int, num, port, str, topologyUnder, UsageError, type Command } from './command.js';
import { createApi } from '../http/api.js';
import { apiService, createStatusHub } from '../pipelines/apiService.js';
import { createProducer } from '../kafka/producer.js';
import type { Prioritizer } from '../pipelines/prioritize.js';
import type { Processor } from '../pipelines/process.js';
import type { Projector } from '../pipelines/project.js';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** The API token of this state dir: read, or made once (0600) so that a local user finds it without configuring one. */
const ensureToken = (stateDir: string): string => {
  const file = join(stateDir, 'api-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(stateDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
};
import { DEFAULT_SEGMENT_OFFSETS } from '../duckdb/parquet.js';
import { judgeRoles } from '../domain/processing/health.js';

export const ROLES = ['prioritizer', 'processor', 'projector'] as const;
export type Role = (typeof ROLES)[number];

interface Service {
  readonly name: string;
  readonly stop: () => Promise<void>;
}

export const runCommand = (cfg: Config, declared: Topology): Command => ({
  name: 'run',
  summary: `Run pipeline roles in this process until SIGTERM/SIGINT (then drain, commit and exit 0).\nRoles: ${ROLES.join(', ')}. More instances with the same roles share the partitions of the same consumer groups.`,
  usage: '[--role ROLE[,ROLE]] [--levels critical,high,...] [--instance ID] [--db PATH] [--parquet DIR|none]',
  options: { 'topic-prefix': { type: 'string' }, 'http-port': { type: 'string' }, 'segment-offsets': { type: 'string' }, db: { type: 'string' }, parquet: { type: 'string' }, role: { type: 'string' }, levels: { type: 'string' }, 'group-prefix': { type: 'string' }, instance: { type: 'string' }, 'ops-port': { type: 'string' }, group: { type: 'string' }, 'raw-partitions-at-once': { type: 'string' }, bind: { type: 'string' }, 'accept-offset-gap': { type: 'boolean' }, 'stall-seconds': { type: 'string' } },
  optionHelp: {
    role: `comma-separated roles (default: all of ${ROLES.join(', ')})`,
    'topic-prefix': 'every topic and group of every role under PREFIX: PREFIX.raw, PREFIX.<level>, PREFIX.processed, PREFIX.jobs, PREFIX.rules, PREFIX.sources, PREFIX.dlq (topics and schemas must exist)',
    'http-port': `the HTTP API (OpenAPI at /docs/openapi.json) on the bind address (--bind), PORT (default ${cfg.httpPort}, GEXSTREAM_HTTP_PORT; 0 = none); writes need the bearer token GEXSTREAM_API_TOKEN (made and written to <state dir>/api-token when unset)`,
    db: `projector: the DuckDB file (default ${DEFAULT_DB_PATH}); one projector per file`,
    parquet: `projector: root of the Parquet tree (default ${DEFAULT_PARQUET_DIR}; none = no Parquet)`,
    'segment-offsets': `projector: offsets of the processed topic per Parquet segment file (default ${DEFAULT_SEGMENT_OFFSETS}); replay with the same value`,
    'group-prefix': 'processor: consumer groups PREFIX-<level> (default gexstream-processor)',
    levels: `levels the processor drains (default all: ${LEVELS.join(',')})`,
    'accept-offset-gap': 'projector: go on from the log start when the DuckDB file holds offsets past a topic\'s end or below its log start (counted in gexstream_projector_offset_gap_records) instead of refusing to start',
    'ops-port': '/healthz, /readyz and /metrics on the bind address, PORT (default 9464; 0 = none)',
    bind: `address of the API and ops ports (default ${cfg.bind}, GEXSTREAM_BIND; 0.0.0.0 in a container); off loopback every read but /healthz and /readyz needs the token too`,
    instance: 'stable instance id: its transactional ids fence a crashed predecessor with the same id (default 0)',
    group: 'consumer group of the prioritizer (default gexstream-prioritizer)',
    'stall-seconds': '/readyz: a role with lag that has committed nothing for this long is not ready (default 30)',
    'raw-partitions-at-once': 'prioritizer: raw partitions handled at once, one transactional producer each (default 3; keep it the same across restarts of an instance)',
  },
  run: async ({ values }) => {
    const roles = (str(values['role']) ?? ROLES.join(',')).split(',').map((r) => r.trim());
    for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) throw new UsageError(`--role: unknown role ${JSON.stringify(r)}; one of ${ROLES.join(', ')}`);
    // every option is checked before anything starts: a usage error must not leave started consumers behind
    const opsPort = port('ops-port', values['ops-port'], 9464);
    const bind = str(values['bind']) === undefined ? cfg.bind : bindAddress(str(values['bind']), '--bind');
    // off loopback anybody on the network can connect: reads need the bearer token as well as writes
    const readToken = isLoopback(bind) ? undefined : (cfg.apiToken ?? ensureToken(cfg.stateDir));
    const httpPort = port('http-port', values['http-port'], cfg.httpPort);
    const atOnce = values['raw-partitions-at-once'];
    const concurrency = atOnce === undefined ? undefined : num('raw-partitions-at-once', atOnce, 3, { integer: true, min: 1, max: 64 });
    const logger = createLogger(cfg.logLevel);
    // the handlers go in first: a SIGTERM while the roles start up still stops them cleanly once they run
    const stopSignal = new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    const kafka = createKafka({ ...cfg.kafka, logger, clientId: `gexstream-${roles.join('+')}` });
    const registry = createRegistry(cfg.registry);
    const instanceId = str(values['instance']) ?? '0';
    const services: Service[] = [];
    const metrics = createMetrics();
    let prioritizer: Prioritizer | null = null;
    let processor: Processor | null = null;
    let projector: Projector | null = null;
    const hub = createStatusHub();
    // one readiness for /readyz on the ops port and on the API: broker, registry, DuckDB, and every role started with
    // its consumers assigned (joined their groups and holding partitions)
    let started = false;
    const stallSeconds = Number(str(values['stall-seconds']) ?? '30');
    if (!Number.isFinite(stallSeconds) || stallSeconds <= 0) throw new UsageError(`--stall-seconds: expected a positive number, got ${JSON.stringify(values['stall-seconds'])}`);
    // each role's consumers as they report themselves: running, crashed (and restarting), or sitting on lag without
    // committing for --stall-seconds; not merely "started once"
    const progress = (): ReturnType<typeof judgeRoles> =>
      judgeRoles(
        {
          ...(roles.includes('prioritizer') ? { prioritizer: prioritizer?.health() ?? null } : {}),
          ...(roles.includes('processor') ? Object.fromEntries(Object.entries(processor?.health() ?? { all: null }).map(([l, h]) => [`processor-${l}`, h ?? null])) : {}),
          ...(roles.includes('projector') ? { projector: projector?.health() ?? null } : {}),
        },
        Date.now(),
        stallSeconds * 1000,
      );
    const ready = async (): Promise<{ ok: boolean; detail: Record<string, unknown> }> => {
      const broker = await probeBrokers(cfg.kafka);
      const reg = await registryReady(cfg.registryUrl, cfg.registry.auth).catch(() => false);
      const duck = projector ? await projector.read(async (c) => (await c.run('SELECT 1'), true)).catch(() => false) : null;
      const { progress: roleProgress, notReady } = progress();
      const consumers = Object.fromEntries(Object.entries(roleProgress).map(([k, r]) => [k, r.ready]));
      const ok = started && broker.ok && reg && duck !== false && notReady.length === 0;
      return { ok, detail: { started, broker: broker.ok ? 'ok' : broker.error, registry: reg ? 'ok' : 'unreachable', duckdb: duck === null ? 'not in this process' : duck ? 'ok' : 'unreachable', consumers, progress: roleProgress, ...(notReady.length > 0 ? { not_ready: notReady } : {}), roles } };
    };
    // --topic-prefix P: every topic and group of every role under P (a second environment, or a test, on one cluster)
    const ns = str(values['topic-prefix']);
    const topology = topologyUnder(declared, ns);
    const levels = (str(values['levels']) ?? LEVELS.join(',')).split(',').map((l) => l.trim());
    if (roles.includes('processor')) for (const l of levels) if (!(LEVELS as readonly string[]).includes(l)) throw new UsageError(`--levels: unknown level ${JSON.stringify(l)}; of ${LEVELS.join(', ')}`);
    // Start-up: every service is registered before it starts, so that a failure at any step (a port taken, a broker or
    // registry that does not answer) stops what already runs (consumers leave their groups, producers close) and the
    // process exits non-zero, instead of lingering as a zombie group member; a SIGTERM during start-up does the same.
    let stopping = false;
    const step = (): void => {
      if (stopping) throw new Error('stopped during start-up');
    };
    const startAll = async (): Promise<void> => {
      // the ops port first: when it is taken, nothing has joined a group yet
      if (opsPort > 0) {
        const ops = await startOpsServer({
          host: bind,
          ...(readToken ? { token: readToken } : {}),
          metrics,
          port: opsPort,
          ready,
        });
        services.unshift({ name: 'ops', stop: ops.close });
        logger.info({ address: ops.address }, 'ops endpoints: /healthz /readyz /metrics');
      }
      if (roles.includes('prioritizer')) {
        const groupId = str(values['group']) ?? (ns ? `${ns}.prioritizer` : undefined);
        const p = await createPrioritizer({
          kafka, registry, logger, metrics, priority: cfg.priority, instanceId, topology,
          ...(groupId ? { groupId } : {}), ...(concurrency ? { concurrency } : {}),
        });
        step();
        prioritizer = p;
        services.push({ name: 'prioritizer', stop: p.stop });
        await p.start();
      }
      if (roles.includes('processor')) {
        const groupPrefix = str(values['group-prefix']) ?? (ns ? `${ns}.processor` : undefined);
        const p = await createProcessor({
          kafka, registry, logger, metrics, instanceId, levels: levels as Level[], topology,
          ...(groupPrefix ? { groupPrefix } : {}),
        });
        step();
        processor = p;
        services.push({ name: 'processor', stop: p.stop });
        await p.start();
        metrics.observe({ processed: () => p.stats().processed, lag: () => p.stats().lag, inFlight: () => p.stats().inFlight, breakers: () => p.stats().breakers });
      }
      if (roles.includes('projector')) {
        const db = str(values['db']) ?? cfg.dbPath;
        const pq = str(values['parquet']) ?? cfg.parquetDir;
        const p = await createProjector({
          kafka, registry, log: logger, db, parquet: pq === 'none' ? null : pq, memoryLimit: cfg.duckdbMemory, parquetCompression: cfg.parquetCompression, ...(cfg.duckdbThreads ? { threads: cfg.duckdbThreads } : {}),
          segmentOffsets: int('segment-offsets', values['segment-offsets'], DEFAULT_SEGMENT_OFFSETS),
          topology,
          ...(ns ? { lagGroupId: `${ns}.projector` } : {}),
          onEvents: hub.publish,
          acceptOffsetGap: values['accept-offset-gap'] === true,
        });
        step();
        projector = p;
        services.push({ name: 'projector', stop: p.stop });
        await p.start();
        metrics.observe({
          projectedRows: () => p.stats().rows,
          offsetGapRecords: () => p.stats().offsetGaps.reduce<Record<string, number>>((a, g) => ({ ...a, [g.topic]: (a[g.topic] ?? 0) + g.size }), {}),
        });
        logger.info({ db, parquet: pq }, 'projector writing');
      }
      if (httpPort > 0) {
        step();
        const producer = await createProducer({ kafka, compression: cfg.compression });
        let closeApi: () => Promise<void> = async () => undefined;
        services.unshift({ name: 'api', stop: async () => { await closeApi(); await producer.close(); } });
        const token = cfg.apiToken ?? ensureToken(cfg.stateDir);
        const roleApi = {
          kafka, registry, producer, prioritizer, processor, projector, topology,
          ...(ns ? { processorGroupPrefix: `${ns}.processor` } : {}),
        };
        const { close: closeService, ...svc } = apiService(roleApi);
        const api = await createApi({
          readsNeedToken: readToken !== undefined,
          metrics,
          token,
          bodyLimit: 16 * 1024 * 1024,
          subscribe: hub.subscribe,
          ready,
          onError: (err, errorId) => logger.error({ err, errorId }, 'API request failed'),
          ...svc,
        });
        closeApi = async () => { await api.close(); await closeService(); };
        const address = await api.listen({ host: bind, port: httpPort });
        // the queue on the status stream once a second, while somebody listens
        const tick = setInterval(() => {
          if (hub.size() > 0) void svc.queue().then((q) => hub.emit({ type: 'queue', levels: q['levels'] as Record<string, unknown>, at_ms: Date.now() })).catch(() => undefined);
        }, 1_000);
        closeApi = async () => { clearInterval(tick); await api.close(); await closeService(); };
        logger.info({ address, openapi: `${address}/docs/openapi.json` }, 'HTTP API');
      }
    };
    const stopAll = async (boundMs: number, before: Promise<unknown> = Promise.resolve()): Promise<void> => {
      const timer = setTimeout(() => {
        logger.error(`did not stop within ${boundMs / 1000} s; exiting`);
        process.exit(1);
      }, boundMs);
      await before;
      for (const s of [...services].reverse()) await s.stop().catch((err: unknown) => logger.error({ err, service: s.name }, 'stopping failed'));
      clearTimeout(timer);
    };
    const starting = startAll();
    starting.catch(() => undefined);
    const first = await Promise.race([starting.then(() => null, (err: unknown) => ({ err })), stopSignal]);
    if (first !== null && typeof first === 'object') {
      stopping = true;
      logger.error({ err: first.err }, 'start-up failed: stopping what already runs');
      // whatever still holds the event loop after the stop, the process ends non-zero within seconds
      setTimeout(() => process.exit(1), 15_000).unref();
      await stopAll(10_000);
      throw first.err;
    }
    let sig: string;
    if (typeof first === 'string') {
      sig = first;
      stopping = true;
      logger.info({ signal: sig }, 'stopping during start-up');
      await stopAll(30_000, starting.catch(() => undefined));
      logger.info('stopped cleanly');
      return 0;
    }
    started = true;
    logger.info({ roles, instanceId }, 'running');
    sig = await stopSignal;
    logger.info({ signal: sig }, 'stopping: draining in-flight work');
    await stopAll(30_000);
    logger.info('stopped cleanly');
    // Everything is committed and closed. A producer replaced after a failed transaction may still be retrying a request
    // of its own against a restarted broker (kafkajs keeps no handle to cancel it): it must not keep the process alive.
    setTimeout(() => process.exit(process.exitCode ?? 0), 3_000).unref();
    return 0;
  },
});
