// Owns `gexstream validate FILE...`: offline decoding and validation, no Kafka.
import { once } from 'node:events';
import { DataType, type CanonicalSnapshot } from '../domain/snapshot.js';
import { toIsoJson } from '../domain/isoJson.js';
import { validateFile } from '../pipelines/validateFiles.js';
import { num, str, UsageError, type Command } from './command.js';
import { progressLine, type ProgressLine } from './progress.js';
import { exitIfStdoutClosed } from './stdout.js';

export const parseDataType = (v: unknown, fallback: DataType): DataType => {
  const s = str(v) ?? fallback;
  if (!DataType.is(s)) throw new UsageError(`--data-type: expected real_time, historical or snapshot, got ${JSON.stringify(s)}`);
  return s;
};

export const parseNow = (v: unknown): number => {
  const s = str(v);
  if (s === undefined) return Date.now();
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw new UsageError(`--now: expected an ISO-8601 time, got ${JSON.stringify(s)}`);
  return ms;
};

/** The live progress line of `validate`: on stderr, only on a terminal, and never with --json or --quiet. */
export const validateProgress = (o: { json: boolean; quiet: boolean }, stream: NodeJS.WriteStream = process.stderr): ProgressLine | null =>
  o.json || o.quiet || stream.isTTY !== true ? null : progressLine('validate', 'records', undefined, stream);

export const validateCommand = (): Command => ({
  name: 'validate',
  summary: 'Decode and validate snapshot files offline (JSON object, JSON array, JSONL; optionally .gz).\nPrints per file how many snapshots are valid and every error with file, line, index and field path; exit 0 only if all are valid.',
  usage: 'FILE... [--json] [--quiet] [--kind KIND] [--category C] [--data-type T] [--max-skew SECONDS] [--now ISO]',
  options: {
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    kind: { type: 'string' },
    category: { type: 'string' },
    'data-type': { type: 'string' },
    'max-skew': { type: 'string' },
    now: { type: 'string' },
    'max-bytes': { type: 'string' },
  },
  optionHelp: {
    json: 'print each valid canonical snapshot as one JSON line (ISO-8601 timestamp) on stdout',
    quiet: 'no progress line (it is shown on stderr only when stderr is a terminal, and never with --json)',
    kind: 'input shape (classic, state, greek, majors, maxchange, orderflow, chain); detected when absent',
    category: 'vendor category, e.g. full, zero, one',
    'data-type': 'real_time | historical | snapshot (default historical)',
    'max-skew': 'how far in the future a timestamp may be, seconds (default 5)',
    now: 'the time to validate against (default: the clock)',
    'max-bytes': 'largest accepted snapshot in bytes (default 8388608)',
  },
  run: async ({ values, positionals }) => {
    if (positionals.length === 0) throw new UsageError('validate: name at least one FILE');
    const skew = num('max-skew', values['max-skew'], 5, { min: 0, what: 'seconds' });
    const maxBytes = num('max-bytes', values['max-bytes'], 8 * 1024 * 1024, { integer: true, above: 0, what: 'a size in bytes' });
    const opts = { nowMs: parseNow(values['now']), maxSkewMs: skew * 1000, maxBytes };
    const meta = { kind: str(values['kind']), category: str(values['category']), dataType: parseDataType(values['data-type'], 'historical') };
    const json = values['json'] === true;
    const bar = validateProgress({ json, quiet: values['quiet'] === true });
    const report = (s: string): void => {
      bar?.done();
      (json ? process.stderr : process.stdout).write(`${s}\n`);
    };
    let bad = 0;
    let seen = 0;
    for (const file of positionals) {
      let r;
      try {
        // the index of the last valid record is how far the file has got: progress without a second pass to count
        // A pipe's writes are queued in memory when the reader is slower: without waiting for 'drain' a large file
        // was held whole in RSS, and `| head` left only after every record had been written (and dropped).
        const onValid = (s: CanonicalSnapshot, index: number): Promise<void> | undefined => {
          bar?.update(seen + index + 1, file);
          if (!json) return undefined;
          const more = process.stdout.write(`${JSON.stringify(toIsoJson(s))}\n`);
          exitIfStdoutClosed();
          return more ? undefined : once(process.stdout, 'drain').then(() => undefined);
        };
        r = await validateFile(file, meta, opts, json || bar ? onValid : undefined);
      } catch (err) {
        report(`${file}: cannot read: ${(err as Error).message}`);
        bad++;
        continue;
      }
      seen += r.valid + r.invalid;
      report(`${file}: ${r.valid} valid, ${r.invalid} invalid (${r.format})`);
      for (const e of r.errors) for (const p of e.errors) report(`  ${file}:${e.line} [${e.index}] ${p.path}: ${p.message}`);
      bad += r.invalid;
    }
    return bad === 0 ? 0 : 1;
  },
});
