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

test('content after a JSON array is a problem with its bytes, never dropped', () => {
  const r = splitRecords(b('[{"ticker":"A"}]\n[{"ticker":"B"}]\n'));
  assert.equal(r.records.map((x) => x.bytes.toString()), ['{"ticker":"A"}']);
  assert.equal(r.problems.map((p) => [p.line, p.message, p.bytes.toString()]), [[2, 'unexpected content after the end of the JSON array (one array per file)', '[{"ticker":"B"}]\n']]);
});

test('a UTF-8 byte-order mark is skipped before format detection; the records exclude it', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const arr = splitRecords(Buffer.concat([bom, b('[{"ticker":"A"},\n{"ticker":"B"}]')]));
  assert.is(arr.format, 'array');
  assert.equal(arr.records.map((x) => x.bytes.toString()), ['{"ticker":"A"}', '{"ticker":"B"}']);
  assert.equal(arr.problems, []);
  const one = splitRecords(Buffer.concat([bom, b('{"ticker":"A"}')]));
  assert.equal([one.format, one.records[0]?.bytes.toString()], ['json', '{"ticker":"A"}']);
  const lines = splitRecords(Buffer.concat([bom, b('{"ticker":"A"}\n{"ticker":"B"}\n')]));
  assert.equal([lines.format, lines.records.map((x) => x.bytes.toString())], ['jsonl', ['{"ticker":"A"}', '{"ticker":"B"}']]);
});

test('UTF-16 text is one problem saying so, not thousands of bogus errors', () => {
  const r = splitRecords(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('[{"a":1}]', 'utf16le')]));
  assert.is(r.records.length, 0);
  assert.match(r.problems[0]?.message ?? '', 'UTF-16');
});

test("concatenated pretty-printed JSON (jq's default output) is read value by value, not line by line", () => {
  const a = JSON.stringify({ ticker: 'A', strikes: [[1, 2, 3, []]], note: 'x } { y' }, null, 2);
  const c = JSON.stringify({ ticker: 'C' }, null, 2);
  const r = splitRecords(b(`${a}\n${a.replace('"A"', '"B"')}\n\n${c}\n`));
  assert.is(r.format, 'concatenated');
  assert.equal(r.records.map((x) => JSON.parse(x.bytes.toString()).ticker), ['A', 'B', 'C']);
  const n = a.split('\n').length;
  assert.equal(r.records.map((x) => x.line), [1, n + 1, 2 * n + 2]);
  assert.equal(r.problems, []);
  assert.is(detectFormat(b('{"a":1}\n{"a":2}')), 'jsonl', 'one value per line stays JSONL');
});

test('concatenated JSON: junk between values is one problem; a truncated last value is a problem with its bytes', () => {
  const r = splitRecords(b('{\n "ticker": "A"\n}\ngarbage here\n{\n "ticker": "B"\n}\n{\n "ticker": "C"'));
  assert.equal(r.records.map((x) => JSON.parse(x.bytes.toString()).ticker), ['A', 'B']);
  assert.equal(r.problems.map((p) => [p.line, p.message]), [[4, 'expected a JSON object, got "garbage here\\n"'], [8, 'the file ends inside this JSON value (truncated file?)']]);
  assert.is(r.problems[1]?.bytes.toString(), '{\n "ticker": "C"');
});

test.run();
