// Bad input is rejected with every error located by its exact path (`strikes[3][1]: expected number, got "abc"`).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRaw, decodeValue } from '../../../src/domain/decode.js';
import { formatPathError } from '../../../src/domain/errors.js';
import { locateJsonSyntaxError } from '../../../src/domain/jsonText.js';
import { OPTS, bytes, expectLeft, fixture } from './support.js';
import { CASES, RT, type Case } from './malformedCases.js';


const run = (c: Case) => {
  const meta = c.meta ?? RT;
  if ('text' in c.input) return decodeRaw(bytes(c.input.text), meta, OPTS);
  if ('raw' in c.input) return decodeRaw(c.input.raw, meta, OPTS);
  return decodeValue(c.input.value, meta, OPTS);
};

const Malformed = suite('malformed payloads');

Malformed('the table is large enough to mean something', () => {
  assert.ok(CASES.length >= 40, `${CASES.length} cases`);
  assert.is(new Set(CASES.map((c) => c.name)).size, CASES.length, 'case names are unique');
});

for (const c of CASES) {
  Malformed(c.name, () => {
    const errors = expectLeft(run(c));
    assert.equal(errors.map(formatPathError), [...c.expected]);
    // The path is a field of its own, not only a prefix of the text.
    assert.equal(
      errors.map((e) => e.path),
      c.expected.map((e) => e.slice(0, e.indexOf(': '))),
    );
  });
}

Malformed.run();

const Bounds = suite('error reporting bounds');

Bounds('every bad row is reported up to the limit, then one summary line', () => {
  const f = fixture();
  f['strikes'] = Array.from({ length: 200 }, (_, i) => [7000 + i, 'bad', 1, []]);
  const errors = expectLeft(decodeValue(f, RT, OPTS));
  assert.is(errors.length, 51);
  assert.equal(formatPathError(errors[0] as never), 'strikes[0][1]: expected number, got "bad"');
  assert.equal(formatPathError(errors[49] as never), 'strikes[49][1]: expected number, got "bad"');
  assert.equal(formatPathError(errors[50] as never), '$: more errors not shown (only the first 50 are reported)');
});

Bounds('limits can be tightened per call', () => {
  const errors = expectLeft(decodeValue(fixture(), RT, { ...OPTS, limits: { maxStrikes: 3 } }));
  assert.equal(errors.map(formatPathError), ['strikes: expected at most 3 strikes, got 4']);
});

Bounds('JSON error location survives hostile nesting without recursion', () => {
  const text = '['.repeat(200_000);
  const e = locateJsonSyntaxError(text);
  assert.equal([e.position, e.line, e.reason], [200_000, 1, 'unexpected end of input (200000 unclosed brackets)']);
});

Bounds.run();
