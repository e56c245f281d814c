// The live status page in a real browser (Debian's chromium via playwright-core) over a running `gexstream run` on
// isolated topics: the level counts rise without a reload, the GEX chart's bars are the latest snapshot's strikes,
// spot, zero gamma and the major strikes are drawn, and dead letters, breakers and rules show. Screenshot kept.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generatePayloads } from '../../../src/domain/generator.js';
import { eventually, unique } from '../../support/env.js';
import { artifactPath, launchBrowser, type Browser } from '../../support/browser.js';
import { isolatedPipeline } from '../../support/projection.js';

const TOKEN = 'status-page-test-token';
/** Progress lines with DEBUG_STATUS_PAGE=1, to see where a slow run spends its time. */
const step = (s: string): void => {
  if (process.env['DEBUG_STATUS_PAGE']) process.stderr.write(`[status page] ${new Date().toISOString()} ${s}\n`);
};

/** A port free right now (the kernel's choice); `run --http-port 0` means no API, so the test asks the kernel first. */
const freePort = async (): Promise<number> => {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((res) => srv.close(res));
  return port;
};

/** `gexstream run` with every role and the API on a free port; its address read back from its log. */
const startRun = async (args: string[]): Promise<{ child: ChildProcess; base: string }> => {
  for (let attempt = 1; ; attempt++) {
    const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'gexstream.js'), 'run', '--ops-port', '0', '--http-port', String(await freePort()), ...args], {
      env: { ...process.env, GEXSTREAM_LOG_LEVEL: 'info', GEXSTREAM_API_TOKEN: TOKEN },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const tail: string[] = [];
    const base = await new Promise<string | null>((resolve) => {
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (l) => {
        try {
          const j = JSON.parse(l) as { msg?: string; address?: string; level?: number };
          if (j.msg === 'HTTP API' && j.address) resolve(j.address);
          if ((j.level ?? 0) >= 40) process.stderr.write(`${l}\n`);
        } catch {
          tail.push(l);
        }
      });
      child.once('exit', () => resolve(null));
    });
    if (base !== null) return { child, base };
    // another process took the port between our look and the child's listen: once more on a new one
    if (attempt >= 3 || !tail.some((l) => /EADDRINUSE/.test(l))) throw new Error(`gexstream run exited ${child.exitCode} before its API listened: ${tail.slice(-5).join(' | ')}`);
  }
};

test('status page: live level counts, the GEX chart of the latest snapshot, dead letters, breakers, rules', async () => {
  const iso = await isolatedPipeline('statuspage');
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-statuspage-'));
  let run: { child: ChildProcess; base: string } | null = null;
  let browser: Browser | null = null;
  try {
    run = await startRun(['--topic-prefix', iso.prefix, '--db', join(dir, 'state.duckdb'), '--parquet', 'none', '--instance', unique('sp')]);
    const base = run.base;
    step('waiting for readiness');
    await eventually('the pipeline ready', async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined), 90_000, 250);
    const api = async (path: string): Promise<Record<string, unknown>> => (await (await fetch(`${base}${path}`)).json()) as Record<string, unknown>;
    const ingest = async (body: unknown): Promise<number> =>
      (await fetch(`${base}/api/v1/ingest/priority`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).status;
    const fresh = (seed: number, count: number, tickers: string[]) =>
      [...generatePayloads({ seed, tickers, count, strikes: 40 })].map((p) => ({ ...p, timestamp: Math.floor(Date.now() / 1000) - 1 }));

    step('launching chromium');
    browser = await launchBrowser();
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    // the page itself asks for no token: reads are open on loopback
    step('opening the page');
    await page.goto(`${base}/`);
    assert.is(await page.title(), 'gexstream status');
    // the page's own code runs in the browser: these checks are expressions evaluated there (no DOM types here)
    const inPage = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;
    await inPage('window.loadMark = 42');
    step('waiting for the stream');
    await page.waitForSelector('#conn[data-ws="open"]', { timeout: 30_000 });
    const processedOnPage = async (level: string): Promise<number> => Number((await page.getAttribute(`#levels tr[data-level="${level}"]`, 'data-processed')) || 0);

    // two rounds of critical SPX snapshots: the count on the page rises with each, from the stream alone
    step('publishing, watching the counts');
    const seen: number[] = [];
    assert.is(await ingest({ source: 'gexbot', data_type: 'real_time', level: 'critical', payloads: fresh(71, 3, ['SPX']) }), 202);
    seen.push(await eventually('3 critical processed on the page', async () => ((await processedOnPage('critical')) >= 3 ? processedOnPage('critical') : undefined), 60_000, 100));
    assert.is(await ingest({ source: 'gexbot', data_type: 'real_time', level: 'critical', payloads: fresh(72, 5, ['SPX']) }), 202);
    seen.push(await eventually('8 critical processed on the page', async () => ((await processedOnPage('critical')) >= 8 ? processedOnPage('critical') : undefined), 60_000, 100));
    assert.equal(seen, [3, 8], 'the critical count rose from 3 to 8');
    // and other levels through the guidelines
    assert.is(await ingest({ source: 'gexbot', data_type: 'real_time', payloads: fresh(73, 6, ['NDX', 'QQQ']) }), 202);
    await eventually('14 processed over all levels on the page', async () => {
      const all = await Promise.all(['critical', 'high', 'medium', 'low'].map(processedOnPage));
      return all.reduce((a, b) => a + b, 0) >= 14 ? true : undefined;
    }, 60_000, 100);
    assert.is(await inPage<number>('window.loadMark'), 42, 'no reload happened');
    const levelRow = await inPage<{ lag: string; inFlight: string; breaches: string; cells: string[] }>(`(() => {
      const r = document.querySelector('#levels tr[data-level="critical"]');
      return { lag: r.getAttribute('data-lag'), inFlight: r.getAttribute('data-in-flight'), breaches: r.getAttribute('data-sla-breaches'), cells: [...r.querySelectorAll('td')].map((c) => c.textContent) };
    })()`);
    assert.ok(levelRow.lag !== '' && levelRow.inFlight !== '' && levelRow.breaches !== '', JSON.stringify(levelRow));
    assert.match(levelRow.cells[6] ?? '', /\d+(\.\d)? (ms|s)/, `p50 shown: ${JSON.stringify(levelRow.cells)}`);
    assert.match(levelRow.cells[7] ?? '', /\d+(\.\d)? (ms|s)/, `p99 shown: ${JSON.stringify(levelRow.cells)}`);

    step('dead letters');
    // a refused payload: on the DLQ with its field path, on the page
    assert.is(await ingest({ source: 'status-test', data_type: 'real_time', payload: { ...(fresh(74, 1, ['SPX'])[0] as object), spot: 'abc' } }), 400);
    const reason = await page.waitForSelector('#dlq tr[data-stage="validate"] td.reason', { timeout: 30_000 });
    assert.match((await reason.textContent()) ?? '', /\$\.payload\.spot: expected number, got "abc"/);

    step('breakers and rules');
    // breakers and rules
    await page.waitForSelector('#sources tr[data-source="gexbot"][data-breaker="closed"]', { timeout: 30_000 });
    const matches = (await api('/api/v1/rules/matches')) as { rule_set_version: number; rules: { rule_id: string; matched: number }[] };
    assert.ok(matches.rule_set_version > 0, 'the default guidelines are seeded');
    await page.waitForSelector(`#rule-version[data-version="${matches.rule_set_version}"]`, { timeout: 30_000 });
    assert.ok((await page.locator('#rules tbody tr').count()) > 0);
    // the NDX/QQQ round had no requested level: the guidelines decided, and the page shows a rule that matched
    const top = await eventually('a rule with projected matches', async () => {
      const m = (await api('/api/v1/rules/matches')) as { counted: boolean; rules: { rule_id: string; matched: number }[] };
      return m.counted && (m.rules[0]?.matched ?? 0) > 0 ? m.rules[0] : undefined;
    }, 30_000, 500);
    await page.waitForSelector(`#rules tr[data-rule="${top.rule_id}"]:not([data-matched="0"])`, { timeout: 30_000 });

    step('the chart');
    // the chart: pick SPX and compare every bar with the latest SPX snapshot's strike rows
    await page.waitForSelector('#ticker option[value^="SPX|"]', { state: 'attached', timeout: 30_000 });
    const spxOption = (await page.locator('#ticker option[value^="SPX|"]').first().getAttribute('value')) ?? '';
    await page.selectOption('#ticker', spxOption);
    const latest = ((await api('/api/v1/snapshots/latest?ticker=SPX')) as { snapshots: Array<{ request_id: string; snapshot: { spot: number; strikes: { strike: number; gex_vol: number | null; gex_oi: number | null; net_gex: number | null }[]; derived: { zero_gamma: number | null; major_pos_oi: number | null; major_pos_vol: number | null; major_neg_oi: number | null; major_neg_vol: number | null } } }> }).snapshots[0];
    assert.ok(latest, 'the API has a latest SPX snapshot');
    await page.waitForSelector(`#gex-chart[data-request-id="${latest.request_id}"]`, { timeout: 30_000 });
    const drawn = await inPage<Array<{ strike: number; series: string; value: number; h: number }>>(
      `[...document.querySelectorAll('#gex-chart rect.bar')].map((r) => ({ strike: Number(r.getAttribute('data-strike')), series: r.getAttribute('data-series'), value: Number(r.getAttribute('data-value')), h: Number(r.getAttribute('height')) }))`,
    );
    const expected: Array<{ strike: number; series: string; value: number }> = [];
    for (const s of latest.snapshot.strikes)
      for (const [series, v] of [['vendor_vol', s.gex_vol], ['vendor_oi', s.gex_oi], ['computed', s.net_gex]] as const) if (v !== null) expected.push({ strike: s.strike, series, value: v });
    const key = (b: { strike: number; series: string | null; value: number }) => `${b.series}@${b.strike}=${b.value}`;
    assert.is(latest.snapshot.strikes.length, 40);
    assert.equal(drawn.map(key).sort(), expected.map(key).sort(), 'one bar per strike and series, with the snapshot values');
    assert.ok(drawn.every((b) => b.h > 0), 'every bar has a height');
    const lines = await inPage<Record<string, number>>(`Object.fromEntries([...document.querySelectorAll('#gex-chart line[data-line]')].map((l) => [l.getAttribute('data-line'), Number(l.getAttribute('data-value'))]))`);
    assert.is(lines['spot'], latest.snapshot.spot);
    if (latest.snapshot.derived.zero_gamma !== null) assert.is(lines['zero_gamma_computed'], latest.snapshot.derived.zero_gamma);
    const marks = await inPage<Record<string, number>>(`Object.fromEntries([...document.querySelectorAll('#gex-chart [data-mark]')].map((m) => [m.getAttribute('data-mark'), Number(m.getAttribute('data-strike'))]))`);
    const d = latest.snapshot.derived;
    assert.equal(marks, { major_positive: d.major_pos_oi ?? d.major_pos_vol, major_negative: d.major_neg_oi ?? d.major_neg_vol });

    step('a newer snapshot');
    // a new SPX snapshot redraws the chart without a reload
    assert.is(await ingest({ source: 'gexbot', data_type: 'real_time', level: 'critical', payloads: fresh(75, 1, ['SPX']) }), 202);
    await eventually('the chart shows the newer snapshot', async () => {
      const now = ((await api('/api/v1/snapshots/latest?ticker=SPX')) as { snapshots: { request_id: string }[] }).snapshots[0]?.request_id;
      if (now === latest.request_id) return undefined;
      return (await page.getAttribute('#gex-chart', 'data-request-id')) === now ? true : undefined;
    }, 60_000, 200);
    assert.is(await inPage<number>('window.loadMark'), 42, 'still no reload');

    const shot = artifactPath('status-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`status page screenshot: ${shot}`);
    assert.equal(pageErrors, [], 'no script errors on the page');
  } finally {
    await browser?.close();
    if (run && run.child.exitCode === null) {
      run.child.kill('SIGTERM');
      await Promise.race([once(run.child, 'exit'), new Promise((r) => setTimeout(r, 35_000))]);
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
    await iso.cleanup();
  }
});

test.run();
