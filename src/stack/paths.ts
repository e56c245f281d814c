// Owns where the installed package lives, so data files (topics/, schemas/, stack/) are found from dist/.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/src/stack/paths.js -> the package root. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
