// Owns the deterministic synthetic feed: realistic GEXBot classic and option-chain payloads (vendor shape, not canonical) from a seed.
import { zeroGammaLevel } from './derived.js';
import { SESSION_CLOSE, SESSION_OPEN, easternToUtcMs } from './marketTime.js';
import { createRng, hash32, hashUnit, type Rng } from './prng.js';

export type GeneratedShape = 'gexbot_classic' | 'option_chain';

export interface GeneratorOptions {
  readonly seed: number;
  /** Default ['SPX']. */
  readonly tickers?: readonly string[];
  /** Trading day, YYYY-MM-DD (default 2025-11-07). */
  readonly day?: string;
  /** Eastern wall-clock start and end, HH:MM[:SS] (default the regular session 09:30-16:00). */
  readonly startTime?: string;
  readonly endTime?: string;
  /** Snapshots per second per ticker (default 1: 23,400 per ticker over a full session). */
  readonly ratePerSecond?: number;
  /** Total snapshots over all tickers; default (and at most) what the session holds. */
  readonly count?: number;
  readonly shape?: GeneratedShape;
  /** Strikes per snapshot (default 100). */
  readonly strikes?: number;
  /** GEXBot category: zero (0DTE, default), one or full. */
  readonly category?: 'zero' | 'one' | 'full';
  /** Share of records, in [0,1], given one known defect each (default 0). */
  readonly badFraction?: number;
}

/** A defect injected on purpose, and where decoding must report it. */
export interface Defect {
  readonly name: string;
  /** The path of the error decoding must report (e.g. `strikes[3][1]`). */
  readonly path: string;
}

export interface GeneratedSnapshot {
  readonly kind: GeneratedShape;
  readonly category: string;
  readonly ticker: string;
  readonly timestampMs: number;
  /** The payload in the vendor's raw JSON shape. */
  readonly payload: Record<string, unknown>;
  readonly defect: Defect | null;
}

interface TickerProfile {
  readonly spot: number;
  readonly step: number;
  /** Open interest scale per strike near the money. */
  readonly oi: number;
}

/** Rough levels of late 2025; unknown tickers get a 100-dollar underlying with 1-dollar strikes. */
export const TICKER_PROFILES: Readonly<Record<string, TickerProfile>> = {
  SPX: { spot: 6730, step: 5, oi: 4000 },
  ES_SPX: { spot: 6760, step: 5, oi: 4000 },
  NDX: { spot: 24900, step: 10, oi: 600 },
  NQ_NDX: { spot: 25000, step: 10, oi: 600 },
  RUT: { spot: 2420, step: 5, oi: 900 },
  SPY: { spot: 671, step: 1, oi: 20000 },
  QQQ: { spot: 608, step: 1, oi: 15000 },
  IWM: { spot: 241, step: 1, oi: 12000 },
};
const DEFAULT_PROFILE: TickerProfile = { spot: 100, step: 1, oi: 2000 };

const YEAR_MS = 365 * 24 * 3600 * 1000;
const TRADING_SECONDS_PER_YEAR = 252 * 6.5 * 3600;
const ANNUAL_VOL = 0.16;
/** Gamma at expiry blows up; the model never lets time to expiry fall below 15 minutes. */
const MIN_EXPIRY_MS = 15 * 60 * 1000;
/** Prior intervals of the classic payload: 1, 5, 10, 15, 30 minutes. */
const PRIOR_SECONDS = [60, 300, 600, 900, 1800];

const r2 = (x: number): number => Math.round(x * 100) / 100;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const sig = (x: number, digits: number): number => (x === 0 ? 0 : Number(x.toPrecision(digits)));

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const pdf = (x: number): number => Math.exp(-0.5 * x * x) / SQRT_2PI;
/** Standard normal CDF (Abramowitz-Stegun 7.1.26, error < 1.5e-7). */
const cdf = (x: number): number => {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
};

interface Greeks {
  gamma: number;
  delta: number;
  theta: number;
  vega: number;
  call: number;
  put: number;
}

/** Black-Scholes (no rates, no dividends) with a put skew on the volatility. */
const blackScholes = (spot: number, strike: number, years: number): Greeks => {
  const moneyness = Math.log(strike / spot);
  // Short-dated smiles are steep: wings trade at several times the at-the-money volatility.
  const vol = ANNUAL_VOL - 1.5 * moneyness + 250 * moneyness * moneyness;
  const sd = Math.max(vol, 0.05) * Math.sqrt(years);
  const d1 = (-moneyness + 0.5 * sd * sd) / sd;
  const d2 = d1 - sd;
  const call = spot * cdf(d1) - strike * cdf(d2);
  return {
    gamma: pdf(d1) / (spot * sd),
    delta: cdf(d1),
    theta: (-spot * pdf(d1) * (sd / Math.sqrt(years))) / (2 * 365),
    vega: (spot * pdf(d1) * Math.sqrt(years)) / 100,
    call,
    put: call - spot + strike,
  };
};

/** Open interest at a strike: peaked at the money and at round strikes, calls above and puts below; fixed for the day. */
const openInterest = (seed: number, ticker: string, p: TickerProfile, open: number, strike: number): { call: number; put: number } => {
  const distance = (strike - open) / (open * 0.012);
  const atm = Math.exp(-0.5 * distance * distance) + 0.1;
  const units = Math.round(strike / p.step);
  const round = units % 20 === 0 ? 3 : units % 10 === 0 ? 2.2 : units % 5 === 0 ? 1.5 : 1;
  const noise = (side: string): number => 0.5 + hashUnit(seed, ticker, strike, side);
  // Calls above and puts below the open; calls a little heavier, as on most index days (dealers long gamma above the flip).
  const callTilt = strike >= open ? 1.6 : 0.5;
  const putTilt = strike <= open ? 1.1 : 0.45;
  return {
    call: Math.round(p.oi * atm * round * callTilt * noise('c')),
    put: Math.round(p.oi * atm * round * putTilt * noise('p')),
  };
};

interface TickerState {
  readonly ticker: string;
  readonly profile: TickerProfile;
  readonly rng: Rng;
  readonly open: number;
  spot: number;
}

interface Moment {
  readonly ms: number;
  /** Share of the session's volume traded so far, in (0,1]. */
  readonly progress: number;
  readonly years: number;
  readonly stepSeconds: number;
}

interface Row {
  strike: number;
  g: Greeks;
  callOi: number;
  putOi: number;
  callVol: number;
  putVol: number;
}

const buildRows = (seed: number, st: TickerState, m: Moment, n: number): Row[] => {
  const { step } = st.profile;
  const center = Math.round(st.spot / step) * step;
  const first = center - Math.floor(n / 2) * step;
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const strike = first + i * step;
    if (strike <= 0) continue;
    const oi = openInterest(seed, st.ticker, st.profile, st.open, strike);
    const near = (strike - st.spot) / (st.spot * 0.01);
    const activity = m.progress * (0.3 + 1.2 * Math.exp(-0.5 * near * near)) * (0.7 + 0.6 * hashUnit(seed, st.ticker, strike, m.ms));
    rows.push({
      strike,
      g: blackScholes(st.spot, strike, m.years),
      callOi: oi.call,
      putOi: oi.put,
      callVol: Math.round(oi.call * 0.8 * activity),
      putVol: Math.round(oi.put * 0.8 * activity),
    });
  }
  return rows;
};

/** GEX in millions of dollars per 1% move (the scale GEXBot's numbers have). */
const gexMillions = (gamma: number, contracts: number, spot: number): number => (gamma * contracts * 100 * spot * spot * 0.01) / 1e6;

const classicPayload = (st: TickerState, m: Moment, rows: Row[], category: string): Record<string, unknown> => {
  const spot = st.spot;
  const strikes: Array<[number, number, number, number[]]> = [];
  const changes: Array<Array<{ strike: number; change: number }>> = [[], [], [], [], [], []];
  let sumVol = 0;
  let sumOi = 0;
  let posVol: [number, number] = [0, 0];
  let negVol: [number, number] = [0, 0];
  let posOi: [number, number] = [0, 0];
  let negOi: [number, number] = [0, 0];
  for (const r of rows) {
    const gexVol = r3(gexMillions(r.g.gamma, r.callVol - r.putVol, spot));
    const gexOi = r3(gexMillions(r.g.gamma, r.callOi - r.putOi, spot));
    // Earlier values: volume accrues through the session, so a prior is the current value scaled back, plus noise.
    const earlier = (seconds: number): number => {
      const scale = Math.max(0, m.progress - seconds / (6.5 * 3600)) / m.progress;
      return r2(gexVol * scale * (1 + 0.03 * st.rng.normal()));
    };
    const priors = PRIOR_SECONDS.map(earlier);
    [m.stepSeconds, ...PRIOR_SECONDS].forEach((s, k) => {
      const before = k === 0 ? earlier(s) : (priors[k - 1] as number);
      changes[k]?.push({ strike: r.strike, change: r3(gexVol - before) });
    });
    strikes.push([r.strike, gexVol, gexOi, priors]);
    sumVol += gexVol;
    sumOi += gexOi;
    if (gexVol > posVol[1]) posVol = [r.strike, gexVol];
    if (gexVol < negVol[1]) negVol = [r.strike, gexVol];
    if (gexOi > posOi[1]) posOi = [r.strike, gexOi];
    if (gexOi < negOi[1]) negOi = [r.strike, gexOi];
  }
  const zero = zeroGammaLevel(
    strikes.map((s) => s[0]),
    strikes.map((s) => s[2]),
    spot,
  );
  const maxPriors = changes.map((list) => {
    let best = list[0] ?? { strike: rows[0]?.strike ?? spot, change: 0 };
    for (const c of list) if (Math.abs(c.change) > Math.abs(best.change)) best = c;
    return [best.strike, best.change];
  });
  const dte = category === 'one' ? 1 : 0;
  return {
    timestamp: m.ms / 1000,
    ticker: st.ticker,
    min_dte: dte,
    sec_min_dte: dte + 1,
    spot,
    zero_gamma: zero === null ? null : r2(zero),
    major_pos_vol: posVol[0] || null,
    major_pos_oi: posOi[0] || null,
    major_neg_vol: negVol[0] || null,
    major_neg_oi: negOi[0] || null,
    strikes,
    sum_gex_vol: r3(sumVol),
    sum_gex_oi: r3(sumOi),
    delta_risk_reversal: r3(0.1 + 0.02 * st.rng.normal()),
    max_priors: maxPriors,
  };
};

const chainPayload = (st: TickerState, m: Moment, rows: Row[]): Record<string, unknown> => {
  const quote = (price: number): { bid: number; ask: number } => {
    const mid = Math.max(price, 0.05);
    const half = Math.max(0.05, mid * 0.01);
    return { bid: r2(Math.max(0, mid - half)), ask: r2(mid + half) };
  };
  return {
    market_symbol: st.ticker,
    timestamp: new Date(m.ms).toISOString(),
    spot: st.spot,
    strikes: rows.map((r) => {
      const c = quote(r.g.call);
      const p = quote(r.g.put);
      return {
        strike: r.strike,
        call_open_interest: r.callOi,
        put_open_interest: r.putOi,
        call_volume: r.callVol,
        put_volume: r.putVol,
        call_bid: c.bid,
        call_ask: c.ask,
        put_bid: p.bid,
        put_ask: p.ask,
        gamma: sig(r.g.gamma, 6),
        delta: sig(r.g.delta, 6),
        theta: sig(r.g.theta, 6),
        vega: sig(r.g.vega, 6),
      };
    }),
  };
};

type Injector = (p: Record<string, unknown>, rng: Rng) => string;

const rowIndex = (p: Record<string, unknown>, rng: Rng): number => rng.int((p['strikes'] as unknown[]).length);
const rowAt = <T>(p: Record<string, unknown>, i: number): T => (p['strikes'] as T[])[i] as T;
const tickerKey = (p: Record<string, unknown>): string => ('ticker' in p ? 'ticker' : 'market_symbol');

const COMMON_DEFECTS: Readonly<Record<string, Injector>> = {
  future_timestamp: (p) => {
    const t = p['timestamp'];
    p['timestamp'] = typeof t === 'number' ? t + 366 * 86400 : new Date(Date.parse(String(t)) + 366 * 86400_000).toISOString();
    return 'timestamp';
  },
  bad_ticker: (p) => {
    const k = tickerKey(p);
    p[k] = `${String(p[k]).toLowerCase()}$`;
    return k;
  },
  missing_ticker: (p) => {
    const k = tickerKey(p);
    delete p[k];
    return 'ticker';
  },
  null_spot: (p) => {
    p['spot'] = null;
    return 'spot';
  },
  empty_strikes: (p) => {
    p['strikes'] = [];
    return 'strikes';
  },
};

const CLASSIC_DEFECTS: Readonly<Record<string, Injector>> = {
  ...COMMON_DEFECTS,
  string_for_number: (p, rng) => {
    const i = rowIndex(p, rng);
    rowAt<unknown[]>(p, i)[1] = 'abc';
    return `strikes[${i}][1]`;
  },
  negative_strike: (p, rng) => {
    const i = rowIndex(p, rng);
    const row = rowAt<unknown[]>(p, i);
    row[0] = -(row[0] as number);
    return `strikes[${i}][0]`;
  },
  wrong_arity: (p, rng) => {
    const i = rowIndex(p, rng);
    (p['strikes'] as unknown[])[i] = rowAt<unknown[]>(p, i).slice(0, 3);
    return `strikes[${i}]`;
  },
};

const CHAIN_DEFECTS: Readonly<Record<string, Injector>> = {
  ...COMMON_DEFECTS,
  string_for_number: (p, rng) => {
    const i = rowIndex(p, rng);
    rowAt<Record<string, unknown>>(p, i)['gamma'] = 'abc';
    return `strikes[${i}].gamma`;
  },
  negative_open_interest: (p, rng) => {
    const i = rowIndex(p, rng);
    rowAt<Record<string, unknown>>(p, i)['put_open_interest'] = -5;
    return `strikes[${i}].put_open_interest`;
  },
  negative_bid: (p, rng) => {
    const i = rowIndex(p, rng);
    rowAt<Record<string, unknown>>(p, i)['call_bid'] = -0.05;
    return `strikes[${i}].call_bid`;
  },
};

/** Snapshots of a session, in time order, tickers interleaved at each instant. */
export function* generateSnapshots(opts: GeneratorOptions): Generator<GeneratedSnapshot, void, undefined> {
  const seed = opts.seed >>> 0;
  const tickers = opts.tickers ?? ['SPX'];
  const day = opts.day ?? '2025-11-07';
  const shape = opts.shape ?? 'gexbot_classic';
  const category = opts.category ?? 'zero';
  const n = opts.strikes ?? 100;
  const rate = opts.ratePerSecond ?? 1;
  const badFraction = opts.badFraction ?? 0;
  if (!(rate > 0)) throw new RangeError(`ratePerSecond: expected > 0, got ${rate}`);
  if (!(n >= 1)) throw new RangeError(`strikes: expected >= 1, got ${n}`);
  const startMs = easternToUtcMs(day, opts.startTime ?? SESSION_OPEN);
  const endMs = easternToUtcMs(day, opts.endTime ?? SESSION_CLOSE);
  const openMs = easternToUtcMs(day, SESSION_OPEN);
  const closeMs = easternToUtcMs(day, SESSION_CLOSE);
  const stepMs = 1000 / rate;
  const limit = opts.count ?? Infinity;
  const defectRng = createRng(hash32(seed, 'defects'));
  const defects = shape === 'gexbot_classic' ? CLASSIC_DEFECTS : CHAIN_DEFECTS;
  const defectNames = Object.keys(defects);

  const states: TickerState[] = tickers.map((ticker) => {
    const profile = TICKER_PROFILES[ticker] ?? DEFAULT_PROFILE;
    const rng = createRng(hash32(seed, ticker));
    const open = r2(profile.spot * (1 + 0.01 * rng.normal()));
    return { ticker, profile, rng, open, spot: open };
  });
  const tickSigma = ANNUAL_VOL * Math.sqrt(stepMs / 1000 / TRADING_SECONDS_PER_YEAR);

  let emitted = 0;
  for (let tick = 0; emitted < limit; tick++) {
    const ms = Math.round(startMs + tick * stepMs);
    if (ms >= endMs) return;
    const sessionShare = Math.min(1, Math.max(0, (ms - openMs) / (closeMs - openMs)));
    const expiryMs = closeMs + (category === 'one' ? 1 : 0) * 86400_000;
    const moment: Moment = {
      ms,
      progress: 0.05 + 0.95 * sessionShare,
      years: Math.max(expiryMs - ms, MIN_EXPIRY_MS) / YEAR_MS,
      stepSeconds: stepMs / 1000,
    };
    for (const st of states) {
      if (emitted >= limit) return;
      if (tick > 0) st.spot = r2(st.spot * Math.exp(tickSigma * st.rng.normal()));
      const rows = buildRows(seed, st, moment, n);
      const payload = shape === 'gexbot_classic' ? classicPayload(st, moment, rows, category) : chainPayload(st, moment, rows);
      let defect: Defect | null = null;
      if (badFraction > 0 && defectRng.next() < badFraction) {
        const name = defectNames[defectRng.int(defectNames.length)] as string;
        defect = { name, path: (defects[name] as Injector)(payload, defectRng) };
      }
      emitted++;
      yield { kind: shape, category, ticker: st.ticker, timestampMs: ms, payload, defect };
    }
  }
}

/** Just the vendor-shaped payloads of generateSnapshots. */
export function* generatePayloads(opts: GeneratorOptions): Generator<Record<string, unknown>, void, undefined> {
  for (const g of generateSnapshots(opts)) yield g.payload;
}
