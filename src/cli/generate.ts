// Owns `gexstream generate`: the deterministic synthetic feed, written as JSONL (or a JSON array), optionally gzipped.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import { generateSnapshots, type GeneratorOptions } from '../domain/generator.js';
import { int, num, str, UsageError, type Command } from './command.js';
import { progressLine } from './progress.js';

const write = async (out: Writable, s: string): Promise<void> => {
  if (!out.write(s)) await once(out, 'drain');
};

export const generateCommand = (): Command => ({
  name: 'generate',
  summary: 'Write a deterministic, realistic synthetic GEX feed (GEXBot classic or option-chain shape, ~100 strikes around spot).\nThe same seed always gives the same bytes. Default: one SPX trading day at 1 snapshot/s (23,400 snapshots).',
  usage: '[--out FILE] [--tickers SPX,NDX] [--day YYYY-MM-DD] [--rate N] [--count N] [--seed N] [--shape classic|chain] [--strikes N] [--array]',
  options: {
    out: { type: 'string', short: 'o' },
    tickers: { type: 'string' },
    day: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    rate: { type: 'string' },
    count: { type: 'string' },
    seed: { type: 'string' },
    shape: { type: 'string' },
    strikes: { type: 'string' },
    category: { type: 'string' },
    'bad-fraction': { type: 'string' },
    array: { type: 'boolean' },
  },
  optionHelp: {
    out: 'output file; .gz compresses (default stdout)',
    tickers: 'comma-separated tickers (default SPX)',
    day: 'trading day (default 2025-11-07)',
    start: 'ET start time HH:MM (default 09:30)',
    end: 'ET end time HH:MM (default 16:00)',
    rate: 'snapshots per second per ticker (default 1)',
    count: 'total snapshots (default: the whole session)',
    seed: 'PRNG seed (default 1)',
    shape: 'classic (GEXBot) or chain (option chain), default classic',
    strikes: 'strikes per snapshot (default 100)',
    category: 'GEXBot category zero|one|full (default zero)',
    'bad-fraction': 'share of records given a known defect, for tests (default 0)',
    array: 'write one JSON array (a vendor history file) instead of JSONL',
  },
  run: async ({ values }) => {
    const shapeArg = str(values['shape']) ?? 'classic';
    if (shapeArg !== 'classic' && shapeArg !== 'chain') throw new UsageError(`--shape: expected classic or chain, got ${JSON.stringify(shapeArg)}`);
    const category = str(values['category']);
    if (category !== undefined && !['zero', 'one', 'full'].includes(category)) throw new UsageError(`--category: expected zero, one or full`);
    const rate = num('rate', values['rate'], 1, { above: 0 });
    const bad = num('bad-fraction', values['bad-fraction'], 0, { min: 0, max: 1 });
    const opts: GeneratorOptions = {
      seed: int('seed', values['seed'], 1),
      tickers: (str(values['tickers']) ?? 'SPX').split(',').map((s) => s.trim()).filter(Boolean),
      ...(str(values['day']) ? { day: str(values['day']) as string } : {}),
      ...(str(values['start']) ? { startTime: str(values['start']) as string } : {}),
      ...(str(values['end']) ? { endTime: str(values['end']) as string } : {}),
      ratePerSecond: rate,
      ...(values['count'] !== undefined ? { count: int('count', values['count'], 0) } : {}),
      shape: shapeArg === 'chain' ? 'option_chain' : 'gexbot_classic',
      strikes: int('strikes', values['strikes'], 100),
      ...(category ? { category: category as 'zero' | 'one' | 'full' } : {}),
      badFraction: bad,
    };
    const path = str(values['out']);
    const file = path ? createWriteStream(path) : process.stdout;
    const gz = path?.endsWith('.gz') ? createGzip() : undefined;
    if (gz) gz.pipe(file);
    const out: Writable = gz ?? file;
    const bar = progressLine('generate', 'snapshots', opts.count);
    let n = 0;
    const array = values['array'] === true;
    if (array) await write(out, '[\n');
    for (const s of generateSnapshots(opts)) {
      await write(out, `${array && n > 0 ? ',\n' : ''}${JSON.stringify(s.payload)}${array ? '' : '\n'}`);
      n++;
      if ((n & 255) === 0) bar.update(n);
    }
    if (array) await write(out, '\n]\n');
    const { seconds } = bar.done();
    if (path) {
      out.end();
      await once(file, 'finish');
      process.stderr.write(`wrote ${n.toLocaleString('en-US')} snapshots to ${path} in ${seconds.toFixed(1)} s\n`);
    }
    return 0;
  },
});
