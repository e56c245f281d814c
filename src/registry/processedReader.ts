// Owns decoding a processed snapshot for the projector from its writer schema: the envelope and the snapshot's
// scalar fields with avsc (record types cut from the writer schema around `strikes`), the strike columns located in the
// message buffer by the pure reader (src/domain/projection/strikeColumnsReader.ts), never decoded per strike.
import avro from 'avsc';
import { type ProcessedColumnar, readStrikeColumns, viewOfStrikes } from '../domain/projection/strikeColumnsReader.js';
import type { ProcessedSnapshot } from '../domain/processed.js';
import type { Strike } from '../domain/snapshot.js';
import { STRIKE_COLUMNS, type StrikeColumnName, type StrikeColumns } from '../domain/strikeColumns.js';
import { avroType, type AvroJson } from './schemas.js';

type JsonObject = { [k: string]: AvroJson };
const isObject = (x: AvroJson | undefined): x is JsonObject => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The StrikeColumns layout the in-place reader knows: `strike`, the nullable columns in order, priors values and ends. */
const EXPECTED_STRIKE_FIELDS: readonly [string, string][] = [
  ['strike', '{"type":"array","items":"double"}'],
  ...STRIKE_COLUMNS.map((c): [string, string] => [c, '["null",{"type":"array","items":"double"}]']),
  ['priors_values', '{"type":"array","items":"double"}'],
  ['priors_ends', '{"type":"array","items":"int"}'],
];

const fieldsOf = (t: AvroJson | undefined): JsonObject[] | null => (isObject(t) && Array.isArray(t['fields']) ? (t['fields'] as AvroJson[]).filter(isObject) : null);

/** A snapshot record whose `strikes` field is StrikeColumns exactly as the in-place reader reads it. */
const splitSnapshot = (snapshot: AvroJson | undefined): { before: JsonObject[]; after: JsonObject[]; namespace: string } | null => {
  const fields = fieldsOf(snapshot);
  if (!fields || !isObject(snapshot)) return null;
  const i = fields.findIndex((f) => f['name'] === 'strikes');
  const strikes = fields[i]?.['type'];
  const cols = fieldsOf(strikes);
  if (!cols || cols.length !== EXPECTED_STRIKE_FIELDS.length) return null;
  for (let k = 0; k < cols.length; k++) {
    const [name, type] = EXPECTED_STRIKE_FIELDS[k] as [string, string];
    if (cols[k]?.['name'] !== name || JSON.stringify(cols[k]?.['type']) !== type) return null;
  }
  const name = String(snapshot['name']);
  const namespace = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : typeof snapshot['namespace'] === 'string' ? snapshot['namespace'] : '';
  return { before: fields.slice(0, i), after: fields.slice(i + 1), namespace };
};

export class ProcessedDecodeError extends Error {
  override readonly name = 'ProcessedDecodeError';
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}

/** Decodes an Avro body (after the Confluent header) written with the writer schema the decoder was made for. */
export type ProcessedDecoder = (body: Uint8Array) => ProcessedColumnar;

/** A generic avsc value of StrikeColumns (plain arrays) as in-memory columns. */
const columnsOfGeneric = (g: Record<string, unknown>): StrikeColumns => {
  const strike = Float64Array.from(g['strike'] as number[]);
  const columns = {} as Record<StrikeColumnName, Float64Array | null>;
  for (const c of STRIKE_COLUMNS) {
    const v = g[c] as number[] | null | undefined;
    columns[c] = v ? Float64Array.from(v) : null;
  }
  const ends = (g['priors_ends'] as number[] | undefined) ?? [];
  return { count: strike.length, strike, columns, priorsValues: Float64Array.from((g['priors_values'] as number[] | undefined) ?? []), priorsEnds: ends.length > 0 ? Int32Array.from(ends) : null };
};

/**
 * The projector's decoder for one writer schema. The fast path needs the snapshot as the envelope's last field and
 * StrikeColumns as the in-place reader knows it (io.gexstream.v2.ProcessedSnapshot); any other processed schema (v1
 * strike records, a later evolution) is decoded whole by avsc and its strikes turned into columns (slow, correct).
 */
export const createProcessedDecoder = (writer: AvroJson): ProcessedDecoder => {
  const fields = fieldsOf(writer);
  const last = fields?.[fields.length - 1];
  const split = last?.['name'] === 'snapshot' ? splitSnapshot(last['type']) : null;
  if (!fields || !isObject(writer) || !split) {
    const whole = avroType(writer);
    return (body) => {
      const v = whole.fromBuffer(Buffer.from(body.buffer, body.byteOffset, body.byteLength)) as ProcessedSnapshot & { snapshot: { strikes: unknown } };
      const strikes = v.snapshot.strikes;
      const cols = Array.isArray(strikes) ? (strikes as Strike[]) : columnsOfGeneric(strikes as unknown as Record<string, unknown>);
      return { ...v, snapshot: { ...v.snapshot, strikes: viewOfStrikes(cols) } } as unknown as ProcessedColumnar;
    };
  }
  // One registry of named types, filled in the order the writer defines them (a later part may use an earlier name).
  const registry: { [name: string]: avro.Type } = {};
  const opts = { wrapUnions: 'auto' as const, registry };
  const name = String(writer['name']);
  const ns = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : typeof writer['namespace'] === 'string' ? writer['namespace'] : '';
  const envelope = avro.Type.forSchema({ type: 'record', name: 'ProjectorEnvelopePart', namespace: ns, fields: fields.slice(0, -1) } as avro.Schema, opts);
  const head = avro.Type.forSchema({ type: 'record', name: 'ProjectorSnapshotHead', namespace: split.namespace, fields: split.before } as avro.Schema, opts);
  const tail = avro.Type.forSchema({ type: 'record', name: 'ProjectorSnapshotTail', namespace: split.namespace, fields: split.after } as avro.Schema, opts);
  return (body) => {
    const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const e = envelope.decode(buf, 0);
    if (e.offset < 0) throw new ProcessedDecodeError('$', 'truncated in the envelope');
    const h = head.decode(buf, e.offset);
    if (h.offset < 0) throw new ProcessedDecodeError('snapshot', 'truncated before its strikes');
    const { view, end } = readStrikeColumns(buf, h.offset);
    const t = tail.decode(buf, end);
    if (t.offset < 0) throw new ProcessedDecodeError('snapshot', 'truncated after its strikes');
    if (t.offset !== buf.length) throw new ProcessedDecodeError('$', `${buf.length - t.offset} bytes after the record`);
    return { ...(e.value as object), snapshot: { ...(h.value as object), strikes: view, ...(t.value as object) } } as unknown as ProcessedColumnar;
  };
};
