// Owns the one entry point from a raw payload to a validated canonical snapshot: bytes -> JSON -> shape -> io-ts -> canonical -> rules -> derived.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { fromClassic, fromMajors, fromMaxChange, fromOptionChain, fromOrderflow, fromState, fromStateGreek, type Envelope } from './canonicalize.js';
import { computeDerived } from './derived.js';
import { describeValue, pathErrors, prefixPath, type PathError } from './errors.js';
import { renderExtras, unknownFields } from './extras.js';
import { readTimestamp, tickerIssue } from './fieldCodecs.js';
import { GexbotMajors, GexbotMaxChange, GexbotOrderflow, gexbotClassic, gexbotState, gexbotStateGreek, type GexbotClassic } from './gexbotCodecs.js';
import { readGexProfile } from './gexbotFast.js';
import { parseJsonBytes } from './jsonText.js';
import { detectKind, resolveHint } from './kinds.js';
import { DEFAULT_LIMITS, type DecodeLimits } from './limits.js';
import { CHAIN_COLUMNS, CHAIN_ROW_KEYS, OPTION_CHAIN_KEYS, optionChain } from './optionChainCodecs.js';
import { normalise } from './processed.js';
import { DataType, type CanonicalSnapshot, type SnapshotKind } from './snapshot.js';
import { derivedIssues, futureTimestampIssue, validateSnapshot, type ClockRules } from './validate.js';

/** What travels with a payload: its shape hint (optional; detected otherwise) and its data type. */
export interface DecodeMeta {
  /** A kind, a vendor alias ("classic", "state", "chain"), a category ("zero", "gamma_zero") or both ("classic_gex_zero"). */
  readonly kind?: string | undefined;
  readonly category?: string | undefined;
  readonly dataType: DataType;
}

export interface DecodeOptions extends ClockRules {
  /** Largest accepted payload, in bytes (decodeRaw only). */
  readonly maxBytes: number;
  /** Overrides of DEFAULT_LIMITS (strikes per snapshot, priors per row, extras depth, errors reported). */
  readonly limits?: Partial<DecodeLimits> | undefined;
}

export type DecodeResult = Either<PathError[], CanonicalSnapshot>;

type Codecs = ReturnType<typeof buildCodecs>;

const buildCodecs = (limits: DecodeLimits) => ({
  classic: gexbotClassic(limits),
  state: gexbotState(limits),
  greek: gexbotStateGreek(limits),
  chain: optionChain(limits),
});

const codecCache = new Map<string, Codecs>();
const codecsFor = (limits: DecodeLimits): Codecs => {
  const key = `${limits.maxStrikes}/${limits.maxPriors}/${limits.maxErrors}`;
  let c = codecCache.get(key);
  if (c === undefined) {
    c = buildCodecs(limits);
    codecCache.set(key, c);
  }
  return c;
};

const keysOf = (c: { props: Record<string, unknown> }): ReadonlySet<string> => new Set(Object.keys(c.props));
const KNOWN_KEYS: Readonly<Record<Exclude<SnapshotKind, 'gexbot_orderflow'>, ReadonlySet<string>>> = {
  gexbot_classic: keysOf(gexbotClassic(DEFAULT_LIMITS)),
  gexbot_state: keysOf(gexbotState(DEFAULT_LIMITS)),
  gexbot_state_greek: keysOf(gexbotStateGreek(DEFAULT_LIMITS)),
  gexbot_majors: keysOf(GexbotMajors),
  gexbot_maxchange: keysOf(GexbotMaxChange),
  option_chain: new Set(OPTION_CHAIN_KEYS),
};

const isPlainObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

interface ShapeResult {
  readonly snapshot: CanonicalSnapshot | null;
  readonly errors: PathError[];
  readonly unknown: Array<readonly [string, unknown]>;
}

const failed = (errors: PathError[], unknown: Array<readonly [string, unknown]> = []): ShapeResult => ({ snapshot: null, errors, unknown });

/** Decodes with an io-ts codec whose output carries timestamp (ms) and ticker, then maps to canonical. */
const viaCodec = <A extends { timestamp: number; ticker: string }>(
  codec: t.Decoder<unknown, A>,
  o: Record<string, unknown>,
  known: ReadonlySet<string>,
  env: Omit<Envelope, 'ticker' | 'timestamp_ms'>,
  map: (a: A, env: Envelope) => CanonicalSnapshot,
): ShapeResult => {
  const unknown = unknownFields(o, known);
  const r = codec.decode(o);
  if (isLeft(r)) return failed(pathErrors(r.left), unknown);
  return { snapshot: map(r.right, { ...env, ticker: r.right.ticker, timestamp_ms: r.right.timestamp }), errors: [], unknown };
};

/** Classic and state profiles: the hot path (gexbotFast.ts) first; the codec only for what it refuses, to report every error. */
const gexProfileShape = (
  codec: Codecs['classic'],
  o: Record<string, unknown>,
  known: ReadonlySet<string>,
  env: Omit<Envelope, 'ticker' | 'timestamp_ms'>,
  map: (a: GexbotClassic, env: Envelope) => CanonicalSnapshot,
): ShapeResult => {
  const a = readGexProfile(o, codec.props.strikes);
  if (a === null) return viaCodec(codec, o, known, env, map);
  return { snapshot: map(a, { kind: env.kind, category: env.category, data_type: env.data_type, ticker: a.ticker, timestamp_ms: a.timestamp }), errors: [], unknown: unknownFields(o, known) };
};

const orderflowShape = (o: Record<string, unknown>, env: Omit<Envelope, 'ticker' | 'timestamp_ms'>): ShapeResult => {
  const flow: Array<readonly [string, number]> = [];
  const unknown: Array<readonly [string, unknown]> = [];
  const errors: PathError[] = [];
  for (const k of Object.keys(o)) {
    if (k === 'timestamp' || k === 'ticker') continue;
    const v = o[k];
    if (typeof v === 'number') {
      if (Number.isFinite(v)) flow.push([k, v]);
      else errors.push({ path: k, message: `expected a finite number, got ${describeValue(v)}` });
    } else if (k !== 'spot' || v !== null) unknown.push([k, v]);
  }
  const r = GexbotOrderflow.decode(o);
  if (isLeft(r)) errors.unshift(...pathErrors(r.left));
  if (errors.length > 0 || isLeft(r)) return failed(errors, unknown);
  const snapshot = fromOrderflow(r.right, Object.fromEntries(flow), { ...env, ticker: r.right.ticker, timestamp_ms: r.right.timestamp });
  return { snapshot, errors: [], unknown };
};

/** Row fields of an option chain no column reads (or a second alias of one that is read), by their path. */
const unknownChainRowFields = (rows: unknown): Array<readonly [string, unknown]> => {
  const out: Array<readonly [string, unknown]> = [];
  if (!Array.isArray(rows)) return out;
  rows.forEach((row: unknown, i) => {
    if (!isPlainObject(row)) return;
    for (const k of Object.keys(row)) {
      if (!CHAIN_ROW_KEYS.has(k)) out.push([`strikes[${i}].${k}`, row[k]]);
    }
    for (const col of CHAIN_COLUMNS) {
      const present = col.names.filter((n) => row[n] !== undefined);
      for (const extra of present.slice(1)) out.push([`strikes[${i}].${extra}`, row[extra]]);
    }
  });
  return out;
};

const optionChainShape = (o: Record<string, unknown>, codecs: Codecs, env: Omit<Envelope, 'ticker' | 'timestamp_ms'>): ShapeResult => {
  const errors: PathError[] = [];
  const unknown = [...unknownFields(o, KNOWN_KEYS.option_chain), ...unknownChainRowFields(o['strikes'])];
  const symbolKey = o['ticker'] !== undefined || o['market_symbol'] === undefined ? 'ticker' : 'market_symbol';
  if (symbolKey === 'ticker' && o['market_symbol'] !== undefined) unknown.push(['market_symbol', o['market_symbol']]);
  const symbol = o[symbolKey];
  const symbolIssue =
    symbol === undefined ? 'expected string (ticker or market_symbol), got nothing' : tickerIssue(symbol);
  if (symbolIssue !== null) errors.push({ path: symbolKey, message: symbolIssue });
  const r = codecs.chain.decode(o);
  if (isLeft(r)) errors.push(...pathErrors(r.left));
  if (errors.length > 0 || isLeft(r)) return failed(errors, unknown);
  const snapshot = fromOptionChain(r.right, { ...env, ticker: symbol as string, timestamp_ms: r.right.timestamp });
  return { snapshot, errors: [], unknown };
};

const decodeShape = (kind: SnapshotKind, o: Record<string, unknown>, codecs: Codecs, env: Omit<Envelope, 'ticker' | 'timestamp_ms'>): ShapeResult => {
  switch (kind) {
    case 'gexbot_classic':
      return gexProfileShape(codecs.classic, o, KNOWN_KEYS.gexbot_classic, env, fromClassic);
    case 'gexbot_state':
      return gexProfileShape(codecs.state, o, KNOWN_KEYS.gexbot_state, env, fromState);
    case 'gexbot_state_greek':
      return viaCodec(codecs.greek, o, KNOWN_KEYS.gexbot_state_greek, env, fromStateGreek);
    case 'gexbot_majors':
      return viaCodec(GexbotMajors, o, KNOWN_KEYS.gexbot_majors, env, fromMajors);
    case 'gexbot_maxchange':
      return viaCodec(GexbotMaxChange, o, KNOWN_KEYS.gexbot_maxchange, env, fromMaxChange);
    case 'gexbot_orderflow':
      return orderflowShape(o, env);
    case 'option_chain':
      return optionChainShape(o, codecs, env);
    default: {
      const never: never = kind;
      throw new Error(`unhandled kind ${String(never)}`);
    }
  }
};

const capped = (errors: PathError[], max: number): PathError[] =>
  errors.length <= max ? errors : [...errors.slice(0, max), { path: '$', message: `more errors not shown (only the first ${max} are reported)` }];

const resolveLimits = (overrides: Partial<DecodeLimits> | undefined): DecodeLimits => {
  if (overrides === undefined) return DEFAULT_LIMITS;
  const set = Object.entries(overrides).filter(([, v]) => typeof v === 'number');
  return { ...DEFAULT_LIMITS, ...(Object.fromEntries(set) as Partial<DecodeLimits>) };
};

/**
 * Decodes one already-parsed snapshot (e.g. an element of a vendor history file).
 * The result may share leaf arrays (priors) with `json`: treat both as immutable.
 */
export const decodeValue = (json: unknown, meta: DecodeMeta, opts: DecodeOptions): DecodeResult => {
  const limits = resolveLimits(opts.limits);
  if (!DataType.is(meta.dataType)) {
    return left([{ path: 'meta.data_type', message: `expected real_time, historical or snapshot, got ${describeValue(meta.dataType)}` }]);
  }
  const hint = resolveHint(meta.kind, meta.category);
  if ('path' in hint) return left([hint]);
  if (!isPlainObject(json)) return left([{ path: '$', message: `expected a JSON object (one snapshot), got ${describeValue(json)}` }]);
  const kind = hint.kind ?? detectKind(json);
  if (typeof kind !== 'string') return left([kind]);

  const shape = decodeShape(kind, json, codecsFor(limits), { kind, category: hint.category, data_type: meta.dataType });
  const extras = renderExtras(shape.unknown, limits.maxDepth);
  const errors = [...shape.errors, ...extras.errors];
  if (shape.snapshot === null) {
    // Still report a future timestamp: every error found, not only the first.
    const ts = readTimestamp(json['timestamp']);
    const future = 'ms' in ts ? futureTimestampIssue(ts.ms, opts) : null;
    if (future !== null && !errors.some((e) => e.path === 'timestamp')) errors.push(future);
    return left(capped(errors, limits.maxErrors));
  }
  errors.push(...validateSnapshot(shape.snapshot, opts));
  if (errors.length > 0) return left(capped(errors, limits.maxErrors));
  const snapshot = shape.snapshot;
  snapshot.extras_json = extras.json;
  const derived = computeDerived(snapshot);
  const overflow = derivedIssues(snapshot, derived);
  if (overflow.length > 0) return left(capped(overflow, limits.maxErrors));
  snapshot.derived = derived;
  // the processor sorts and de-duplicates the rows and recomputes: sums in another order may overflow where these did not
  const normalised = normalise(snapshot);
  if (normalised !== snapshot && normalised.derived !== null) {
    const again = derivedIssues(normalised, normalised.derived).filter((e) => e.path.startsWith('derived.'));
    if (again.length > 0) return left(capped(again.map((e) => ({ path: e.path, message: `${e.message}, with the strikes sorted and de-duplicated` })), limits.maxErrors));
  }
  return right(snapshot);
};

/** Decodes one raw payload: size limit, strict UTF-8, JSON, then as decodeValue. */
export const decodeRaw = (bytes: Uint8Array, meta: DecodeMeta, opts: DecodeOptions): DecodeResult => {
  const parsed = parseJsonBytes(bytes, opts.maxBytes);
  return isLeft(parsed) ? parsed : decodeValue(parsed.right, meta, opts);
};

/**
 * Decodes a document that holds one snapshot or an array of them (vendor history files), element by element;
 * errors of element i are located under `[i]`.
 */
export const decodeEach = (json: unknown, meta: DecodeMeta, opts: DecodeOptions): DecodeResult[] => {
  if (!Array.isArray(json)) return [decodeValue(json, meta, opts)];
  return json.map((item: unknown, i) => {
    const r = decodeValue(item, meta, opts);
    return isLeft(r) ? left(prefixPath(`[${i}]`, r.left)) : r;
  });
};
