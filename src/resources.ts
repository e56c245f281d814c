// Owns loading the data files shipped with the package (topics/*.json, calendar/*.json) and decoding them at start-up.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { TopicSpec } from './domain/topicSpec.js';
import { decodeTopology, describeTopologyError, type Topology } from './domain/topology.js';
import { formatErrors, formatPathError } from './domain/errors.js';
import { decodeCalendar, type ExchangeCalendar } from './domain/calendar.js';
import { packageRoot } from './stack/paths.js';

export const topicsDir = join(packageRoot, 'topics');
export const schemasDir = join(packageRoot, 'schemas');

export const loadTopicSpecs = (dir: string = topicsDir): TopicSpec[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(path, 'utf8'));
      } catch (err) {
        throw new Error(`${path}: ${(err as Error).message}`);
      }
      const d = TopicSpec.decode(raw);
      if (isLeft(d)) throw new Error(`${path}: ${formatErrors(d.left).join('; ')}`);
      if (`${d.right.name}.json` !== f) throw new Error(`${path}: file name must be the topic name (${d.right.name}.json)`);
      return d.right;
    });

/** The topic specs do not give every role its topics: start-up stops with every problem at once. */
export class TopologyLoadError extends Error {
  override readonly name = 'TopologyLoadError';
}

/**
 * The Topology of the declared specs (topics/*.json), under `prefix` when given (`run --topic-prefix`): decoded once
 * at start-up by the composition root and passed to every role.
 */
export const loadTopology = (prefix: string | null = null, dir: string = topicsDir): Topology => {
  const d = decodeTopology(loadTopicSpecs(dir), prefix);
  if (isLeft(d)) throw new TopologyLoadError(`${dir}: ${d.left.map(describeTopologyError).join('; ')}`);
  return d.right;
};

export const calendarFile = join(packageRoot, 'calendar', 'us-equity-options.json');

/** The exchange calendar shipped in calendar/ (NYSE/Cboe holidays and early closes), decoded; a bad file stops start-up with its paths. */
export const loadCalendar = (path: string = calendarFile): ExchangeCalendar => {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  const d = decodeCalendar(raw);
  if (isLeft(d)) throw new Error(`${path}: ${d.left.map(formatPathError).join('; ')}`);
  return d.right;
};
