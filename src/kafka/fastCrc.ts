// Owns a measured speed-up of kafkajs: its pure-JS CRC32C (1.3 s of 14 s CPU for W-day through the prioritizer) is
// replaced by a native one, before kafkajs loads, and only when both agree on sample data. Import before 'kafkajs'.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import './requestQueueFix.js'; // every kafkajs user imports this module: the idle-timer fix rides along
import './fastProduce.js'; // and the one-copy produce request encoder

const require = createRequire(import.meta.url);

export const nativeCrc = ((): boolean => {
  if (process.env['GEXSTREAM_JS_CRC'] === '1') return false;
  try {
    const { crc32c } = require('@node-rs/crc32') as { crc32c: (b: Buffer) => number };
    const path = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/index.js');
    const inner = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
    const js = (b: Buffer): number => Uint32Array.from([inner(b)])[0] as number;
    for (const n of [0, 1, 7, 64, 1000, 65_537]) {
      const sample = randomBytes(n);
      if (js(sample) !== crc32c(sample) >>> 0) return false;
    }
    const fast = (b: Buffer): number => crc32c(b) >>> 0;
    require.cache[path] = { id: path, filename: path, loaded: true, exports: fast } as unknown as NodeJS.Module;
    return true;
  } catch {
    return false;
  }
})();
