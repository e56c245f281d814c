// The producer compression setting: every codec a producer may use, from the environment or the file; a typo stops start-up.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, DEFAULT_COMPRESSION, DEFAULT_PARQUET_COMPRESSION, loadConfig } from '../../../src/config.js';

test('default, environment, file; the environment wins; every client of the process gets it', () => {
  assert.is(loadConfig({}, '/').compression, DEFAULT_COMPRESSION);
  for (const c of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const cfg = loadConfig({ GEXSTREAM_COMPRESSION: c }, '/');
    assert.equal([cfg.compression, cfg.kafka.compression], [c, c]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-cfg-'));
  try {
    const p = join(dir, 'g.json');
    writeFileSync(p, JSON.stringify({ kafka: { compression: 'zstd' } }));
    assert.is(loadConfig({ GEXSTREAM_CONFIG: p }, '/').compression, 'zstd');
    assert.is(loadConfig({ GEXSTREAM_CONFIG: p, GEXSTREAM_COMPRESSION: 'snappy' }, '/').compression, 'snappy');
    writeFileSync(p, JSON.stringify({ kafka: { compression: 'lz5' } }));
    assert.throws(() => loadConfig({ GEXSTREAM_CONFIG: p }, '/'), (e: Error) => e instanceof ConfigError && /kafka\.compression: expected none \| gzip \| snappy \| lz4 \| zstd, got "lz5"/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown codec in the environment is named with the choices', () => {
  assert.throws(() => loadConfig({ GEXSTREAM_COMPRESSION: 'brotli' }, '/'), (e: Error) => e instanceof ConfigError && /GEXSTREAM_COMPRESSION: expected none \| gzip \| snappy \| lz4 \| zstd, got "brotli"/.test(e.message));
});

test('the Parquet codec: snappy by default, from the environment or the file (duckdb.parquet_compression); a typo stops start-up', () => {
  assert.is(DEFAULT_PARQUET_COMPRESSION, 'snappy');
  assert.is(loadConfig({}, '/').parquetCompression, 'snappy');
  for (const c of ['snappy', 'zstd', 'gzip', 'lz4', 'none'] as const) assert.is(loadConfig({ GEXSTREAM_PARQUET_COMPRESSION: c }, '/').parquetCompression, c);
  assert.is(loadConfig({ GEXSTREAM_PARQUET_COMPRESSION: 'ZSTD' }, '/').parquetCompression, 'zstd');
  const dir = mkdtempSync(join(tmpdir(), 'gexstream-cfg-'));
  try {
    const p = join(dir, 'g.json');
    writeFileSync(p, JSON.stringify({ duckdb: { parquet_compression: 'zstd' } }));
    assert.is(loadConfig({ GEXSTREAM_CONFIG: p }, '/').parquetCompression, 'zstd');
    assert.is(loadConfig({ GEXSTREAM_CONFIG: p, GEXSTREAM_PARQUET_COMPRESSION: 'none' }, '/').parquetCompression, 'none');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => loadConfig({ GEXSTREAM_PARQUET_COMPRESSION: 'brotli' }, '/'), (e: Error) => e instanceof ConfigError && /GEXSTREAM_PARQUET_COMPRESSION: expected one of snappy, zstd, gzip, lz4, none, got "brotli"/.test(e.message));
});

test.run();
