// Owns the GEX profile chart of one processed snapshot as plain data: which bars, lines and marks to draw and where
// (pure: no DOM, no imports at run time, so the status page's browser script loads the compiled file as it is).

/** The per-strike series a profile can hold; a snapshot shows only the ones it has values for. */
export const PROFILE_SERIES = ['vendor_vol', 'vendor_oi', 'computed'] as const;
export type ProfileSeries = (typeof PROFILE_SERIES)[number];

export const SERIES_LABELS: Readonly<Record<ProfileSeries, string>> = {
  vendor_vol: "vendor's GEX by volume",
  vendor_oi: "vendor's GEX by OI",
  computed: 'computed net GEX',
};

export interface ProfileRow {
  readonly strike: number;
  readonly gex_vol: number | null;
  readonly gex_oi: number | null;
  readonly net_gex: number | null;
}

/** The part of StrikeColumns (strikeColumns.ts) the chart reads; declared here so this file imports nothing at run time. */
export interface ProfileColumns {
  readonly count: number;
  readonly strike: ArrayLike<number>;
  readonly columns: { readonly gex_vol: ArrayLike<number> | null; readonly gex_oi: ArrayLike<number> | null; readonly net_gex: ArrayLike<number> | null };
}

const rowsOfColumns = (k: ProfileColumns): ProfileRow[] => {
  const cell = (col: ArrayLike<number> | null, i: number): number | null => (col === null || Number.isNaN(col[i]) ? null : (col[i] as number));
  const out: ProfileRow[] = [];
  for (let i = 0; i < k.count; i++) out.push({ strike: k.strike[i] as number, gex_vol: cell(k.columns.gex_vol, i), gex_oi: cell(k.columns.gex_oi, i), net_gex: cell(k.columns.net_gex, i) });
  return out;
};

/** The fields of a processed snapshot (as GET /api/v1/snapshots/latest returns it, or decoded) that the chart reads. */
export interface ProfileInput {
  readonly request_id?: string;
  readonly snapshot: {
    readonly ticker: string;
    readonly kind: string;
    readonly timestamp_ms: number;
    readonly spot: number | null;
    readonly zero_gamma: number | null;
    readonly major_pos_vol: number | null;
    readonly major_neg_vol: number | null;
    readonly major_pos_oi: number | null;
    readonly major_neg_oi: number | null;
    /** Rows (the API's JSON) or columns (a decoded snapshot, StrikeColumns: NaN is null, an absent column is null). */
    readonly strikes: ReadonlyArray<ProfileRow> | ProfileColumns;
    readonly derived: {
      readonly unit: string;
      readonly zero_gamma: number | null;
      readonly major_pos_vol: number | null;
      readonly major_neg_vol: number | null;
      readonly major_pos_oi: number | null;
      readonly major_neg_oi: number | null;
    } | null;
  };
}

export interface ProfileBar {
  readonly strike: number;
  readonly series: ProfileSeries;
  readonly value: number;
}

/** A vertical line at a price: spot, or a zero-gamma level (the vendor's and gexstream's). */
export interface ProfileLine {
  readonly name: 'spot' | 'zero_gamma_vendor' | 'zero_gamma_computed';
  readonly label: string;
  readonly value: number;
}

/** A major strike: the largest positive or negative net GEX (gexstream's, else the vendor's). */
export interface ProfileMark {
  readonly name: 'major_positive' | 'major_negative';
  readonly label: string;
  readonly strike: number;
  readonly by: 'computed' | 'vendor';
}

export interface GexProfile {
  readonly requestId: string | null;
  readonly ticker: string;
  readonly kind: string;
  readonly timestampMs: number;
  readonly unit: string | null;
  readonly series: readonly ProfileSeries[];
  readonly bars: readonly ProfileBar[];
  readonly lines: readonly ProfileLine[];
  readonly marks: readonly ProfileMark[];
}

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * The profile of a snapshot. Vendor series come from the rows the vendor sent (GEXBot gex_vol, gex_oi); the
 * computed series is gexstream's per-strike net GEX (gamma x OI for option chains, the OI view of a GEXBot row).
 * A series without a single value is left out, so an option chain shows only the computed bars.
 */
export const gexProfile = (p: ProfileInput): GexProfile => {
  const s = p.snapshot;
  const pick: Record<ProfileSeries, (r: ProfileRow) => number | null> = {
    vendor_vol: (r) => r.gex_vol,
    vendor_oi: (r) => r.gex_oi,
    computed: (r) => r.net_gex,
  };
  // a chart's worth of rows (one bar per strike and series): the objects are what it draws
  const all = Array.isArray(s.strikes) ? (s.strikes as readonly ProfileRow[]) : rowsOfColumns(s.strikes as ProfileColumns);
  const rows = all.filter((r) => finite(r.strike)).sort((a, b) => a.strike - b.strike);
  const series = PROFILE_SERIES.filter((k) => rows.some((r) => finite(pick[k](r))));
  const bars: ProfileBar[] = [];
  for (const r of rows)
    for (const k of series) {
      const v = pick[k](r);
      if (finite(v)) bars.push({ strike: r.strike, series: k, value: v });
    }
  const d = s.derived;
  const lines: ProfileLine[] = [];
  if (finite(s.spot)) lines.push({ name: 'spot', label: 'spot', value: s.spot });
  if (finite(s.zero_gamma)) lines.push({ name: 'zero_gamma_vendor', label: "zero gamma (vendor's)", value: s.zero_gamma });
  if (finite(d?.zero_gamma)) lines.push({ name: 'zero_gamma_computed', label: 'zero gamma (computed)', value: d.zero_gamma });
  const marks: ProfileMark[] = [];
  const major = (name: ProfileMark['name'], computed: Array<number | null | undefined>, vendor: Array<number | null | undefined>): void => {
    const c = computed.find(finite);
    const v = vendor.find(finite);
    const label = name === 'major_positive' ? 'major +' : 'major −';
    if (c !== undefined) marks.push({ name, label, strike: c, by: 'computed' });
    else if (v !== undefined) marks.push({ name, label, strike: v, by: 'vendor' });
  };
  major('major_positive', [d?.major_pos_oi, d?.major_pos_vol], [s.major_pos_oi, s.major_pos_vol]);
  major('major_negative', [d?.major_neg_oi, d?.major_neg_vol], [s.major_neg_oi, s.major_neg_vol]);
  return { requestId: p.request_id ?? null, ticker: s.ticker, kind: s.kind, timestampMs: s.timestamp_ms, unit: d?.unit ?? null, series, bars, lines, marks };
};

export interface ChartBox {
  readonly width: number;
  readonly height: number;
  readonly margin: { readonly top: number; readonly right: number; readonly bottom: number; readonly left: number };
}

export interface PlacedBar extends ProfileBar {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface PlacedLine extends ProfileLine {
  readonly x: number;
}

export interface PlacedMark extends ProfileMark {
  readonly x: number;
}

export interface ProfileLayout {
  readonly bars: readonly PlacedBar[];
  readonly lines: readonly PlacedLine[];
  readonly marks: readonly PlacedMark[];
  /** The y of net GEX 0. */
  readonly zeroY: number;
  readonly xTicks: ReadonlyArray<{ readonly value: number; readonly x: number }>;
  readonly yTicks: ReadonlyArray<{ readonly value: number; readonly y: number }>;
  readonly plot: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
}

/** 1, 2 or 5 times a power of ten: at least `span / count`. */
const niceStep = (span: number, count: number): number => {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / pow;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
};

/**
 * Places the profile in a box: strikes on a linear x axis (so spot and zero gamma sit at their prices), one slot per
 * strike split among the series, net GEX on a y axis symmetric around 0. Lines outside the strike range are kept
 * and clamped to the plot's edges.
 */
export const layoutProfile = (p: GexProfile, box: ChartBox): ProfileLayout => {
  const plot = { left: box.margin.left, right: box.width - box.margin.right, top: box.margin.top, bottom: box.height - box.margin.bottom };
  const strikes = [...new Set(p.bars.map((b) => b.strike))].sort((a, b) => a - b);
  let gap = Infinity;
  for (let i = 1; i < strikes.length; i++) gap = Math.min(gap, (strikes[i] as number) - (strikes[i - 1] as number));
  const prices = [...strikes, ...p.lines.map((l) => l.value)];
  let lo = Math.min(...strikes);
  let hi = Math.max(...strikes);
  if (!Number.isFinite(lo)) [lo, hi] = prices.length > 0 ? [Math.min(...prices), Math.max(...prices)] : [0, 1];
  if (!Number.isFinite(gap)) gap = Math.max(1, (hi - lo) / 10 || Math.abs(lo) / 100 || 1);
  // half a slot of room either side, so the outermost bars are whole
  const x0 = lo - gap / 2;
  const x1 = hi + gap / 2;
  const xOf = (v: number): number => plot.left + ((v - x0) / (x1 - x0)) * (plot.right - plot.left);
  const clampX = (x: number): number => Math.min(plot.right, Math.max(plot.left, x));
  const maxAbs = Math.max(0, ...p.bars.map((b) => Math.abs(b.value))) || 1;
  const yStep = niceStep(2 * maxAbs, 6);
  const yMax = Math.ceil(maxAbs / yStep) * yStep;
  const yOf = (v: number): number => plot.top + ((yMax - v) / (2 * yMax)) * (plot.bottom - plot.top);
  const zeroY = yOf(0);
  const slot = ((plot.right - plot.left) * gap) / (x1 - x0);
  const n = Math.max(1, p.series.length);
  const w = Math.max(0.5, (slot * 0.85) / n);
  const bars = p.bars.map((b) => {
    const i = Math.max(0, p.series.indexOf(b.series));
    const x = xOf(b.strike) - (w * n) / 2 + i * w;
    const y = yOf(b.value);
    return { ...b, x, y: Math.min(y, zeroY), w, h: Math.abs(y - zeroY) };
  });
  const xStep = niceStep(x1 - x0, 8);
  const xTicks: Array<{ value: number; x: number }> = [];
  for (let v = Math.ceil(x0 / xStep) * xStep; v <= x1; v += xStep) xTicks.push({ value: Number(v.toPrecision(12)), x: xOf(v) });
  const yTicks: Array<{ value: number; y: number }> = [];
  for (let v = -yMax; v <= yMax + yStep / 2; v += yStep) yTicks.push({ value: Number(v.toPrecision(12)), y: yOf(v) });
  return {
    bars,
    lines: p.lines.map((l) => ({ ...l, x: clampX(xOf(l.value)) })),
    marks: p.marks.map((m) => ({ ...m, x: clampX(xOf(m.strike)) })),
    zeroY,
    xTicks,
    yTicks,
    plot,
  };
};

/** A compact number for axes and tables: 1.2e9 -> "1.2B", -35000 -> "-35K". */
export const compactNumber = (v: number): string => {
  const a = Math.abs(v);
  const [d, s] = a >= 1e12 ? [1e12, 'T'] : a >= 1e9 ? [1e9, 'B'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'K'] : [1, ''];
  const x = v / d;
  return `${Number(x.toFixed(Math.abs(x) >= 100 || s === '' ? (Number.isInteger(x) ? 0 : 2) : 1))}${s}`;
};
