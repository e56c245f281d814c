// Raw message headers are decoded at the boundary: lenient where publishers legitimately differ, a located error otherwise.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { decodeHeaders, H, locateInHeaders, MAX_HEADER_TEXT, recordHeaders, type MessageHeaders } from '../../../src/domain/headers.js';
import { formatPathError } from '../../../src/domain/errors.js';

const ok = (h: Record<string, string>): MessageHeaders => {
  const r = decodeHeaders(h);
  if (isLeft(r)) assert.unreachable(`expected headers to decode, got ${r.left.map(formatPathError).join('; ')}`);
  return (r as { right: MessageHeaders }).right;
};
const errors = (h: Record<string, string>): string[] => {
  const r = decodeHeaders(h);
  if (isRight(r)) assert.unreachable('expected header errors');
  return (r as { left: Array<{ path: string; message: string }> }).left.map(formatPathError);
};

const test = suite('headers: decoded at the boundary');

test('no headers at all is fine: every field null', () => {
  assert.equal(ok({}), { source: null, dataType: null, kind: null, category: null, requestId: null, lineage: null, publishedAtMs: null });
});

test('published-at: integer ms kept; Python str(time.time()*1000) floored to whole ms; epoch seconds read as seconds', () => {
  assert.is(ok({ [H.publishedAt]: '1764758400123' }).publishedAtMs, 1764758400123);
  assert.is(ok({ [H.publishedAt]: '1764758400123.5' }).publishedAtMs, 1764758400123);
  assert.is(ok({ [H.publishedAt]: '1764758400.1239' }).publishedAtMs, 1764758400123);
  assert.is(ok({ [H.publishedAt]: '1.7647584001235e12' }).publishedAtMs, 1764758400123);
  assert.is(ok({ [H.publishedAt]: '' }).publishedAtMs, null, 'empty is absent');
});

test('published-at: not a plausible time is a located error', () => {
  assert.equal(errors({ [H.publishedAt]: 'now' }), ['headers.gex-published-at: expected epoch milliseconds or seconds as a decimal number, got "now"']);
  assert.equal(errors({ [H.publishedAt]: 'Infinity' }), ['headers.gex-published-at: expected epoch milliseconds or seconds as a decimal number, got "Infinity"']);
  assert.ok(errors({ [H.publishedAt]: '1e300' })[0]?.startsWith('headers.gex-published-at: expected a time from 1990-01-01 to 2100-01-01'));
  assert.ok(errors({ [H.publishedAt]: '1764758400123000' })[0]?.includes('looks like epoch microseconds'));
  assert.ok(errors({ [H.publishedAt]: '-1' })[0]?.startsWith('headers.gex-published-at: expected a time from 1990-01-01'));
});

test('lineage index: a whole number >= 0 below 2^53 in digits; 1e300, fractions, negatives and words are errors', () => {
  const lineage = { [H.lineageFile]: 'f.json', [H.lineageSha256]: 'ab'.repeat(32), [H.importBatch]: 'b1' };
  assert.equal(ok({ ...lineage, [H.lineageIndex]: '17' }).lineage, { file: 'f.json', sha256: 'ab'.repeat(32), index: 17, batch: 'b1' });
  for (const bad of ['1e300', '1.5', '-1', 'x', '9007199254740993', ' 1'])
    assert.equal(errors({ ...lineage, [H.lineageIndex]: bad }), [`headers.gex-lineage-index: expected a whole number from 0 to 9007199254740991 in decimal digits, got ${JSON.stringify(bad)}`], bad);
  assert.is(ok({ [H.lineageIndex]: '3' }).lineage, null, 'an index without file and sha256 is no lineage');
});

test('data type, request id, free text', () => {
  assert.is(ok({ [H.dataType]: 'historical' }).dataType, 'historical');
  assert.equal(errors({ [H.dataType]: 'live' }), ['headers.gex-data-type: expected real_time, historical or snapshot, got "live"']);
  assert.is(ok({ [H.requestId]: 'req-1234567' }).requestId, 'req-1234567');
  assert.is(ok({ [H.requestId]: 'x' }).requestId, null, 'an unusable request id is replaced by one derived from the position');
  assert.equal(errors({ [H.source]: 's'.repeat(MAX_HEADER_TEXT + 1) }), [`headers.gex-source: expected at most ${MAX_HEADER_TEXT} characters, got ${MAX_HEADER_TEXT + 1}`]);
  assert.equal(errors({ [H.source]: 'a\u0000b' }), ['headers.gex-source: expected text without control characters, got "a\\u0000b"']);
  assert.is(ok({ 'x-anything': '\u0000'.repeat(10_000) }).source, null, 'headers gexstream does not read are not judged');
});

test('every bad header is reported, not only the first', () => {
  assert.equal(
    errors({ [H.dataType]: 'x', [H.lineageIndex]: '1e300', [H.publishedAt]: 'y' }).map((e) => e.slice(0, e.indexOf(':'))),
    ['headers.gex-data-type', 'headers.gex-lineage-index', 'headers.gex-published-at'],
  );
});

test('hint errors found while decoding the body are located at the header that carried the hint', () => {
  assert.equal(locateInHeaders([{ path: 'meta.kind', message: 'm' }, { path: 'spot', message: 'n' }]), [{ path: 'headers.gex-kind', message: 'm' }, { path: 'spot', message: 'n' }]);
});

test('a prioritized record keeps only the headers its fields do not carry', () => {
  const published = {
    [H.source]: 'gexbot', [H.dataType]: 'historical', [H.kind]: 'classic', [H.category]: 'gex_zero', [H.requestId]: 'abcdefgh-1234',
    [H.lineageFile]: 'f.json', [H.lineageSha256]: 'ab'.repeat(32), [H.lineageIndex]: '7', [H.importBatch]: 'b1', [H.publishedAt]: '1764000000000',
    [H.contentType]: 'application/json', [H.requestedLevel]: 'critical', [H.marketEvent]: 'fomc', 'gex-redrive-of': 'dl-1', 'x-desk': 'rates',
  };
  assert.equal(recordHeaders(published, true), { [H.requestedLevel]: 'critical', [H.marketEvent]: 'fomc', 'gex-redrive-of': 'dl-1', 'x-desk': 'rates' });
  // without a lineage in the record (one of file, sha256, index missing), what lineage headers there are stay
  const partial = { [H.lineageFile]: 'f.json', [H.importBatch]: 'b1', [H.source]: 's' };
  assert.equal(recordHeaders(partial, false), { [H.lineageFile]: 'f.json', [H.importBatch]: 'b1' });
  assert.equal(recordHeaders({}, false), {});
});

test.run();
