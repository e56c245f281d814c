// Stored positions against the partitions' bounds: past the end (recreated topic) and below the log start (retention).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeOffsetGap, findOffsetGaps } from '../../../src/domain/offsetGaps.js';

const T = 'gex.snapshots.processed.v2';

test('positions inside the log are no gap, at the end included', () => {
  assert.equal(findOffsetGaps([{ topic: T, partition: 0, next: 10 }, { topic: T, partition: 1, next: 5 }], [{ topic: T, partition: 0, low: 0, high: 10 }, { topic: T, partition: 1, low: 5, high: 9 }], [T]), []);
});

test('past the end: resume at the log start, the gap is what the position claimed beyond it', () => {
  const [g, ...rest] = findOffsetGaps([{ topic: T, partition: 0, next: 5000 }], [{ topic: T, partition: 0, low: 0, high: 120 }], [T]);
  assert.equal(rest, []);
  assert.equal(g, { topic: T, partition: 0, kind: 'ahead', stored: 5000, low: 0, high: 120, resumeAt: 0, size: 5000 });
  assert.match(describeOffsetGap(g!), 'past the partition\'s end 120');
});

test('below the log start after retention: the deleted records are the gap', () => {
  const [g] = findOffsetGaps([{ topic: T, partition: 2, next: 100 }], [{ topic: T, partition: 2, low: 400, high: 900 }], [T]);
  assert.equal(g, { topic: T, partition: 2, kind: 'behind', stored: 100, low: 400, high: 900, resumeAt: 400, size: 300 });
  assert.match(describeOffsetGap(g!), 'retention deleted 300');
});

test('a partition that no longer exists is past its end; other topics are not judged', () => {
  const gaps = findOffsetGaps([{ topic: T, partition: 5, next: 7 }, { topic: 'other', partition: 0, next: 99 }], [{ topic: T, partition: 0, low: 0, high: 3 }], [T]);
  assert.equal(gaps.map((g) => [g.partition, g.kind, g.size]), [[5, 'ahead', 7]]);
});

test.run();
