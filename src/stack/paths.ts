// Owns where the installed package lives, so data files (topics/, schemas/, stack/) are found from dist/.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const isGexstream = (dir: string): boolean => {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'gexstream';
  } catch {
    return false;
  }
};

/**
 * The package root: dist/src/stack/paths.js -> ../../.., or, when that is not gexstream's package (the client
 * evaluation in eval/kafka-client compiles src/ into its own dist/), the nearest ancestor that is.
 */
const findRoot = (): string => {
  const built = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  for (let dir = built; ; dir = dirname(dir)) {
    if (isGexstream(dir)) return dir;
    if (dirname(dir) === dir) return built;
  }
};

export const packageRoot = findRoot();
