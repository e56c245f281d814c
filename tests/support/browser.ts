// Owns the real browser of the browser tests: Debian's chromium driven by playwright-core, on a fresh profile, with
// every background connection off (the machine's closed network refuses them), and where test artifacts go.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env['GEXSTREAM_CHROMIUM'] ?? '/usr/bin/chromium';
/** Screenshots and the like: kept after the run (gitignored), one folder at the package root. */
export const artifactsDir = join(process.cwd(), 'test-artifacts');

export interface Browser {
  readonly context: BrowserContext;
  readonly close: () => Promise<void>;
}

/** A headless chromium with its own throw-away profile. Fails (never skips) when chromium is missing. */
export const launchBrowser = async (): Promise<Browser> => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the test command installs it (apt-get install -y chromium, as root); install it by hand otherwise`);
  const profile = mkdtempSync(join(tmpdir(), 'gexstream-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1100 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
};

export const artifactPath = (name: string): string => {
  mkdirSync(artifactsDir, { recursive: true });
  return join(artifactsDir, name);
};
