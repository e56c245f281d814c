// Owns `gexstream demo`: the whole product on the embedded defaults, from an empty machine to decoded snapshots.
import { isLeft } from 'fp-ts/lib/Either.js';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { decodeRaw } from '../domain/decode.js';
import { generatePayloads } from '../domain/generator.js';
import { H } from '../domain/headers.js';
import type { DeadLetter } from '../domain/deadLetter.js';
import { createKafka } from '../kafka/client.js';
import { createProducer } from '../kafka/producer.js';
import { endOffsets, readToEnd } from '../kafka/reader.js';
import { publishFiles, RAW_TOPIC } from '../pipelines/publish.js';
import { registerSchemas, valueSubject } from '../pipelines/schemas.js';
import { applyTopics } from '../pipelines/topics.js';
import { createRegistry } from '../registry/registry.js';
import { loadSchemas } from '../registry/schemas.js';
import { loadTopicSpecs, schemasDir } from '../resources.js';
import { packageRoot } from '../stack/paths.js';
import { stackUp } from '../stack/stack.js';
import type { Command } from './command.js';

const say = (s: string): void => void process.stdout.write(`${s}\n`);
const fmt = (n: number | null | undefined, d = 2): string => (n === null || n === undefined ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: d }));

export const demoCommand = (cfg: Config): Command => ({
  name: 'demo',
  summary: 'Run the demo on the embedded defaults: start the local stack if none runs, apply topics, register schemas,\npublish the bundled sample and a generated session to gex.raw.v1, and read it back decoded.',
  usage: '[--snapshots N]',
  options: { snapshots: { type: 'string' } },
  optionHelp: { snapshots: 'generated snapshots per ticker (default 30)' },
  run: async ({ values }) => {
    const perTicker = Number(values['snapshots'] ?? 30);
    say('1/5 stack');
    if (cfg.external) say(`    using the existing cluster ${cfg.brokers.join(',')} and registry ${cfg.registryUrl}`);
    else {
      const r = await stackUp(cfg, (s) => say(`    ${s}`));
      say(`    kafka ${cfg.brokers.join(',')} and registry ${cfg.registryUrl}: ${r.started.length ? `started ${r.started.join(', ')}` : 'already running'}`);
    }
    const kafka = createKafka({ brokers: cfg.brokers });
    say('2/5 topics');
    const t = await applyTopics({ kafka, specs: loadTopicSpecs() });
    say(`    ${t.actions.length === 0 ? 'all 10 topics in sync' : `${t.actions.length} change(s) applied`}`);
    say('3/5 schemas');
    const registry = createRegistry({ url: cfg.registryUrl });
    const reg = await registerSchemas({ registry, specs: loadTopicSpecs(), schemas: loadSchemas(schemasDir) });
    say(`    ${reg.length} subjects (BACKWARD), ${reg.filter((r) => r.created).length} newly registered, ${[...new Set(reg.map((r) => r.id))].length} distinct schema ids`);

    say('4/5 publish');
    const dir = join(cfg.stateDir, 'demo');
    mkdirSync(dir, { recursive: true });
    const session = join(dir, 'session.jsonl');
    const payloads = [...generatePayloads({ seed: 7, tickers: ['SPX', 'NDX'], startTime: '15:29:00', count: perTicker * 2 })];
    writeFileSync(session, payloads.map((p) => JSON.stringify(p)).join('\n'));
    const from = await endOffsets(kafka, RAW_TOPIC);
    const producer = await createProducer({ kafka });
    const dlq = await registry.encoder<DeadLetter>(valueSubject('gex.dlq.v1'));
    const batch = `demo-${Date.now()}`;
    try {
      const res = await publishFiles([join(packageRoot, 'fixtures', 'gexbot-classic-spx.json'), session], { producer, encodeDeadLetter: dlq.encode }, { source: 'demo', dataType: 'real_time', batch });
      for (const r of res) say(`    ${r.file}: ${r.published} snapshots -> ${RAW_TOPIC}`);
    } finally {
      await producer.close();
    }

    say('5/5 read back and decode');
    const rows: string[] = [];
    let ok = 0;
    let bad = 0;
    await readToEnd(
      kafka,
      RAW_TOPIC,
      (m) => {
        if (m.headers[H.importBatch] !== batch || !m.value) return;
        const d = decodeRaw(m.value, { dataType: 'real_time', kind: m.headers[H.kind] }, { nowMs: Date.now(), maxSkewMs: 5_000, maxBytes: 8 * 1024 * 1024 });
        if (isLeft(d)) {
          bad++;
          return;
        }
        ok++;
        const s = d.right;
        if (rows.length < 6 || m.headers[H.lineageFile] === 'gexbot-classic-spx.json')
          rows.push(
            `    ${s.ticker.padEnd(6)} ${new Date(s.timestamp_ms).toISOString()}  spot ${fmt(s.spot).padStart(9)}  strikes ${String(s.strikes.length).padStart(3)}  zero gamma vendor ${fmt(s.zero_gamma).padStart(9)} computed ${fmt(s.derived?.zero_gamma).padStart(9)}  quality ${fmt(s.derived?.quality_score, 3)}  (p${m.partition}@${m.offset})`,
          );
      },
      { from },
    );
    for (const r of rows) say(r);
    say(`    ${ok} decoded into canonical snapshots, ${bad} invalid`);
    say('');
    say('next: `npx gexstream stack status`, `npx gexstream topics list`, `npx gexstream validate FILE`, `npx gexstream dlq list`');
    return bad === 0 && ok > 0 ? 0 : 1;
  },
});
