// The synthetic feed: deterministic from its seed, realistic in shape, always decodable, with defects exactly where announced.
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeValue } from '../../../src/domain/decode.js';
import { generatePayloads, generateSnapshots, type GeneratorOptions } from '../../../src/domain/generator.js';
import { easternOffsetMinutes, easternToUtcMs } from '../../../src/domain/marketTime.js';
import { createRng, mulberry32 } from '../../../src/domain/prng.js';
import { OPTS, assertAvro, expectLeft, expectRight } from './support.js';

const take = (opts: GeneratorOptions): Array<Record<string, unknown>> => [...generatePayloads(opts)];

const Determinism = suite('generator determinism');

Determinism('same seed, same output; another seed, other output', () => {
  for (const shape of ['gexbot_classic', 'option_chain'] as const) {
    const opts: GeneratorOptions = { seed: 1234, tickers: ['SPX', 'NDX', 'QQQ'], count: 30, shape, badFraction: 0.2 };
    const a = JSON.stringify(take(opts));
    assert.is(JSON.stringify(take(opts)), a, `${shape}: same seed`);
    assert.is.not(JSON.stringify(take({ ...opts, seed: 1235 })), a, `${shape}: other seed`);
  }
});

Determinism('a ticker stream does not depend on which other tickers are generated', () => {
  const alone = take({ seed: 5, tickers: ['SPX'], count: 5 });
  const mixed = take({ seed: 5, tickers: ['NDX', 'SPX'], count: 10 }).filter((p) => p['ticker'] === 'SPX');
  assert.equal(mixed, alone);
});

Determinism('mulberry32 is a fixed sequence', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 5 }, () => a());
  assert.equal(Array.from({ length: 5 }, () => b()), xs);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const normals = Array.from({ length: 20_000 }, createRng(7).normal);
  const mean = normals.reduce((s, x) => s + x, 0) / normals.length;
  const variance = normals.reduce((s, x) => s + (x - mean) ** 2, 0) / normals.length;
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean}, variance ${variance}`);
});

Determinism.run();

const Realism = suite('generator realism');

Realism('session clock: 09:30 ET start, rate per ticker, 23,400 snapshots per ticker-day at 1/s', () => {
  const winter = [...generateSnapshots({ seed: 1, tickers: ['SPX', 'NDX'], count: 6, ratePerSecond: 2 })];
  assert.equal(
    winter.map((g) => [g.ticker, new Date(g.timestampMs).toISOString()]),
    [
      ['SPX', '2025-11-07T14:30:00.000Z'],
      ['NDX', '2025-11-07T14:30:00.000Z'],
      ['SPX', '2025-11-07T14:30:00.500Z'],
      ['NDX', '2025-11-07T14:30:00.500Z'],
      ['SPX', '2025-11-07T14:30:01.000Z'],
      ['NDX', '2025-11-07T14:30:01.000Z'],
    ],
  );
  assert.is(winter[0]?.payload['timestamp'], 1762525800);
  const summer = generateSnapshots({ seed: 1, day: '2025-07-07', count: 1 }).next().value;
  assert.is(summer && new Date(summer.timestampMs).toISOString(), '2025-07-07T13:30:00.000Z');
  let n = 0;
  let last = 0;
  for (const g of generateSnapshots({ seed: 1, strikes: 2 })) {
    n++;
    last = g.timestampMs;
  }
  assert.is(n, 23_400);
  assert.is(new Date(last).toISOString(), '2025-11-07T20:59:59.000Z');
  assert.is([...generateSnapshots({ seed: 1, strikes: 2, startTime: '15:59:50' })].length, 10);
});

Realism('strikes at the ticker step around spot; OI peaked near the money and at round strikes', () => {
  const steps: Record<string, number> = { SPX: 5, NDX: 10, ES_SPX: 5, NQ_NDX: 10, SPY: 1, QQQ: 1 };
  for (const [ticker, step] of Object.entries(steps)) {
    const g = generateSnapshots({ seed: 3, tickers: [ticker], count: 1, shape: 'option_chain' }).next().value;
    assert.ok(g !== undefined);
    const p = g.payload;
    const rows = p['strikes'] as Array<Record<string, number>>;
    const spot = p['spot'] as number;
    assert.is(rows.length, 100, ticker);
    rows.forEach((r, i) => i > 0 && assert.is((r['strike'] as number) - (rows[i - 1]?.['strike'] as number), step, `${ticker} step`));
    assert.ok((rows[0]?.['strike'] as number) < spot && spot < (rows[99]?.['strike'] as number), `${ticker} spot inside`);
    const oi = (r: Record<string, number>): number => (r['call_open_interest'] as number) + (r['put_open_interest'] as number);
    const near = rows.filter((r) => Math.abs((r['strike'] as number) - spot) < 10 * step);
    const far = rows.filter((r) => Math.abs((r['strike'] as number) - spot) > 40 * step);
    const mean = (xs: Array<Record<string, number>>): number => xs.reduce((s, r) => s + oi(r), 0) / xs.length;
    assert.ok(mean(near) > 2 * mean(far), `${ticker}: OI near the money ${mean(near)} vs far ${mean(far)}`);
    const gammas = rows.map((r) => r['gamma'] as number);
    const peak = rows[gammas.indexOf(Math.max(...gammas))]?.['strike'] as number;
    assert.ok(Math.abs(peak - spot) <= 3 * step, `${ticker}: gamma peaks at ${peak}, spot ${spot}`);
  }
  const g = generateSnapshots({ seed: 3, count: 1, strikes: 200, shape: 'option_chain' }).next().value;
  const rows = (g?.payload['strikes'] ?? []) as Array<Record<string, number>>;
  const oi = (r: Record<string, number>): number => (r['call_open_interest'] as number) + (r['put_open_interest'] as number);
  const round = rows.filter((r) => (r['strike'] as number) % 100 === 0).map(oi);
  const plain = rows.filter((r) => (r['strike'] as number) % 25 !== 0).map(oi);
  const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(avg(round) > 1.5 * avg(plain), `round strikes ${avg(round)} vs others ${avg(plain)}`);
});

Realism('spot follows a small random walk', () => {
  const spots = take({ seed: 11, count: 600 }).map((p) => p['spot'] as number);
  const moves = spots.slice(1).map((s, i) => Math.abs(Math.log(s / (spots[i] as number))));
  assert.ok(new Set(spots).size > 100, 'spot moves');
  assert.ok(Math.max(...moves) < 0.002, `largest one-second move ${Math.max(...moves)}`);
});

Realism.run();

const Defects = suite('injected defects');

Defects('a known share of records is bad, each rejected at the announced path; the rest decode', () => {
  for (const shape of ['gexbot_classic', 'option_chain'] as const) {
    let bad = 0;
    const names = new Set<string>();
    for (const g of generateSnapshots({ seed: 77, tickers: ['SPX', 'SPY'], count: 400, shape, badFraction: 0.25, strikes: 20 })) {
      const r = decodeValue(g.payload, { dataType: 'real_time' }, OPTS);
      if (g.defect === null) {
        expectRight(r);
        continue;
      }
      bad++;
      names.add(g.defect.name);
      const paths = expectLeft(r).map((e) => e.path);
      assert.ok(paths.includes(g.defect.path), `${shape} ${g.defect.name}: expected an error at ${g.defect.path}, got ${paths.join(', ')}`);
    }
    assert.ok(bad > 60 && bad < 140, `${shape}: ${bad} of 400 bad at 25%`);
    assert.ok(names.size >= 7, `${shape}: defect kinds seen ${[...names].join(', ')}`);
  }
});

Defects.run();

const Property = suite('generator x decoder properties');

Property('generated payloads with any seed always decode, and decoding is deterministic', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.constantFrom('gexbot_classic' as const, 'option_chain' as const),
      fc.subarray(['SPX', 'NDX', 'ES_SPX', 'NQ_NDX', 'SPY', 'QQQ', 'RUT', 'XYZ'], { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 150 }),
      fc.constantFrom('zero' as const, 'one' as const, 'full' as const),
      fc.constantFrom('09:30', '12:00', '15:59'),
      (seed, shape, tickers, strikes, category, startTime) => {
        const opts: GeneratorOptions = { seed, shape, tickers, strikes, category, startTime, count: 4 };
        const payloads = take(opts);
        assert.equal(take(opts), payloads);
        for (const p of payloads) {
          const text = JSON.stringify(p);
          const a = expectRight(decodeValue(JSON.parse(text), { dataType: 'real_time', category }, OPTS));
          const b = expectRight(decodeValue(JSON.parse(text), { dataType: 'real_time', category }, OPTS));
          assert.equal(a, b);
          assertAvro(a);
          assert.is(a.kind, shape);
          assert.is(a.strikes.count, strikes);
          assert.ok(a.derived !== null && a.derived.quality_score >= 0 && a.derived.quality_score <= 1);
        }
      },
    ),
    { numRuns: 60, seed: 20251107 },
  );
});

Property.run();

const Clock = suite('market time');

Clock('Eastern offsets follow US daylight saving', () => {
  assert.equal(
    ['2025-03-08', '2025-03-09', '2025-11-01', '2025-11-02', '2025-12-31', '2026-07-01'].map(easternOffsetMinutes),
    [300, 240, 240, 300, 300, 240],
  );
  assert.is(new Date(easternToUtcMs('2025-11-07', '16:00')).toISOString(), '2025-11-07T21:00:00.000Z');
  assert.throws(() => easternToUtcMs('2025-02-30', '09:30'), /calendar day/);
});

Clock.run();
