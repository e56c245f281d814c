// Derived metrics checked against independent computations written differently from src/domain/derived.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeValue } from '../../../src/domain/decode.js';
import { computeDerived, dealerGex, zeroGammaLevel } from '../../../src/domain/derived.js';
import { generatePayloads } from '../../../src/domain/generator.js';
import type { CanonicalSnapshot } from '../../../src/domain/snapshot.js';
import { OPTS, closeTo, expectRight, fixture } from './support.js';

const decode = (json: unknown): CanonicalSnapshot => expectRight(decodeValue(json, { dataType: 'snapshot' }, OPTS));

const row = (strike: number, callOi: number, putOi: number, gamma: number, callVolume = 0, putVolume = 0): Record<string, unknown> => ({
  strike,
  call_open_interest: callOi,
  put_open_interest: putOi,
  call_volume: callVolume,
  put_volume: putVolume,
  gamma,
});

const ZeroGamma = suite('zero-gamma level');

ZeroGamma('interpolates the sign change of cumulative net GEX between two strikes', () => {
  // cumulative: -10, -20, +10, +15 -> crosses between 110 (-20) and 120 (+10): 110 + 10 * 20/30
  closeTo(zeroGammaLevel([100, 110, 120, 130], [-10, -10, 30, 5], 115), 110 + 20 / 3, 1e-12, 'flip');
});

ZeroGamma('several crossings: the one nearest to spot', () => {
  // cumulative: 5, -5, -10, 10, -10 -> crossings at 105, 125 and 135
  const strikes = [100, 110, 120, 130, 140];
  const net = [5, -10, -5, 20, -20];
  assert.is(zeroGammaLevel(strikes, net, 101), 105);
  assert.is(zeroGammaLevel(strikes, net, 124), 125);
  assert.is(zeroGammaLevel(strikes, net, 200), 135);
});

ZeroGamma('a run of exact zeros: the sign changed at the first of them; no change gives null', () => {
  // cumulative: -5, 0, 0, +5
  assert.is(zeroGammaLevel([10, 20, 30, 40], [-5, 5, 0, 5], 25), 20);
  assert.is(zeroGammaLevel([10, 20, 30], [1, 2, 3], 20), null);
  assert.is(zeroGammaLevel([10, 20, 30], [-1, -2, -3], 20), null);
  assert.is(zeroGammaLevel([], [], 20), null);
});

ZeroGamma('a hand-built option chain whose flip is known exactly', () => {
  // gamma 0.01, spot 100: 0.01 * 100 * 100^2 * 0.01 = $100 per contract.
  // Net per strike: 90 -> -3000, 100 -> 0, 110 -> +6000. Cumulative -3000, -3000, +3000: flip at 105.
  const s = decode({
    ticker: 'SPX',
    timestamp: 1777492800,
    spot: 100,
    strikes: [row(110, 60, 0, 0.01), row(90, 0, 30, 0.01), row(100, 10, 10, 0.01)], // out of order on purpose
  });
  closeTo(s.derived?.zero_gamma, 105, 1e-12, 'zero_gamma');
  assert.equal(Array.from(s.strikes.columns.net_gex ?? []), [6000, -3000, 0]);
});

ZeroGamma.run();

const Chain = suite('option-chain GEX');

Chain('dealer GEX per strike, net, majors and totals against a separate computation', () => {
  const spot = 5012.5;
  const rows = [
    row(4950, 100, 2500, 0.0008, 40, 900),
    row(5000, 1800, 1700, 0.0021, 700, 650),
    row(5025, 2200, 300, 0.0019, 1200, 90),
    row(5050, 900, 50, 0.0011, 300, 10),
  ];
  const s = decode({ ticker: 'SPX', timestamp: 1777492800, spot, strikes: rows });
  const d = s.derived;
  assert.ok(d !== null);
  // Written differently: one factor per row, differences of OI, summed right to left.
  const factor = (g: number): number => g * spot * spot; // 100 * 0.01 = 1
  let net = 0;
  let netVol = 0;
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i] as Record<string, number>;
    net += factor(r['gamma'] as number) * ((r['call_open_interest'] as number) - (r['put_open_interest'] as number));
    netVol += factor(r['gamma'] as number) * ((r['call_volume'] as number) - (r['put_volume'] as number));
  }
  closeTo(d?.net_gex, net, 1e-12, 'net_gex');
  closeTo(d?.net_gex_oi, net, 1e-12, 'net_gex_oi');
  closeTo(d?.net_gex_vol, netVol, 1e-12, 'net_gex_vol');
  const byOi = rows
    .map((r) => ({ k: r['strike'] as number, v: factor(r['gamma'] as number) * ((r['call_open_interest'] as number) - (r['put_open_interest'] as number)) }))
    .sort((a, b) => a.v - b.v);
  assert.is(d?.major_neg_oi, byOi[0]?.k);
  assert.is(d?.major_pos_oi, byOi[byOi.length - 1]?.k);
  const byVol = rows
    .map((r) => ({ k: r['strike'] as number, v: (r['gamma'] as number) * ((r['call_volume'] as number) - (r['put_volume'] as number)) }))
    .sort((a, b) => a.v - b.v);
  assert.is(d?.major_neg_vol, byVol[0]?.k);
  assert.is(d?.major_pos_vol, byVol[byVol.length - 1]?.k);
  assert.equal([d?.total_call_oi, d?.total_put_oi, d?.total_volume], [5000, 4550, 2240 + 1650]);
  assert.ok(d?.convention.startsWith('dealer: call_gex = gamma*call_oi*100*spot^2*0.01'));
  assert.is(d?.unit, 'USD per 1% move of the underlying');
  assert.is(dealerGex(0.01, 1, 100), 100);
});

Chain('quality: complete and consistent chains score 1; crossed quotes and spot outside the strikes are noted', () => {
  const clean = decode({
    ticker: 'SPX',
    timestamp: 1777492800,
    spot: 100,
    strikes: [100, 105].map((k) => ({ ...row(k, 1, 1, 0.01, 1, 1), call_bid: 1, call_ask: 1.1, put_bid: 2, put_ask: 2.1, delta: 0.5, theta: -1, vega: 1 })),
  });
  assert.equal([clean.derived?.quality_score, clean.derived?.quality_notes], [1, []]);
  const messy = decode({
    ticker: 'SPX',
    timestamp: 1777492800,
    spot: 200,
    strikes: [100, 105, 105].map((k) => ({ ...row(k, 1, 1, 0.01, 1, 1), call_bid: 1.2, call_ask: 1.1, put_bid: 2, put_ask: 2.1, delta: 0.5, theta: -1, vega: 1 })),
  });
  assert.ok((messy.derived?.quality_score ?? 1) < 0.8, `score ${messy.derived?.quality_score}`);
  assert.equal(messy.derived?.quality_notes, ['1 duplicate strike row(s)', 'spot 200 is outside the strike range 100-105', '3 of 6 quotes have bid > ask']);
});

Chain.run();

const Gexbot = suite('GEXBot recomputation');

Gexbot('the fixture: vendor values kept, derived recomputed from the rows, inconsistencies noted', () => {
  const s = decode(fixture());
  const d = s.derived;
  assert.ok(d !== null);
  // Vendor values untouched...
  assert.equal([s.zero_gamma, s.sum_gex_vol, s.major_pos_vol], [7112.95, 1712585.519, 7135]);
  // ...derived from the four rows: gex_vol -228.01, -48.47, 44.16, 5.5; gex_oi -86.9, 69.76, 75.99, 14.27.
  closeTo(d?.net_gex_vol, -226.82, 1e-12, 'net_gex_vol');
  closeTo(d?.net_gex_oi, 73.12, 1e-12, 'net_gex_oi');
  assert.equal([d?.major_pos_vol, d?.major_neg_vol, d?.major_pos_oi, d?.major_neg_oi], [7380, 6890, 7380, 6890]);
  // Cumulative OI view: -86.9 at 6890, -17.14 at 6895, 58.85 at 7380 -> flip between 6895 and 7380.
  closeTo(d?.zero_gamma, 6895 + (485 * 17.14) / (58.85 + 17.14), 1e-9, 'zero_gamma');
  assert.ok(d?.convention.startsWith('gexbot:'));
  // The fixture is an excerpt: its sums and majors cannot match its four rows, and quality says so.
  assert.ok((d?.quality_score ?? 1) < 0.8);
  assert.ok(d?.quality_notes.some((n) => n.startsWith('sum_gex_vol 1712585.519 differs from the sum of strike gex_vol (-226.82)')));
  assert.ok(d?.quality_notes.some((n) => n.startsWith('vendor majors not among the strikes: major_pos_vol 7135')));
});

Gexbot('generated classic snapshots: derived sums and majors match an independent pass over the raw rows', () => {
  let n = 0;
  for (const p of generatePayloads({ seed: 99, tickers: ['SPX', 'NDX'], count: 20 })) {
    const s = decode(p);
    const rows = p['strikes'] as Array<[number, number, number, number[]]>;
    const sumVol = rows.map((r) => r[1]).reduceRight((a, b) => a + b, 0);
    const sumOi = rows.map((r) => r[2]).reduceRight((a, b) => a + b, 0);
    closeTo(s.derived?.net_gex_vol, sumVol, 1e-9, 'net_gex_vol');
    closeTo(s.derived?.net_gex_oi, sumOi, 1e-9, 'net_gex_oi');
    const maxVol = [...rows].sort((a, b) => b[1] - a[1])[0];
    assert.is(s.derived?.major_pos_vol, maxVol?.[0]);
    // The generator writes consistent vendor fields, so quality is perfect.
    assert.equal([s.derived?.quality_score, s.derived?.quality_notes], [1, []]);
    closeTo(s.derived?.zero_gamma ?? null, s.zero_gamma ?? Number.NaN, 1e-5, 'vendor vs derived zero gamma');
    n++;
  }
  assert.is(n, 20);
});

Gexbot('computeDerived is pure: same snapshot, same record, input untouched', () => {
  const s = decode(fixture());
  const before = JSON.stringify(s);
  assert.equal(computeDerived(s), computeDerived(s));
  assert.is(JSON.stringify(s), before);
});

Gexbot.run();
