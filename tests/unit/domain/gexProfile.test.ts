// The status page's GEX chart as data: which bars, lines and marks a snapshot gives, and where the layout puts them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeValue } from '../../../src/domain/decode.js';
import { generatePayloads } from '../../../src/domain/generator.js';
import { compactNumber, gexProfile, layoutProfile, type ChartBox } from '../../../src/domain/gexProfile.js';
import type { CanonicalSnapshot } from '../../../src/domain/snapshot.js';
import { OPTS, expectRight, fixture, rowsOf } from './support.js';

const decode = (json: unknown): CanonicalSnapshot => expectRight(decodeValue(json, { dataType: 'snapshot' }, OPTS));
const BOX: ChartBox = { width: 900, height: 400, margin: { top: 30, right: 20, bottom: 50, left: 60 } };

const Profile = suite('gex profile');

Profile('a GEXBot snapshot: one bar per strike for each vendor series and the computed one, with the row values', () => {
  const s = decode(fixture());
  const p = gexProfile({ request_id: 'r1', snapshot: s });
  const expected = rowsOf(s).flatMap((r) =>
    (
      [
        ['vendor_vol', r.gex_vol],
        ['vendor_oi', r.gex_oi],
        ['computed', r.net_gex],
      ] as const
    )
      .filter(([, v]) => v !== null)
      .map(([series, value]) => `${series}@${r.strike}=${value}`),
  );
  assert.equal(p.bars.map((b) => `${b.series}@${b.strike}=${b.value}`).sort(), expected.sort());
  assert.ok(p.series.includes('computed') && p.series.includes('vendor_vol'));
  assert.is(p.requestId, 'r1');
  assert.is(p.ticker, s.ticker);
});

Profile('an option chain has no vendor per-strike GEX: only the computed series', () => {
  const [g] = [...generatePayloads({ seed: 3, shape: 'option_chain', count: 1, strikes: 30 })];
  const s = decode(g);
  const p = gexProfile({ snapshot: s });
  assert.equal(p.series, ['computed']);
  assert.is(p.bars.length, rowsOf(s).filter((r) => r.net_gex !== null).length);
  assert.equal(gexProfile({ snapshot: { ...s, strikes: rowsOf(s) } }), p, 'rows (the API JSON) and columns give the same profile');
});

Profile("spot and both zero-gamma levels as lines; the computed majors marked, else the vendor's", () => {
  const s = decode(fixture());
  const p = gexProfile({ snapshot: s });
  const lines = Object.fromEntries(p.lines.map((l) => [l.name, l.value]));
  assert.is(lines['spot'], s.spot);
  if (s.zero_gamma !== null) assert.is(lines['zero_gamma_vendor'], s.zero_gamma);
  if (s.derived?.zero_gamma != null) assert.is(lines['zero_gamma_computed'], s.derived.zero_gamma);
  const marks = Object.fromEntries(p.marks.map((m) => [m.name, [m.strike, m.by]]));
  assert.equal(marks['major_positive'], [s.derived?.major_pos_oi ?? s.derived?.major_pos_vol, 'computed']);
  // no derived record: the vendor's majors stand in
  const vendorOnly = gexProfile({ snapshot: { ...s, derived: null, major_pos_vol: 6800, major_neg_vol: 6600, major_pos_oi: null, major_neg_oi: null } });
  assert.equal(vendorOnly.marks.map((m) => [m.name, m.strike, m.by]), [['major_positive', 6800, 'vendor'], ['major_negative', 6600, 'vendor']]);
});

const Layout = suite('gex profile layout');

Layout('bars rise from the zero line for positive values and hang from it for negative ones, strikes left to right', () => {
  const p = gexProfile({ snapshot: decode(fixture()) });
  const lay = layoutProfile(p, BOX);
  assert.is(lay.bars.length, p.bars.length);
  for (const b of lay.bars) {
    if (b.value > 0) assert.ok(Math.abs(b.y + b.h - lay.zeroY) < 1e-9, `positive bar at ${b.strike} ends on the zero line`);
    if (b.value < 0) assert.ok(Math.abs(b.y - lay.zeroY) < 1e-9, `negative bar at ${b.strike} starts on the zero line`);
    assert.ok(b.x >= lay.plot.left - 1e-9 && b.x + b.w <= lay.plot.right + 1e-9, `bar at ${b.strike} inside the plot`);
    assert.ok(b.y >= lay.plot.top - 1e-9 && b.y + b.h <= lay.plot.bottom + 1e-9, `bar at ${b.strike} inside the plot vertically`);
  }
  const computed = lay.bars.filter((b) => b.series === 'computed');
  for (let i = 1; i < computed.length; i++) assert.ok((computed[i]?.x ?? 0) > (computed[i - 1]?.x ?? 0), 'x grows with the strike');
  // the largest bar reaches at most the top of the axis, and the axis is symmetric around 0
  assert.ok(lay.yTicks.some((t) => t.value === 0));
  assert.is(lay.yTicks[0]?.value, -(lay.yTicks[lay.yTicks.length - 1]?.value ?? 0));
});

Layout('a line at a price beyond the strikes is clamped to the plot edge; an empty profile lays out without NaN', () => {
  const p = gexProfile({ snapshot: decode(fixture()) });
  const far = { ...p, lines: [{ name: 'spot' as const, label: 'spot', value: 1e9 }] };
  assert.is(layoutProfile(far, BOX).lines[0]?.x, BOX.width - BOX.margin.right);
  const empty = layoutProfile({ ...p, series: [], bars: [], lines: [], marks: [] }, BOX);
  assert.ok(Number.isFinite(empty.zeroY));
  assert.ok(empty.xTicks.every((t) => Number.isFinite(t.x)));
});

Layout('compact numbers for the axes', () => {
  assert.equal([compactNumber(0), compactNumber(1_234_000_000), compactNumber(-35_000), compactNumber(999), compactNumber(2.5)], ['0', '1.2B', '-35K', '999', '2.5']);
});

Profile.run();
Layout.run();
