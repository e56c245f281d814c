// Owns seeded randomness: a small, fast PRNG (mulberry32) and the draws the generator needs. Same seed, same numbers.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export const createRng = (seed: number): Rng => {
  const next = mulberry32(seed);
  let spare: number | null = null;
  return {
    next,
    normal: () => {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      let u = next();
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int: (n) => Math.floor(next() * n),
  };
};

/** A 32-bit hash of integers and strings, for per-key streams and per-strike noise that do not depend on draw order. */
export const hash32 = (...parts: ReadonlyArray<number | string>): number => {
  let h = 0x811c9dc5;
  const mix = (x: number): void => {
    h = Math.imul(h ^ x, 0x01000193) >>> 0;
  };
  for (const p of parts) {
    if (typeof p === 'string') for (let i = 0; i < p.length; i++) mix(p.charCodeAt(i));
    else {
      const x = Math.round(p * 1000);
      mix(x & 0xffff);
      mix((x >>> 16) & 0xffff);
      mix(Math.floor(x / 4294967296) & 0xffff);
    }
    mix(0xff);
  }
  // Final avalanche (murmur3 fmix32).
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
};

/** Uniform in [0, 1) from a hash. */
export const hashUnit = (...parts: ReadonlyArray<number | string>): number => hash32(...parts) / 4294967296;
