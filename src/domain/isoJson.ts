// Owns the human-facing JSON form of a canonical snapshot (`validate --json`): every canonical field plus an ISO-8601 time.
import type { CanonicalSnapshot } from './snapshot.js';

export type IsoJsonSnapshot = { timestamp: string } & CanonicalSnapshot;

/** The snapshot with an ISO-8601 UTC `timestamp` (from timestamp_ms) as its first field. */
export const toIsoJson = (s: CanonicalSnapshot): IsoJsonSnapshot => ({ timestamp: new Date(s.timestamp_ms).toISOString(), ...s });
