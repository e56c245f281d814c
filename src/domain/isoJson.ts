// Owns the human-facing JSON form of a canonical snapshot (`validate --json`): every canonical field plus an ISO-8601 time.
import type { CanonicalSnapshot, Strike } from './snapshot.js';
import { strikeRows } from './strikeColumns.js';

export type IsoJsonSnapshot = { timestamp: string } & Omit<CanonicalSnapshot, 'strikes'> & { strikes: Strike[] };

/** The snapshot with an ISO-8601 UTC `timestamp` (from timestamp_ms) as its first field, strikes as rows (a person reads it). */
export const toIsoJson = (s: CanonicalSnapshot): IsoJsonSnapshot => ({ timestamp: new Date(s.timestamp_ms).toISOString(), ...s, strikes: strikeRows(s.strikes) });
