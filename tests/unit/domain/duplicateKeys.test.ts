// A key named twice in one JSON object is refused with its path (JSON.parse would silently keep the last value).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { duplicateKeyIssue, locateDuplicateKey, parseJsonText } from '../../../src/domain/jsonText.js';

const issue = (text: string): string | null => {
  const r = parseJsonText(text);
  return r._tag === 'Left' ? (r.left[0]?.path ?? null) : null;
};

const test = suite('duplicate keys');

test('found wherever they are, located by path', () => {
  assert.is(issue('{"a":1,"a":2}'), 'a');
  assert.is(issue('{"a":1,"b":{"c":[1,{"d":1,"e":2,"d":3}]}}'), 'b.c[1].d');
  assert.is(issue('{"x":[{"a":1},{"b":2,"b":3}]}'), 'x[1].b');
  assert.is(issue('{"a" : 1,\n  "a"\t:2}'), 'a', 'whitespace before the colon');
  assert.is(issue('{"k\\"":1,"k\\"":2}'), 'k"');
});

test('no false alarms: equal keys in different objects, colons and quotes inside strings, ISO times', () => {
  assert.is(issue('[{"a":1},{"a":1}]'), null);
  assert.is(issue('{"s":"x\\":y","a":1}'), null);
  assert.is(issue('{"t":"2026-04-29T16:00:00-04:00","u":"a:b:c","a":{"t":1}}'), null);
  assert.is(issue('{}'), null);
  assert.is(issue('[1,2,3]'), null);
});

test('hostile nesting does not overflow the stack', () => {
  const deep = `{"a":${'['.repeat(50_000)}{"b":1,"b":2}${']'.repeat(50_000)}}`;
  const parsed: unknown = JSON.parse(deep);
  assert.is(duplicateKeyIssue(deep, parsed)?.message.startsWith('duplicate key "b"'), true);
  const fine = `{"a":${'['.repeat(50_000)}{"b":1}${']'.repeat(50_000)}}`;
  assert.is(duplicateKeyIssue(fine, JSON.parse(fine)), null);
  assert.is(locateDuplicateKey('{"a":1}'), null);
});

test.run();
