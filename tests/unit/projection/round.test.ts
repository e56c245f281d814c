// A round's write: the strike columns hold exactly the wide rows of the pure fold (every column, NULLs and priors), the
// small tables merge as a batch does, and a request processed twice in one round keeps only its later strikes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyRows, batchRows, emptyContents, foldEvents, type ProjectedEvent } from '../../../src/domain/projection/projection.js';
import { roundWrite } from '../../../src/domain/projection/round.js';
import { strikeRowsOf } from '../../../src/domain/projection/rows.js';
import { CHUNK_ROWS, chunkRows, snapKey, STRIKE_DOUBLES } from '../../../src/domain/projection/strikeColumns.js';
import { TABLE_NAMES } from '../../../src/domain/projection/tables.js';
import { blankStrike } from '../../../src/domain/snapshot.js';
import { job, processed, snapshot } from './fixtures.js';

const wideToStored = (rows: ReturnType<typeof strikeRowsOf>) =>
  rows.map((r) => ({ snap: snapKey(r['src_partition'] as number, r['src_offset'] as number), ...Object.fromEntries(STRIKE_DOUBLES.map((c) => [c, r[c] ?? null])), priors: r['priors'] }));

test('strike columns hold the wide rows of every strike, column by column, NULLs and priors included', () => {
  // every DOUBLE column gets a distinct value on one strike and NULL on another
  const full = { ...blankStrike(6000), priors: [1.5, -2] } as Record<string, unknown>;
  STRIKE_DOUBLES.forEach((c, j) => {
    if (c !== 'strike') full[c] = j + 0.5;
  });
  const snap = { ...snapshot(), strikes: [full as never, { ...blankStrike(6005), priors: [] }, ...snapshot().strikes] };
  const p = { ...processed('req-1'), snapshot: snap };
  const at = { partition: 2, offset: 77 };
  const w = roundWrite([{ kind: 'processed', value: p, at }]);
  assert.is(w.strikeRows, 5);
  assert.equal(w.strikes.flatMap(chunkRows), wideToStored(strikeRowsOf(p, at)));
  assert.is(w.rows.gex_strikes.length, 0, 'strikes travel as columns only');
  assert.is(w.rows.gex_snapshots[0]?.['src_offset'], 77);
});

test('more strikes than a chunk holds continue in the next chunk, priors and all', () => {
  const many = Array.from({ length: CHUNK_ROWS + 10 }, (_, i) => ({ ...blankStrike(1000 + i), gex_vol: i % 3 === 0 ? null : i, priors: i % 5 === 0 ? [i, i + 0.5] : [] }));
  const p = { ...processed('req-big'), snapshot: { ...snapshot(), strikes: many } };
  const w = roundWrite([{ kind: 'processed', value: p, at: { partition: 0, offset: 1 } }]);
  assert.equal(w.strikes.map((c) => c.rows), [CHUNK_ROWS, 10]);
  assert.equal(w.strikes.flatMap(chunkRows), wideToStored(strikeRowsOf(p, { partition: 0, offset: 1 })));
});

test('the small tables are what the pure fold gives; a request twice in a round keeps its later strikes only', () => {
  const again = { ...processed('req-1', { processedAt: 9e12, withLineage: false }), snapshot: { ...snapshot(), strikes: snapshot().strikes.slice(0, 1) } };
  const events: ProjectedEvent[] = [
    { kind: 'processed', value: processed('req-1'), at: { partition: 0, offset: 0 } },
    { kind: 'jobs', value: job('QUEUED', 1) },
    { kind: 'processed', value: processed('req-2', { ticker: 'NDX' }), at: { partition: 1, offset: 0 } },
    { kind: 'jobs', value: job('COMPLETED', 2) },
    { kind: 'processed', value: again, at: { partition: 0, offset: 1 } },
  ];
  const w = roundWrite(events);
  const fold = batchRows(foldEvents(events));
  for (const t of TABLE_NAMES) if (t !== 'gex_strikes') assert.equal(w.rows[t], fold[t], t);
  const bySnapStrike = (rows: Array<Record<string, unknown>>) => [...rows].sort((a, b) => (a['snap'] as number) - (b['snap'] as number) || (a['strike'] as number) - (b['strike'] as number));
  assert.equal(
    bySnapStrike(w.strikes.flatMap(chunkRows)),
    bySnapStrike(wideToStored(fold.gex_strikes as never)),
    'the strikes of req-1 at offset 1 and of req-2, none of req-1 at offset 0',
  );
  assert.is(w.strikeRows, 1 + 3);
});

test('job rows are appended: the same events applied twice double them, upsert tables stay as they were', () => {
  const events: ProjectedEvent[] = [
    { kind: 'processed', value: processed('req-1'), at: { partition: 0, offset: 0 } },
    { kind: 'jobs', value: job('QUEUED', 1) },
  ];
  const once = applyRows(emptyContents(), batchRows(foldEvents(events)));
  const twice = applyRows(once, batchRows(foldEvents(events)));
  assert.is(once.processing_jobs.size, 1);
  assert.is(twice.processing_jobs.size, 2, 'exactly-once comes from the offsets stored with the rows, not from a key');
  assert.is(twice.gex_snapshots.size, 1);
  assert.is(twice.gex_strikes.size, 3);
});

test.run();
