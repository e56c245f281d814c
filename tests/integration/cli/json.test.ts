// `--json` on the operator commands, on the real binary against the real broker and registry: each prints JSON a
// machine can read (one document, or one object per line for lists) and nothing else on stdout.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LEVELS } from '../../../src/domain/priority/level.js';
import { loadTopicSpecs, loadTopology } from '../../../src/resources.js';
import { packageRoot } from '../../../src/stack/paths.js';

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(packageRoot, 'bin', 'gexstream.js'), ...args], { cwd: packageRoot, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, lines: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), stderr: r.stderr };
};
const declared = loadTopicSpecs();

test('topics list --json: one object per declared topic', () => {
  const r = cli('topics', 'list', '--json');
  assert.equal(r.lines.map((l) => (l['declared'] as { name: string }).name), declared.map((s) => s.name));
  for (const l of r.lines) assert.type(l['inSync'], 'boolean');
});

test('topics apply --dry-run --json: one document with the plan', () => {
  const r = cli('topics', 'apply', '--dry-run', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.is(r.lines.length, 1);
  const doc = r.lines[0] as { dry_run: boolean; declared: number; brokers: number; actions: unknown[]; changes: string[] };
  assert.is(doc.dry_run, true);
  assert.is(doc.declared, declared.length);
  assert.ok(doc.brokers >= 1);
  assert.is(doc.changes.length, doc.actions.length);
});

test('schemas register --json and schemas list --json: one object per subject', () => {
  const withSchema = declared.filter((s) => s.valueSchema).map((s) => `${s.name}-value`);
  const reg = cli('schemas', 'register', '--json');
  assert.is(reg.code, 0, reg.stderr);
  assert.equal(reg.lines.map((l) => l['subject']).sort(), [...withSchema].sort());
  for (const l of reg.lines) assert.ok(Number.isInteger(l['id']) && typeof l['created'] === 'boolean');
  const list = cli('schemas', 'list', '--json');
  assert.is(list.code, 0, list.stderr);
  const ids = new Map(reg.lines.map((l) => [l['subject'], l['id']]));
  for (const l of list.lines) {
    assert.is(l['registered'], true);
    assert.is(l['id'], ids.get(l['subject']));
  }
});

test('queue --json: the lag of every level', () => {
  const r = cli('queue', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.is(r.lines.length, 1);
  const doc = r.lines[0] as { levels: Record<string, { topic: string; group: string; lag: number }>; total_lag: number };
  assert.equal(Object.keys(doc.levels), [...LEVELS]);
  for (const l of LEVELS) {
    assert.is(doc.levels[l]?.topic, loadTopology().level(l));
    assert.is(doc.levels[l]?.group, `gexstream-processor-${l}`);
    assert.ok(Number.isInteger(doc.levels[l]?.lag) && (doc.levels[l]?.lag ?? -1) >= 0);
  }
  assert.is(doc.total_lag, LEVELS.reduce((a, l) => a + (doc.levels[l]?.lag ?? 0), 0));
});

test('stack status --json: one object per component', () => {
  const r = cli('stack', 'status', '--json');
  assert.equal(r.lines.map((l) => l['component']), ['kafka', 'registry']);
});

test.run();
