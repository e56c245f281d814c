// Owns telling which input shape a payload is: from an explicit hint (kind, vendor alias or category) or from the payload itself.
import { describeValue, type PathError } from './errors.js';
import { SNAPSHOT_KINDS, type SnapshotKind } from './snapshot.js';

const ALIASES: Readonly<Record<string, SnapshotKind>> = {
  classic: 'gexbot_classic',
  gex_classic: 'gexbot_classic',
  state: 'gexbot_state',
  gex_state: 'gexbot_state',
  state_gex: 'gexbot_state',
  greek: 'gexbot_state_greek',
  greeks: 'gexbot_state_greek',
  state_greek: 'gexbot_state_greek',
  majors: 'gexbot_majors',
  major: 'gexbot_majors',
  maxchange: 'gexbot_maxchange',
  max_change: 'gexbot_maxchange',
  orderflow: 'gexbot_orderflow',
  order_flow: 'gexbot_orderflow',
  chain: 'option_chain',
  option_chain: 'option_chain',
  optionchain: 'option_chain',
  ...Object.fromEntries(SNAPSHOT_KINDS.map((k) => [k, k])),
};

const GREEKS = ['gamma', 'delta', 'vanna', 'charm'];
const EXPIRIES = ['zero', 'one', 'full'];

/** GEXBot categories: full / zero / one (classic and state GEX), gex_*, and the greek profiles gamma_zero, delta_one, ... */
const CATEGORIES: ReadonlySet<string> = new Set([
  ...EXPIRIES,
  ...EXPIRIES.map((e) => `gex_${e}`),
  ...GREEKS.flatMap((g) => EXPIRIES.map((e) => `${g}_${e}`)),
]);

const isGreekCategory = (c: string): boolean => GREEKS.some((g) => c.startsWith(`${g}_`));

const normalise = (s: string): string => s.trim().toLowerCase().replace(/[-\s]+/g, '_');

export interface ShapeHint {
  /** The shape the hint names; null means "detect it from the payload". */
  readonly kind: SnapshotKind | null;
  readonly category: string | null;
}

const CATEGORY_PATTERN = /^[a-z0-9_]{1,32}$/;

/**
 * Reads `kind` and `category` hints. `kind` may be a kind, an alias ("classic", "state", "chain"), a category
 * ("zero", "gamma_zero") or both ("classic_gex_zero", "state/gamma_zero", the vendor's file-name form).
 */
export const resolveHint = (kindHint: string | undefined, categoryHint: string | undefined): ShapeHint | PathError => {
  let kind: SnapshotKind | null = null;
  let category: string | null = null;
  if (kindHint !== undefined && kindHint.trim() !== '') {
    const k = normalise(kindHint).replace(/[/:]+/g, '_');
    const alias = ALIASES[k];
    if (alias !== undefined) kind = alias;
    else if (CATEGORIES.has(k)) category = k;
    else {
      const prefix = Object.keys(ALIASES)
        .filter((a) => k.startsWith(`${a}_`) && CATEGORIES.has(k.slice(a.length + 1)))
        .sort((a, b) => b.length - a.length)[0];
      if (prefix === undefined) {
        return {
          path: 'meta.kind',
          message: `expected one of ${SNAPSHOT_KINDS.join(', ')}, an alias (classic, state, greek, majors, maxchange, orderflow, chain) or a category (full, zero, one, gex_zero, gamma_zero, ...), got ${describeValue(kindHint)}`,
        };
      }
      kind = ALIASES[prefix] ?? null;
      category = k.slice(prefix.length + 1);
    }
  }
  if (categoryHint !== undefined && categoryHint.trim() !== '') {
    const c = normalise(categoryHint);
    if (!CATEGORY_PATTERN.test(c)) {
      return { path: 'meta.category', message: `expected 1-32 characters a-z, 0-9 or "_", got ${describeValue(categoryHint)}` };
    }
    category = c;
  }
  // GEXBot serves greek profiles under /state: "state" plus a greek category means the greek shape.
  if (kind === 'gexbot_state' && category !== null && isGreekCategory(category)) kind = 'gexbot_state_greek';
  return { kind, category };
};

const MAXCHANGE_KEYS = ['current', 'one', 'five', 'ten', 'fifteen', 'thirty'];
const CLASSIC_ONLY_KEYS = ['sum_gex_vol', 'sum_gex_oi', 'zero_gamma', 'major_pos_vol', 'major_neg_vol', 'max_priors', 'delta_risk_reversal'];

const STATE_ZERO_KEYS = ['major_pos_oi', 'major_neg_oi', 'sum_gex_oi', 'zero_gamma'];

/**
 * A GEXBot state profile by its content: it is volume-only, so the vendor sends 0 for every OI field, for zero gamma
 * and in every strike's OI column ([strike, gex_vol, gex_oi, priors]). A classic profile always has some OI, so
 * these zeros mean "not applicable", never data.
 */
export const looksLikeStateProfile = (o: Readonly<Record<string, unknown>>, strikes: readonly unknown[]): boolean =>
  strikes.length > 0 && STATE_ZERO_KEYS.every((k) => o[k] === 0) && strikes.every((r) => Array.isArray(r) && r[2] === 0);

/**
 * Tells the shape from the payload's keys. State GEX profiles have the classic shape: they are told apart by a hint
 * or by their content (looksLikeStateProfile); any other classic-looking payload is classic.
 */
export const detectKind = (o: Readonly<Record<string, unknown>>): SnapshotKind | PathError => {
  if ('mini_contracts' in o) return 'gexbot_state_greek';
  if ('strikes' in o) {
    const strikes = o['strikes'];
    if (Array.isArray(strikes) && strikes.length > 0) {
      const first: unknown = strikes[0];
      if (Array.isArray(first)) return looksLikeStateProfile(o, strikes) ? 'gexbot_state' : 'gexbot_classic';
      if (typeof first === 'object' && first !== null) return 'option_chain';
    }
    if ('market_symbol' in o) return 'option_chain';
    return CLASSIC_ONLY_KEYS.some((k) => k in o) || !('ticker' in o) ? 'gexbot_classic' : 'option_chain';
  }
  if ('mpos_vol' in o || 'mneg_vol' in o || 'mpos_oi' in o || 'mneg_oi' in o) return 'gexbot_majors';
  if (MAXCHANGE_KEYS.filter((k) => k in o).length >= 2) return 'gexbot_maxchange';
  const numeric = Object.keys(o).filter((k) => k !== 'timestamp' && k !== 'ticker' && k !== 'spot' && typeof o[k] === 'number');
  if ('ticker' in o && 'timestamp' in o && numeric.length > 0) return 'gexbot_orderflow';
  return {
    path: '$',
    message:
      'expected a snapshot of a known shape (strikes, mini_contracts, mpos_*/mneg_*, current..thirty, or numeric orderflow fields), got none of them; pass a kind hint',
  };
};
