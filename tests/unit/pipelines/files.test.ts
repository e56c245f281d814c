// Input files are read within bounds: a gzip bomb is refused before it fills memory, and a file of millions of bad
// records reports a bounded list with a summary.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FileInputError, publishFiles, readFileBytes } from '../../../src/pipelines/publish.js';
import { validateFile } from '../../../src/pipelines/validateFiles.js';
import { fixtureText, NOW_MS } from '../domain/support.js';
import { loadTopology } from '../../../src/resources.js';

const dir = mkdtempSync(join(tmpdir(), 'gex-files-'));
const opts = { nowMs: NOW_MS, maxSkewMs: 5_000, maxBytes: 1024 * 1024 };
const meta = { dataType: 'historical' as const };

const test = suite('files: bounded reading');

test('a 1 MB .gz that inflates to 1 GiB is refused with a clear error, without inflating it (peak RSS grows far less than 1 GiB)', async () => {
  // 1024 gzip members of 1 MiB of spaces each: a valid gzip file (members concatenate) of about 1 MB
  const member = gzipSync(Buffer.alloc(1024 * 1024, 0x20), { level: 9 });
  const bomb = join(dir, 'bomb.json.gz');
  writeFileSync(bomb, Buffer.concat(Array.from({ length: 1024 }, () => member)));
  const before = process.resourceUsage().maxRSS * 1024;
  let err: unknown;
  try {
    await readFileBytes(bomb);
  } catch (e) {
    err = e;
  }
  const grew = process.resourceUsage().maxRSS * 1024 - before;
  assert.instance(err, FileInputError);
  assert.match((err as Error).message, /inflates to more than the 536870912-byte limit/);
  assert.ok(grew < 768 * 1024 * 1024, `peak RSS grew by ${Math.round(grew / 1048576)} MiB`);
});

test('the limit applies to plain files and can be lowered', async () => {
  const plain = join(dir, 'plain.json');
  writeFileSync(plain, fixtureText());
  await assert.not.throws(async () => void (await readFileBytes(plain)));
  try {
    await readFileBytes(plain, { maxBytes: 100 });
    assert.unreachable('expected a refusal');
  } catch (e) {
    assert.match((e as Error).message, /over the 100-byte limit of one input file/);
  }
  const gz = join(dir, 'small.json.gz');
  const packed = gzipSync(Buffer.from(fixtureText()));
  writeFileSync(gz, packed);
  try {
    await readFileBytes(gz, { maxBytes: packed.length + 1 });
    assert.unreachable('expected a refusal');
  } catch (e) {
    assert.match((e as Error).message, `inflates to more than the ${packed.length + 1}-byte limit`);
  }
});

test('a BOM-prefixed history array validates (it used to be rejected whole)', async () => {
  const f = join(dir, 'bom.json');
  writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`[${fixtureText()},${fixtureText()}]`)]));
  const r = await validateFile(f, meta, opts);
  assert.equal([r.format, r.valid, r.invalid], ['array', 2, 0]);
});

test('jq-style concatenated pretty-printed snapshots validate as objects, with no bogus line errors', async () => {
  const f = join(dir, 'jq.json');
  const pretty = JSON.stringify(JSON.parse(fixtureText()), null, 2);
  writeFileSync(f, `${pretty}\n${pretty}\n${pretty}\n`);
  const r = await validateFile(f, meta, opts);
  assert.equal([r.format, r.valid, r.invalid, r.errors], ['concatenated', 3, 0, []]);
});

test('validate waits for a held-back writer: the next record only after the promise onValid returned (a slow `--json` reader)', async () => {
  const f = join(dir, 'held.jsonl');
  writeFileSync(f, `${fixtureText()}\n${fixtureText()}\n${fixtureText()}\n`);
  const events: string[] = [];
  const releases: Array<() => void> = [];
  const done = validateFile(f, meta, opts, (_s, i) => {
    events.push(`write ${i}`);
    return new Promise<void>((resolve) => releases.push(() => (events.push(`drained ${i}`), resolve())));
  }).then((r) => (events.push('report'), r));
  // the reader takes each record only when the test says so: nothing moves until then
  for (let i = 0; i < 3; i++) {
    // the file is read on the thread pool: on a loaded machine that takes a while, so wait for the offer, not for N turns
    for (const deadline = Date.now() + 30_000; releases.length <= i; ) {
      if (Date.now() > deadline) assert.unreachable(`record ${i} was never offered`);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(events.at(-1), `write ${i}`, 'no record before the previous one drained, and no report');
    releases[i]?.();
  }
  const r = await done;
  assert.equal(events, ['write 0', 'drained 0', 'write 1', 'drained 1', 'write 2', 'drained 2', 'report']);
  assert.is(r.valid, 3);
});

test('100,000 invalid records: the first 1000 listed, then one summary entry with the count and the top reasons', async () => {
  const f = join(dir, 'bad.jsonl');
  writeFileSync(f, `${'{"ticker":"SPX","timestamp":"soon","strikes":[[1,2,3,[]]]}\n'.repeat(100_000)}`);
  const r = await validateFile(f, meta, opts);
  assert.is(r.invalid, 100_000);
  assert.is(r.errors.length, 1001);
  assert.is(r.notListed, 99_000);
  const last = r.errors[1000];
  assert.equal([last?.index, last?.line], [1000, 1001]);
  assert.match(last?.errors[0]?.message ?? '', /^99000 more invalid records from here on are not listed \(only the first 1000 are\); most frequent reasons in the file: 100000 x timestamp: expected epoch seconds/);
  assert.equal(r.topReasons[0], { reason: 'timestamp: expected epoch seconds, epoch milliseconds or an ISO-8601 time with a zone', count: 100_000 });
});

test('publish refuses headers the prioritizer would dead-letter (a 300-character source) before sending anything', async () => {
  const f = join(dir, 'one.json');
  writeFileSync(f, fixtureText());
  let sends = 0;
  const producer = { send: async () => void sends++, close: async () => undefined };
  try {
    await publishFiles([f], { producer, encodeDeadLetter: () => Buffer.alloc(0) }, { source: 's'.repeat(300), dataType: 'historical', topology: loadTopology() });
    assert.unreachable('expected a refusal');
  } catch (e) {
    assert.match((e as Error).message, 'headers.gex-source: expected at most 256 characters, got 300');
  }
  assert.is(sends, 0);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
