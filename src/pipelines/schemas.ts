// Owns `schemas register`: every topic spec that names a value schema gets it registered under `<topic>-value`.
import type { TopicSpec } from '../domain/topicSpec.js';
import type { Registered, Registry } from '../registry/registry.js';
import { schemaJson, type SchemaSet } from '../registry/schemas.js';

/** TopicNameStrategy: the value subject of a topic. */
export const valueSubject = (topic: string): string => `${topic}-value`;

export const registerSchemas = async ({ registry, specs, schemas }: { registry: Registry; specs: readonly TopicSpec[]; schemas: SchemaSet }): Promise<Registered[]> => {
  const out: Registered[] = [];
  for (const spec of specs) {
    if (!spec.valueSchema) continue;
    out.push(await registry.register(valueSubject(spec.name), schemaJson(schemas, spec.valueSchema)));
  }
  return out;
};
