// Owns `gexstream validate FILE...`: offline decoding and validation, no Kafka.
import { DataType } from '../domain/snapshot.js';
import { toIsoJson } from '../domain/isoJson.js';
import { validateFile } from '../pipelines/validateFiles.js';
import { str, UsageError, type Command } from './command.js';

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

export const validateCommand = (): Command => ({
  name: 'validate',
  summary: 'Decode and validate snapshot files offline (JSON object, JSON array, JSONL; optionally .gz).\nPrints per file how many snapshots are valid and every error with file, line, index and field path; exit 0 only if all are valid.',
  usage: 'FILE... [--json] [--kind KIND] [--category C] [--data-type T] [--max-skew SECONDS] [--now ISO]',
  options: {
    json: { type: 'boolean' },
    kind: { type: 'string' },
    category: { type: 'string' },
    'data-type': { type: 'string' },
    'max-skew': { type: 'string' },
    now: { type: 'string' },
    'max-bytes': { type: 'string' },
  },
  optionHelp: {
    json: 'print each valid canonical snapshot as one JSON line (ISO-8601 timestamp) on stdout',
    kind: 'input shape (classic, state, greek, majors, maxchange, orderflow, chain); detected when absent',
    category: 'vendor category, e.g. full, zero, one',
    'data-type': 'real_time | historical | snapshot (default historical)',
    'max-skew': 'how far in the future a timestamp may be, seconds (default 5)',
    now: 'the time to validate against (default: the clock)',
    'max-bytes': 'largest accepted snapshot in bytes (default 8388608)',
  },
  run: async ({ values, positionals }) => {
    if (positionals.length === 0) throw new UsageError('validate: name at least one FILE');
    const skew = Number(str(values['max-skew']) ?? '5');
    if (!Number.isFinite(skew) || skew < 0) throw new UsageError(`--max-skew: expected seconds >= 0, got ${JSON.stringify(values['max-skew'])}`);
    const maxBytes = Number(str(values['max-bytes']) ?? String(8 * 1024 * 1024));
    const opts = { nowMs: parseNow(values['now']), maxSkewMs: skew * 1000, maxBytes };
    const meta = { kind: str(values['kind']), category: str(values['category']), dataType: parseDataType(values['data-type'], 'historical') };
    const json = values['json'] === true;
    const report = (s: string): void => void (json ? process.stderr : process.stdout).write(`${s}\n`);
    let bad = 0;
    for (const file of positionals) {
      let r;
      try {
        r = await validateFile(file, meta, opts, json ? (s) => void process.stdout.write(`${JSON.stringify(toIsoJson(s))}\n`) : undefined);
      } catch (err) {
        report(`${file}: cannot read: ${(err as Error).message}`);
        bad++;
        continue;
      }
      report(`${file}: ${r.valid} valid, ${r.invalid} invalid (${r.format})`);
      for (const e of r.errors) for (const p of e.errors) report(`  ${file}:${e.line} [${e.index}] ${p.path}: ${p.message}`);
      bad += r.invalid;
    }
    return bad === 0 ? 0 : 1;
  },
});
