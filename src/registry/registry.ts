// Owns the Confluent-compatible schema registry edge: registering subjects with BACKWARD compatibility, Avro encode/decode.
import confluent from '@kafkajs/confluent-schema-registry';
import type { SchemaRegistry as SchemaRegistryT } from '@kafkajs/confluent-schema-registry';
import { avroType, backwardIncompatibility, type AvroJson, type AvroType } from './schemas.js';
import { createFramer, unframe } from './wire.js';

const { SchemaRegistry, SchemaType, COMPATIBILITY } = confluent;

export class SchemaIncompatibleError extends Error {
  override readonly name = 'SchemaIncompatibleError';
  constructor(readonly subject: string, readonly reason: string) {
    super(`schema for subject ${subject} is not BACKWARD compatible with the registered version: ${reason}`);
  }
}

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly retriable: boolean;
  constructor(message: string, opts: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.retriable = opts.retriable;
  }
}

export interface Registered {
  readonly subject: string;
  readonly id: number;
  readonly version: number;
  readonly created: boolean;
}

/** Encodes values of one subject's latest schema in the Confluent wire format. */
export interface AvroEncoder<T> {
  readonly schemaId: number;
  readonly type: AvroType;
  readonly encode: (value: T) => Buffer;
}

export interface Registry {
  readonly url: string;
  readonly register: (subject: string, schema: AvroJson) => Promise<Registered>;
  readonly latest: (subject: string) => Promise<{ id: number; version: number; schema: AvroJson } | undefined>;
  readonly encoder: <T>(subject: string) => Promise<AvroEncoder<T>>;
  /** Decodes any Confluent-framed Avro message, resolving the writer schema by its id (cached). */
  readonly decode: <T>(buf: Buffer) => Promise<T>;
  readonly typeById: (id: number) => Promise<AvroType>;
}

const canonical = (s: AvroJson): string => JSON.stringify(s);

/** HTTP basic auth of a registry (Confluent Cloud: the API key and secret). */
export interface RegistryAuth {
  readonly username: string;
  readonly password: string;
}

/** The Authorization header of basic auth, or none. */
export const authHeaders = (auth: RegistryAuth | undefined): Record<string, string> =>
  auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` } : {};

export const createRegistry = ({ url, auth }: { url: string; auth?: RegistryAuth | undefined }): Registry => {
  const lib: SchemaRegistryT = new SchemaRegistry({ host: url, ...(auth ? { auth: { username: auth.username, password: auth.password } } : {}) }, { [SchemaType.AVRO]: { wrapUnions: 'auto' } } as never);
  const types = new Map<number, Promise<AvroType>>();
  // After an outage Apicurio (kafkasql storage) answers before it has reloaded its schemas from Kafka, and says 404
  // for ids and subjects it knows: for a while after an outage a 404 is taken as the outage going on (retriable).
  const warmUpMs = 120_000;
  let unreachableAt = -Infinity;
  const missing = (status: number): boolean => status >= 500 || (status === 404 && Date.now() - unreachableAt < warmUpMs);

  const http = async (path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> => {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, { ...init, headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', ...authHeaders(auth), ...(init?.headers ?? {}) }, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      unreachableAt = Date.now();
      throw new RegistryError(`schema registry ${url} unreachable: ${(err as Error).message}`, { retriable: true, cause: err });
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* keep text */
    }
    return { status: res.status, body };
  };

  const latest: Registry['latest'] = async (subject) => {
    const r = await http(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
    if (r.status === 404 && !missing(404)) return undefined;
    if (r.status !== 200) throw new RegistryError(`GET latest of ${subject}: HTTP ${r.status} ${JSON.stringify(r.body)}`, { retriable: missing(r.status) });
    const b = r.body as { id: number; version: number; schema: string };
    return { id: b.id, version: b.version, schema: JSON.parse(b.schema) as AvroJson };
  };

  const register: Registry['register'] = async (subject, schema) => {
    const prev = await latest(subject);
    if (prev && canonical(prev.schema) === canonical(schema)) return { subject, id: prev.id, version: prev.version, created: false };
    if (prev) {
      // Explain locally (naming the field), and let the registry have the last word.
      const local = backwardIncompatibility(prev.schema, schema);
      if (local !== undefined) throw new SchemaIncompatibleError(subject, local);
      const r = await http(`/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`, { method: 'POST', body: JSON.stringify({ schema: JSON.stringify(schema) }) });
      const b = r.body as { is_compatible?: boolean; messages?: string[] };
      if (r.status === 200 && b.is_compatible === false) throw new SchemaIncompatibleError(subject, (b.messages ?? ['refused by the registry']).join('; '));
    }
    try {
      const res = await lib.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility: COMPATIBILITY.BACKWARD });
      const now = await latest(subject);
      return { subject, id: res.id, version: now?.version ?? 1, created: true };
    } catch (err) {
      const e = err as { status?: number; message: string };
      if (e.status === 409 && /already exists/i.test(e.message)) return registeredMeanwhile(subject, schema, err);
      if (e.status === 409) throw new SchemaIncompatibleError(subject, e.message);
      throw new RegistryError(`registering ${subject}: ${e.message}`, { retriable: (e.status ?? 500) >= 500, cause: err });
    }
  };

  /**
   * Apicurio (kafkasql storage) restarted on a kept topic answers before it has reloaded: it lists no version of a
   * subject it holds and refuses to create it again ("already exists"). That is the registry catching up, not an
   * incompatible schema: wait (about a minute) until the subject is listed, then register against what it holds.
   */
  const registeredMeanwhile = async (subject: string, schema: AvroJson, cause: unknown, waitMs = 60_000): Promise<Registered> => {
    for (const deadline = Date.now() + waitMs; Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 250));
      if (await latest(subject).catch(() => undefined)) return register(subject, schema);
    }
    throw new RegistryError(`registering ${subject}: the registry says the subject exists but lists no version of it (still loading?)`, { retriable: true, cause });
  };

  const typeById = (id: number): Promise<AvroType> => {
    let t = types.get(id);
    if (!t) {
      t = (async () => {
        const r = await http(`/schemas/ids/${id}`);
        if (r.status !== 200) throw new RegistryError(`schema id ${id}: HTTP ${r.status} ${JSON.stringify(r.body)}`, { retriable: missing(r.status) });
        return avroType(JSON.parse((r.body as { schema: string }).schema) as AvroJson);
      })();
      t.catch(() => types.delete(id));
      types.set(id, t);
    }
    return t;
  };

  return {
    url,
    register,
    latest,
    typeById,
    encoder: async <T>(subject: string): Promise<AvroEncoder<T>> => {
      const l = await latest(subject);
      if (!l) {
        // Retriable: after a restart Apicurio answers while it is still replaying its Kafka topic, listing only some
        // subjects (the fault bench saw roles starting then fail on a subject that appeared seconds later). Callers
        // bound their wait (start-up about a minute, the API a few seconds) and then report it.
        throw new RegistryError(`no schema registered for subject ${subject}; run \`gexstream schemas register\``, { retriable: true });
      }
      const type = await typeById(l.id);
      return { schemaId: l.id, type, encode: createFramer<T>(l.id, type) };
    },
    decode: async <T>(buf: Buffer): Promise<T> => {
      const { schemaId, body } = unframe(buf);
      return (await typeById(schemaId)).fromBuffer(body) as T;
    },
  };
};

/** The registry could not be reached or answered 5xx: an infrastructure failure, never a property of the data. */
export const registryUnavailable = (err: unknown): boolean => err instanceof RegistryError && err.retriable;

/**
 * Retries `f` while the registry is unavailable, with exponential backoff and jitter (up to `maxMs` between tries),
 * for at most `attempts` tries (default: until it answers or `stopped()`), then throws the last error. Any other error
 * is thrown at once: only an outage is waited out, so bad data is never retried and an outage never dead-letters data.
 */
export const whileUnavailable = async <T>(
  f: () => Promise<T>,
  { attempts = Infinity, initialMs = 100, maxMs = 5_000, stopped = () => false, onRetry }: { attempts?: number; initialMs?: number; maxMs?: number; stopped?: () => boolean; onRetry?: (err: unknown, attempt: number) => void } = {},
): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (err) {
      if (!registryUnavailable(err) || attempt >= attempts || stopped()) throw err;
      onRetry?.(err, attempt);
      await new Promise((r) => setTimeout(r, Math.min(maxMs, initialMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)));
    }
  }
};

/** A lazily fetched value (an encoder) kept once it is had; a failure is not kept, so the next call asks again. */
export const keepOnSuccess = <T>(f: () => Promise<T>): (() => Promise<T>) => {
  let p: Promise<T> | null = null;
  return () =>
    (p ??= f().catch((err: unknown) => {
      p = null;
      throw err;
    }));
};
