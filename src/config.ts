// Owns the process configuration: decoded once, with io-ts, from an optional JSON file (GEXSTREAM_CONFIG or
// --config) and the environment, which wins over the file.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { formatErrors, formatPathError } from './domain/errors.js';
import { decodePriorityConfig, defaultPriorityConfig, type PriorityConfig } from './domain/priority/config.js';

export const KafkaVersion = t.keyof({ '3.9': null, '4.1': null });
export type KafkaVersion = t.TypeOf<typeof KafkaVersion>;

/** Producer compression of record batches; every role reads all five whatever it writes (src/kafka/codecs.ts). */
export const Compression = t.keyof({ none: null, gzip: null, snappy: null, lz4: null, zstd: null }, 'none | gzip | snappy | lz4 | zstd');
export type Compression = t.TypeOf<typeof Compression>;
/**
 * lz4, from bench/codecs on W-day: 2.1x fewer bytes on disk at the publish throughput of none, and the cheapest of the
 * compressed codecs in the consume + produce loop every role runs (0.70x of none; zstd 0.47x for 3.9x fewer bytes).
 */
export const DEFAULT_COMPRESSION: Compression = 'lz4';

/** Codecs of the Parquet files, as configured (GEXSTREAM_PARQUET_COMPRESSION, duckdb.parquet_compression; DuckDB writes them). */
export const PARQUET_COMPRESSIONS = ['snappy', 'zstd', 'gzip', 'lz4', 'none'] as const;
export type ParquetCompression = (typeof PARQUET_COMPRESSIONS)[number];
/**
 * Snappy, as DuckDB, Spark and pyarrow write by default: a W-day segment of 780,000 strike rows took 0.76 s of CPU and
 * 29 MB with it, against 1.55 s and 19 MB with zstd (level 1: 1.13 s, 26 MB) and 0.77 s and 51 MB uncompressed; the
 * projector is CPU-bound, so zstd is for when disk is scarcer than CPU.
 */
export const DEFAULT_PARQUET_COMPRESSION: ParquetCompression = 'snappy';

const EnvConfig = t.partial({
  KAFKA_BROKERS: t.string,
  SCHEMA_REGISTRY_URL: t.string,
  GEXSTREAM_STATE_DIR: t.string,
  GEXSTREAM_CACHE_DIR: t.string,
  GEXSTREAM_KAFKA_VERSION: KafkaVersion,
  GEXSTREAM_KAFKA_PORT: t.string,
  GEXSTREAM_REGISTRY_PORT: t.string,
  GEXSTREAM_LOG_LEVEL: t.string,
  GEXSTREAM_COMPRESSION: Compression,
  GEXSTREAM_DUCKDB_MEMORY: t.string,
  GEXSTREAM_DUCKDB_THREADS: t.string,
  GEXSTREAM_PARQUET_COMPRESSION: t.string,
  GEXSTREAM_HTTP_PORT: t.string,
  GEXSTREAM_API_TOKEN: t.string,
  GEXSTREAM_CONFIG: t.string,
  GEXSTREAM_BIND: t.string,
  KAFKA_SASL_MECHANISM: t.keyof({ plain: null, 'scram-sha-256': null, 'scram-sha-512': null }),
  KAFKA_SASL_USERNAME: t.string,
  KAFKA_SASL_PASSWORD: t.string,
  KAFKA_SSL: t.keyof({ true: null, false: null }),
  SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: t.string,
});

const Port = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'Port');
const Sasl = t.type({ mechanism: t.keyof({ plain: null, 'scram-sha-256': null, 'scram-sha-512': null }), username: t.string, password: t.string }, 'Sasl');
const Tls = t.partial({ ca_file: t.string, cert_file: t.string, key_file: t.string, reject_unauthorized: t.boolean }, 'Tls');

/** The configuration file: every section and key optional; unknown keys are errors (a typo must not pass silently). */
export const FileConfig = t.partial(
  {
    kafka: t.partial({ brokers: t.array(t.string), client_id: t.string, ssl: t.union([t.boolean, Tls]), sasl: Sasl, compression: Compression }),
    registry: t.partial({ url: t.string, basic_auth: t.type({ username: t.string, password: t.string }) }),
    http: t.partial({ port: Port, token: t.string, bind: t.string }),
    paths: t.partial({ state_dir: t.string, cache_dir: t.string, db: t.string, parquet: t.string }),
    duckdb: t.partial({ memory: t.string, threads: t.number, parquet_compression: t.string }),
    priority: t.UnknownRecord,
    limits: t.partial({ max_record_bytes: t.number, max_skew_ms: t.number }),
    log_level: t.string,
  },
  'FileConfig',
);
type FileConfig = t.TypeOf<typeof FileConfig>;

const KNOWN: Record<string, readonly string[]> = {
  '': ['kafka', 'registry', 'http', 'paths', 'duckdb', 'priority', 'limits', 'log_level'],
  kafka: ['brokers', 'client_id', 'ssl', 'sasl', 'compression'],
  'kafka.ssl': ['ca_file', 'cert_file', 'key_file', 'reject_unauthorized'],
  'kafka.sasl': ['mechanism', 'username', 'password'],
  registry: ['url', 'basic_auth'],
  'registry.basic_auth': ['username', 'password'],
  http: ['port', 'token', 'bind'],
  paths: ['state_dir', 'cache_dir', 'db', 'parquet'],
  duckdb: ['memory', 'threads', 'parquet_compression'],
  limits: ['max_record_bytes', 'max_skew_ms'],
};

const unknownKeys = (v: unknown, at = ''): string[] => {
  const known = KNOWN[at];
  if (known === undefined || v === null || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => {
    const path = at ? `${at}.${k}` : k;
    return known.includes(k) ? unknownKeys(x, path) : [`${path}: unknown key (known here: ${known.join(', ')})`];
  });
};

export interface RegistrySettings {
  readonly url: string;
  readonly auth?: { readonly username: string; readonly password: string };
}

export interface KafkaSettings {
  readonly brokers: string[];
  readonly clientId?: string;
  readonly ssl?: boolean | { ca?: string[]; cert?: string; key?: string; rejectUnauthorized?: boolean };
  readonly sasl?: KafkaSasl;
  /** What the client's producers compress with, unless a producer is given its own. */
  readonly compression?: Compression;
}

type KafkaSasl = { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };

const readConfigFile = (path: string): { file: FileConfig; dir: string } => {
  if (!existsSync(path)) throw new ConfigError(`config file ${path}: not found`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config file ${path}: not JSON: ${(err as Error).message}`);
  }
  const problems = unknownKeys(json);
  const decoded = FileConfig.decode(json);
  if (isLeft(decoded)) problems.push(...formatErrors(decoded.left));
  if (problems.length > 0 || isLeft(decoded)) throw new ConfigError(`config file ${path}: ${problems.join('; ')}`);
  return { file: decoded.right, dir: dirname(resolve(path)) };
};

export interface Config {
  /** Brokers to use; the local stack's when KAFKA_BROKERS is unset. */
  readonly brokers: string[];
  /** Base URL of the Confluent-compatible API (Apicurio: .../apis/ccompat/v7). */
  readonly registryUrl: string;
  /** The registry's URL and HTTP basic auth (Confluent Cloud: API key and secret): what every registry client is created with. */
  readonly registry: RegistrySettings;
  /** Address the API and ops ports listen on (default 127.0.0.1); off loopback, reads need the token too. */
  readonly bind: string;
  /** True when KAFKA_BROKERS / SCHEMA_REGISTRY_URL point at an existing cluster: `stack` starts nothing. */
  readonly external: boolean;
  readonly stateDir: string;
  readonly cacheDir: string;
  readonly kafkaVersion: KafkaVersion;
  readonly kafkaPort: number;
  readonly controllerPort: number;
  readonly registryPort: number;
  readonly logLevel: string;
  /** Producer compression (GEXSTREAM_COMPRESSION, kafka.compression); also in `kafka`, so every client of the process has it. */
  readonly compression: Compression;
  /** DuckDB memory_limit of the projector (and replay), e.g. 512MB or 2GB. */
  readonly duckdbMemory: string;
  /** DuckDB worker threads of the projector; 0 = DuckDB's default (one per core). */
  readonly duckdbThreads: number;
  /** Codec of the projector's Parquet files: snappy (default), zstd, gzip, lz4 or none. */
  readonly parquetCompression: ParquetCompression;
  /** The HTTP API of `gexstream run` on 127.0.0.1 (0 = none). */
  readonly httpPort: number;
  /** Bearer token of the API's write endpoints; when unset, `run` makes one and writes it to <state dir>/api-token. */
  readonly apiToken: string | null;
  /** Brokers and, from the config file, TLS and SASL: what every Kafka client of the process is created with. */
  readonly kafka: KafkaSettings;
  /** Scoring weights, thresholds and curves: the defaults with the config file's "priority" laid over them. */
  readonly priority: PriorityConfig;
  /** Projector defaults (run, demo). */
  readonly dbPath: string;
  readonly parquetDir: string;
  readonly maxRecordBytes: number | null;
  readonly maxSkewMs: number | null;
  /** The config file read, if any. */
  readonly configFile: string | null;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const port = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`${name}: expected a TCP port, got ${JSON.stringify(raw)}`);
  return n;
};

const duckdbMemory = (raw: string | undefined): string => {
  // the projector's DuckDB: beyond this it evicts cached blocks (at 512MB a W-day replay held 260 MB of them)
  if (raw === undefined || raw === '') return '128MB';
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(raw.trim())) throw new ConfigError(`GEXSTREAM_DUCKDB_MEMORY: expected a size such as 512MB or 2GB, got ${JSON.stringify(raw)}`);
  return raw.trim();
};

const duckdbThreads = (raw: string | undefined): number => {
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new ConfigError(`GEXSTREAM_DUCKDB_THREADS: expected a whole number of threads (0 = one per core), got ${JSON.stringify(raw)}`);
  return n;
};

const parquetCompression = (raw: string | undefined): ParquetCompression => {
  if (raw === undefined || raw === '') return DEFAULT_PARQUET_COMPRESSION;
  const v = raw.trim().toLowerCase();
  if (!(PARQUET_COMPRESSIONS as readonly string[]).includes(v)) throw new ConfigError(`GEXSTREAM_PARQUET_COMPRESSION: expected one of ${PARQUET_COMPRESSIONS.join(', ')}, got ${JSON.stringify(raw)}`);
  return v as ParquetCompression;
};

/** SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO is `user:password` (Confluent's basic.auth.user.info); the password may hold colons. */
const userInfo = (raw: string | undefined): { username: string; password: string } | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const at = raw.indexOf(':');
  if (at <= 0) throw new ConfigError('SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: expected user:password');
  return { username: raw.slice(0, at), password: raw.slice(at + 1) };
};

/** SASL from the environment wins over the file's kafka.sasl; a user without a password (or the reverse) is an error. */
const saslFromEnv = (e: { KAFKA_SASL_MECHANISM?: KafkaSasl['mechanism']; KAFKA_SASL_USERNAME?: string; KAFKA_SASL_PASSWORD?: string }): KafkaSasl | undefined => {
  const { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = e;
  if (username === undefined && password === undefined) {
    if (e.KAFKA_SASL_MECHANISM !== undefined) throw new ConfigError('KAFKA_SASL_MECHANISM: set KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD too');
    return undefined;
  }
  if (!username || password === undefined || password === '') throw new ConfigError('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD: expected both (or neither)');
  return { mechanism: e.KAFKA_SASL_MECHANISM ?? 'plain', username, password };
};

export const bindAddress = (raw: string | undefined, what = 'GEXSTREAM_BIND'): string => {
  if (raw === undefined || raw === '') return '127.0.0.1';
  const s = raw.trim();
  if (!/^[A-Za-z0-9.:_-]+$/.test(s)) throw new ConfigError(`${what}: expected a host name or IP address (0.0.0.0 for every interface), got ${JSON.stringify(raw)}`);
  return s;
};

/** Loopback only: 127.0.0.0/8, ::1 and localhost. Any other bind can be reached from elsewhere. */
export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::ffff:127.0.0.1';

const apiToken = (raw: string | undefined): string | null => {
  if (raw === undefined || raw === '') return null;
  if (raw.length < 16 || /\s/.test(raw)) throw new ConfigError('GEXSTREAM_API_TOKEN: expected at least 16 characters without spaces');
  return raw;
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config => {
  const decoded = EnvConfig.decode(Object.fromEntries(Object.entries(env).filter(([k]) => k in EnvConfig.props)));
  if (isLeft(decoded)) throw new ConfigError(`invalid configuration: ${formatErrors(decoded.left).join('; ')}`);
  const e = decoded.right;
  const configFile = e.GEXSTREAM_CONFIG ? resolve(cwd, e.GEXSTREAM_CONFIG) : null;
  const { file: f, dir } = configFile ? readConfigFile(configFile) : { file: {} as FileConfig, dir: cwd };
  const fromFile = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(dir, p));
  const kafkaPort = port('GEXSTREAM_KAFKA_PORT', e.GEXSTREAM_KAFKA_PORT, 9092);
  const registryPort = port('GEXSTREAM_REGISTRY_PORT', e.GEXSTREAM_REGISTRY_PORT, 8081);
  const brokerList = e.KAFKA_BROKERS ?? f.kafka?.brokers?.join(',');
  const brokers = (brokerList ?? `127.0.0.1:${kafkaPort}`).split(',').map((s) => s.trim()).filter(Boolean);
  if (brokers.length === 0) throw new ConfigError('KAFKA_BROKERS: expected host:port[,host:port...], got an empty list');
  const registryUrl = e.SCHEMA_REGISTRY_URL ?? f.registry?.url;
  const priority = decodePriorityConfig(f.priority ?? {});
  if (isLeft(priority)) throw new ConfigError(`config file ${configFile}: ${priority.left.map((x) => formatPathError({ ...x, path: `priority.${x.path}` })).join('; ')}`);
  const tls = f.kafka?.ssl;
  const read = (p: string | undefined, what: string): string | undefined => {
    if (p === undefined) return undefined;
    const abs = resolve(dir, p);
    if (!existsSync(abs)) throw new ConfigError(`config file ${configFile}: kafka.ssl.${what}: ${abs} not found`);
    return readFileSync(abs, 'utf8');
  };
  const fileSsl = tls === undefined ? undefined : typeof tls === 'boolean' ? tls : {
    ...(tls.ca_file ? { ca: [read(tls.ca_file, 'ca_file') as string] } : {}),
    ...(tls.cert_file ? { cert: read(tls.cert_file, 'cert_file') as string } : {}),
    ...(tls.key_file ? { key: read(tls.key_file, 'key_file') as string } : {}),
    ...(tls.reject_unauthorized !== undefined ? { rejectUnauthorized: tls.reject_unauthorized } : {}),
  };
  const compression = e.GEXSTREAM_COMPRESSION ?? f.kafka?.compression ?? DEFAULT_COMPRESSION;
  // KAFKA_SSL=true: TLS with the system's CAs (what SASL_SSL clusters such as Confluent Cloud need); false turns it off
  const ssl = e.KAFKA_SSL === undefined ? fileSsl : e.KAFKA_SSL === 'true' ? (typeof fileSsl === 'object' ? fileSsl : true) : undefined;
  const sasl = saslFromEnv(e) ?? f.kafka?.sasl;
  const registryAuth = userInfo(e.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO) ?? f.registry?.basic_auth;
  const resolvedRegistryUrl = (registryUrl ?? `http://127.0.0.1:${registryPort}/apis/ccompat/v7`).replace(/\/+$/, '');
  const stateDir = resolve(cwd, e.GEXSTREAM_STATE_DIR ?? fromFile(f.paths?.state_dir) ?? '.gexstream');
  return {
    brokers,
    registryUrl: resolvedRegistryUrl,
    registry: { url: resolvedRegistryUrl, ...(registryAuth ? { auth: registryAuth } : {}) },
    bind: bindAddress(e.GEXSTREAM_BIND ?? f.http?.bind),
    external: brokerList !== undefined || registryUrl !== undefined,
    stateDir,
    cacheDir: resolve(e.GEXSTREAM_CACHE_DIR ?? fromFile(f.paths?.cache_dir) ?? join(homedir(), '.cache', 'gexstream')),
    kafkaVersion: e.GEXSTREAM_KAFKA_VERSION ?? '3.9',
    kafkaPort,
    controllerPort: kafkaPort + 1,
    registryPort,
    logLevel: e.GEXSTREAM_LOG_LEVEL ?? f.log_level ?? 'info',
    compression,
    duckdbMemory: duckdbMemory(e.GEXSTREAM_DUCKDB_MEMORY ?? f.duckdb?.memory),
    duckdbThreads: duckdbThreads(e.GEXSTREAM_DUCKDB_THREADS ?? (f.duckdb?.threads !== undefined ? String(f.duckdb.threads) : undefined)),
    parquetCompression: parquetCompression(e.GEXSTREAM_PARQUET_COMPRESSION ?? f.duckdb?.parquet_compression),
    httpPort: e.GEXSTREAM_HTTP_PORT === '0' ? 0 : e.GEXSTREAM_HTTP_PORT === undefined && f.http?.port !== undefined ? f.http.port : port('GEXSTREAM_HTTP_PORT', e.GEXSTREAM_HTTP_PORT, 8080),
    apiToken: apiToken(e.GEXSTREAM_API_TOKEN ?? f.http?.token),
    kafka: { brokers, compression, ...(f.kafka?.client_id ? { clientId: f.kafka.client_id } : {}), ...(ssl !== undefined ? { ssl } : {}), ...(sasl ? { sasl } : {}) },
    priority: priority.right ?? defaultPriorityConfig,
    dbPath: fromFile(f.paths?.db) ?? 'data/gexstream.duckdb',
    parquetDir: fromFile(f.paths?.parquet) ?? 'data/parquet',
    maxRecordBytes: f.limits?.max_record_bytes ?? null,
    maxSkewMs: f.limits?.max_skew_ms ?? null,
    configFile,
  };
};
