// Replay's stopping rule per partition: at the end offset taken at start, or at the first message after --until.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cutAtEnd } from '../../../src/domain/projection/replayEnd.js';

const msg = (offset: number, timestamp: number) => ({ topic: 't', partition: 0, offset, key: null, value: Buffer.from('x'), headers: {}, timestamp });
const batch = [msg(10, 100), msg(11, 200), msg(13, 300)];

test('stops before the end offset, and is done when the end is reached', () => {
  assert.equal(cutAtEnd(batch, 12, undefined).keep.map((m) => m.offset), [10, 11]);
  assert.is(cutAtEnd(batch, 12, undefined).done, true);
  assert.equal(cutAtEnd(batch, 14, undefined), { keep: batch, done: true });
  assert.equal(cutAtEnd(batch, 20, undefined), { keep: batch, done: false });
});

test('--until keeps messages appended at or before the instant', () => {
  assert.equal(cutAtEnd(batch, 20, 200).keep.map((m) => m.offset), [10, 11]);
  assert.is(cutAtEnd(batch, 20, 200).done, true);
  assert.equal(cutAtEnd(batch, 20, 50).keep, []);
  assert.equal(cutAtEnd(batch, undefined, 1000), { keep: batch, done: false });
});

test.run();
