// Splitting files into records byte for byte: JSON object, JSON array (history files), JSONL; malformed stretches kept.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { detectFormat, peekTicker, splitRecords } from '../../../src/domain/records.js';

const test = suite('records');
const b = (s: string) => Buffer.from(s);

test('one object is one record, exact bytes', () => {
  const r = splitRecords(b('  {"ticker":"SPX","strikes":[[1,2,3,[]]]}\n'));
  assert.is(r.format, 'json');
  assert.is(r.records.length, 1);
  assert.is(r.records[0]?.bytes.toString().trim(), '{"ticker":"SPX","strikes":[[1,2,3,[]]]}');
});

test('an array splits into its elements byte for byte, strings with brackets and escapes included', () => {
  const text = '[\n {"ticker":"SPX","note":"a ] } [ \\" tricky"},\n {"ticker":"NDX","x":[1,[2,3]]}\n]\n';
  const r = splitRecords(b(text));
  assert.is(r.format, 'array');
  assert.equal(r.records.map((x) => x.bytes.toString()), ['{"ticker":"SPX","note":"a ] } [ \\" tricky"}', '{"ticker":"NDX","x":[1,[2,3]]}']);
  assert.equal(r.records.map((x) => x.line), [2, 3]);
  assert.equal(r.records.map((x) => JSON.parse(x.bytes.toString()).ticker), ['SPX', 'NDX']);
  assert.equal(r.problems, []);
});

test('JSONL splits by line; blank lines skipped; a broken line is still a record (its decoder reports it)', () => {
  const r = splitRecords(b('{"ticker":"A"}\n\n{"ticker":"B"\n{"ticker":"C"}\n'));
  assert.is(r.format, 'jsonl');
  assert.equal(r.records.map((x) => x.bytes.toString()), ['{"ticker":"A"}', '{"ticker":"B"', '{"ticker":"C"}']);
  assert.equal(r.records.map((x) => x.line), [1, 3, 4]);
  assert.equal(r.records.map((x) => x.index), [0, 1, 2]);
});

test('a truncated array keeps the good elements and the broken tail as a problem with its bytes', () => {
  const r = splitRecords(b('[{"ticker":"A"},{"ticker":"B"},{"ticker":"C","strikes":[[1,2'));
  assert.equal(r.records.map((x) => x.bytes.toString()), ['{"ticker":"A"}', '{"ticker":"B"}']);
  assert.is(r.problems.length, 1);
  assert.match(r.problems[0]?.message ?? '', 'truncated');
  assert.is(r.problems[0]?.bytes.toString(), '{"ticker":"C","strikes":[[1,2');
});

test('format detection and ticker peeking', () => {
  assert.is(detectFormat(b('[]')), 'array');
  assert.is(detectFormat(b('{"a":1}')), 'json');
  assert.is(detectFormat(b('{"a":1}\n{"a":2}')), 'jsonl');
  assert.is(peekTicker(b('{"timestamp":1,"ticker":"NQ_NDX"}')), 'NQ_NDX');
  assert.is(peekTicker(b('{"market_symbol" : "QQQ"}')), 'QQQ');
  assert.is(peekTicker(b('{"x":1}')), undefined);
  const far = `{"pad":"${'x'.repeat(5000)}","ticker":"SPY"}`;
  assert.is(peekTicker(b(far)), 'SPY');
});

test.run();
