// Owns what integration tests share: the configuration of the stack under test and unique names per test.
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.js';
import { createKafka, type KafkaClient } from '../../src/kafka/client.js';
import { createRegistry } from '../../src/registry/registry.js';

export const config: Config = loadConfig();
export const kafka = (): KafkaClient => createKafka({ brokers: config.brokers, clientId: 'gexstream-test' });
export const registry = createRegistry({ url: config.registryUrl });

/** A random topic/group/subject name, so tests never see each other's data. */
export const unique = (prefix: string): string => `${prefix}.${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

export const eventually = async <T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
};
