// Path rendering of io-ts errors: the input's own path, never the codec's internals.
import * as t from 'io-ts';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatErrors, pathErrors, prefixPath, renderPath } from '../../../src/domain/errors.js';

const Paths = suite('error paths');

Paths('indices render as [n], names as .name, the root as $', () => {
  assert.is(renderPath(['strikes', 3, 1]), 'strikes[3][1]');
  assert.is(renderPath(['a', 'b', '0']), 'a.b[0]');
  assert.is(renderPath([]), '$');
});

Paths('a union branch index is not part of the path', () => {
  const C = t.type({ spot: t.union([t.number, t.null]), rows: t.array(t.tuple([t.number, t.number])) });
  const r = C.decode({ spot: 'x', rows: [[1, 2], [3, 'y']] });
  assert.ok(r._tag === 'Left');
  if (r._tag === 'Left') {
    assert.equal(formatErrors(r.left), ['spot: expected number, got "x"', 'rows[1][1]: expected number, got "y"']);
    assert.equal(pathErrors(r.left).map((e) => e.path), ['spot', 'rows[1][1]']);
  }
});

Paths('prefixPath locates errors inside an element of a larger document', () => {
  assert.equal(
    prefixPath('[7]', [
      { path: '$', message: 'a' },
      { path: 'strikes[0][1]', message: 'b' },
      { path: '[2]', message: 'c' },
    ]),
    [
      { path: '[7]', message: 'a' },
      { path: '[7].strikes[0][1]', message: 'b' },
      { path: '[7][2]', message: 'c' },
    ],
  );
});

Paths.run();
