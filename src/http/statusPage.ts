// Owns the live status page: the plain HTML/JS/CSS files under web/ served at `/`, the chart module shared with
// the domain, and the two small reads the page needs beyond the API's (tickers with a latest snapshot, rule matches).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../stack/paths.js';

export interface RuleMatches {
  readonly rule_set_version: number;
  /** False when no projector runs in this process: the rules are listed without counts. */
  readonly counted: boolean;
  readonly rules: ReadonlyArray<{ rule_id: string; name: string; level: string | null; active: boolean; matched: number | null }>;
}

export interface StatusPageDeps {
  readonly ruleMatches: () => Promise<RuleMatches>;
  readonly tickers: () => Promise<unknown[]>;
}

export const webDir = join(packageRoot, 'web');
/** The chart's layout is pure domain code: the browser imports the compiled module next to this file. */
const profileModule = join(dirname(fileURLToPath(import.meta.url)), '..', 'domain', 'gexProfile.js');

/** Only these files are served, read once: nothing else of the package is reachable through the page's routes. */
const FILES: Readonly<Record<string, { path: string; type: string }>> = {
  '/': { path: join(webDir, 'index.html'), type: 'text/html; charset=utf-8' },
  '/status/status.js': { path: join(webDir, 'status.js'), type: 'text/javascript; charset=utf-8' },
  '/status/status.css': { path: join(webDir, 'status.css'), type: 'text/css; charset=utf-8' },
  '/status/gexProfile.js': { path: profileModule, type: 'text/javascript; charset=utf-8' },
};

const AnyObject = { type: 'object', additionalProperties: true } as const;

export const registerStatusPage = (app: FastifyInstance, deps: StatusPageDeps): void => {
  // dropping the source-map comment keeps the browser from asking for a file that is not served
  const bodies = new Map(Object.entries(FILES).map(([route, f]) => [route, readFileSync(f.path, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '')]));
  for (const [route, f] of Object.entries(FILES))
    app.get(route, { schema: { hide: true } }, async (_req, reply) =>
      reply.type(f.type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send(bodies.get(route)),
    );

  app.get('/api/v1/rules/matches', { schema: { tags: ['rules'], summary: 'The rule-set version and each rule with how many projected decisions it matched, most first.', response: { 200: AnyObject } } }, async () => deps.ruleMatches());
  app.get(
    '/api/v1/snapshots/tickers',
    { schema: { tags: ['snapshots'], summary: 'Each ticker and kind with a latest processed snapshot: its request id, level, strike count and times (no strike rows).', response: { 200: { type: 'object', properties: { tickers: { type: 'array', items: AnyObject } } } } } },
    async () => ({ tickers: await deps.tickers() }),
  );
};
