// Owns the size limits a single snapshot must respect, with their defaults.

export interface DecodeLimits {
  /** Strike rows (or mini_contracts) per snapshot. */
  readonly maxStrikes: number;
  /** Prior values per strike row. */
  readonly maxPriors: number;
  /** Nesting depth of unknown fields kept in extras_json. */
  readonly maxDepth: number;
  /** Errors reported per payload; the rest are summarised in one line. */
  readonly maxErrors: number;
}

export const DEFAULT_LIMITS: DecodeLimits = {
  maxStrikes: 5000,
  maxPriors: 64,
  maxDepth: 32,
  maxErrors: 50,
};
