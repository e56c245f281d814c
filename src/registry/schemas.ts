// Owns the Avro schemas in schemas/: loading, inlining shared named types, and building avsc types.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';

export type AvroJson = string | AvroJson[] | { [k: string]: AvroJson } | number | boolean | null;

export interface SchemaSet {
  /** Full name -> schema JSON with every shared type it uses inlined once (self-contained, registrable). */
  readonly schemas: ReadonlyMap<string, AvroJson>;
  readonly typeNames: readonly string[];
}

const readJson = (path: string): AvroJson => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AvroJson;
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
};

const fullName = (s: AvroJson, file: string): string => {
  if (typeof s !== 'object' || s === null || Array.isArray(s) || typeof s['name'] !== 'string') throw new Error(`${file}: expected a named Avro type`);
  const ns = typeof s['namespace'] === 'string' ? s['namespace'] : '';
  return s['name'].includes('.') || ns === '' ? s['name'] : `${ns}.${s['name']}`;
};

/** Replaces the first reference to each shared type by its definition; later references stay by name (Avro's rule). */
const inline = (node: AvroJson, shared: ReadonlyMap<string, AvroJson>, defined: Set<string>): AvroJson => {
  if (typeof node === 'string') {
    const def = shared.get(node);
    if (def === undefined || defined.has(node)) return node;
    defined.add(node);
    return inline(def, shared, defined);
  }
  if (Array.isArray(node)) return node.map((n) => inline(n, shared, defined));
  if (node !== null && typeof node === 'object') {
    const out: { [k: string]: AvroJson } = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === 'type' || k === 'items' || k === 'values' || k === 'fields' ? inline(v, shared, defined) : v;
    return out;
  }
  return node;
};

export const loadSchemas = (dir: string): SchemaSet => {
  const typesDir = join(dir, 'types');
  const shared = new Map<string, AvroJson>();
  if (existsSync(typesDir))
    for (const f of readdirSync(typesDir).filter((f) => f.endsWith('.avsc')).sort()) {
      const s = readJson(join(typesDir, f));
      shared.set(fullName(s, f), s);
    }
  const schemas = new Map<string, AvroJson>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort()) {
    const s = readJson(join(dir, f));
    const name = fullName(s, f);
    if (`${name}.avsc` !== f) throw new Error(`${join(dir, f)}: file name must be the schema's full name (${name}.avsc)`);
    schemas.set(name, inline(s, shared, new Set([name])));
  }
  for (const [name, s] of shared) schemas.set(name, inline(s, shared, new Set([name])));
  return { schemas, typeNames: [...shared.keys()] };
};

export const schemaJson = (set: SchemaSet, name: string): AvroJson => {
  const s = set.schemas.get(name);
  if (s === undefined) throw new Error(`unknown schema ${name}; known: ${[...set.schemas.keys()].join(', ')}`);
  return s;
};

export type AvroType = avro.Type;
export const avroType = (schema: AvroJson): AvroType => avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' });

/**
 * Why `next` cannot read data written with `prev` (BACKWARD), naming the field, or undefined when it can.
 * avsc's resolver applies Avro's schema-resolution rules.
 */
export const backwardIncompatibility = (prev: AvroJson, next: AvroJson): string | undefined => {
  try {
    avroType(next).createResolver(avroType(prev));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};
