// Owns progress display for long CLI work: a live line with rates on a terminal, nothing but the summary otherwise.
import { performance } from 'node:perf_hooks';

export interface ProgressLine {
  readonly update: (count: number, extra?: string) => void;
  readonly done: () => { seconds: number };
}

export const progressLine = (label: string, unit = 'snapshots', total?: number, stream: NodeJS.WriteStream = process.stderr): ProgressLine => {
  const t0 = performance.now();
  const tty = stream.isTTY === true;
  let last = 0;
  const render = (count: number, extra = ''): void => {
    const s = (performance.now() - t0) / 1000;
    const rate = s > 0 ? count / s : 0;
    let bar = '';
    if (total !== undefined && total > 0) {
      const f = Math.min(1, count / total);
      const w = 24;
      bar = `[${'#'.repeat(Math.round(f * w)).padEnd(w, '.')}] ${(f * 100).toFixed(0).padStart(3)}% `;
    }
    stream.write(`\r\x1b[2K${label} ${bar}${count.toLocaleString('en-US')} ${unit}  ${Math.round(rate).toLocaleString('en-US')} ${unit}/s  ${s.toFixed(1)} s${extra ? `  ${extra}` : ''}`);
  };
  return {
    update: (count, extra) => {
      if (!tty) return;
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      render(count, extra);
    },
    done: () => {
      if (tty) stream.write('\r\x1b[2K');
      return { seconds: (performance.now() - t0) / 1000 };
    },
  };
};
