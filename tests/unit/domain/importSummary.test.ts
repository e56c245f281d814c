// The import summary fold: imported vs rejected per record, redrives count once, reasons grouped by stage and path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emptyImport, foldImport, summarizeImport, type ImportOutcome } from '../../../src/domain/importSummary.js';

const lin = (index: number, batch = 'b1', file = 'f.json') => ({ file, sha256: 'aa', index, batch });
const ok = (i: number, batch?: string): ImportOutcome => ({ kind: 'imported', lineage: lin(i, batch) });
const bad = (i: number, path = 'spot'): ImportOutcome => ({ kind: 'rejected', lineage: lin(i), stage: 'decode', path, reason: `${path}: wrong` });

test('counts imported and rejected records of the batch only, with the error rate', () => {
  const s = foldImport(emptyImport(), [ok(0), ok(1), bad(2), ok(3, 'other'), bad(4, 'ticker'), bad(5)], 'b1');
  const sum = summarizeImport(s, 'b1', 1000);
  assert.equal([sum.imported, sum.rejected, sum.pending], [2, 3, 995]);
  assert.is(sum.errorRate, 0.003);
  assert.equal(sum.reasons.map((r) => [r.path, r.count, r.indexes]), [['spot', 2, [2, 5]], ['ticker', 1, [4]]]);
  assert.equal(sum.files, [{ file: 'f.json', imported: 2, rejected: 3 }]);
});

test('a record rejected and later imported (a redrive) counts once, as imported; a repeat changes nothing', () => {
  let s = foldImport(emptyImport(), [bad(1)], 'b1');
  s = foldImport(s, [ok(1)], 'b1');
  const again = foldImport(s, [bad(1), ok(1)], 'b1');
  assert.is(again, s, 'no new state when nothing changes');
  const sum = summarizeImport(again, 'b1', 1);
  assert.equal([sum.imported, sum.rejected, sum.errorRate], [1, 0, 0]);
});

test.run();
