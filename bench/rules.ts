// Rule writes: the API's path (a live rule view, one long-lived producer, read-your-writes) against the one-shot path the
// CLI takes (fold the whole topic with a fresh reader, then write), on a scratch rules topic, in the same run.
import { isLeft } from 'fp-ts/lib/Either.js';
import { createProducer } from '../src/kafka/producer.js';
import { apiService } from '../src/pipelines/apiService.js';
import { writeRuleCommand } from '../src/pipelines/rules.js';
import { createRegistry } from '../src/registry/registry.js';
import { config, declared, dropTopics, fmt, kafka, median, scratchTopic } from './support.js';
import { overriding } from '../src/domain/topology.js';

const N = Math.max(6, Number(process.argv[2] ?? 20));
const registry = createRegistry({ url: config.registryUrl });
const topic = await scratchTopic('bench.rules', 1, 'rules');
const schema = await registry.latest(`${declared.rules}-value`);
if (!schema) throw new Error(`no schema for ${declared.rules}; run gexstream schemas register`);
await registry.register(`${topic}-value`, schema.schema);
const producer = await createProducer({ kafka: kafka() });
const svc = apiService({ kafka: kafka(), registry, producer, topology: overriding(declared, { rules: topic }) });

const define = await svc.writeRule({ type: 'DefineRule', name: 'bench rule', condition: 'ticker == "SPX"', level: 'high', actor: 'bench' });
if (!define.ok) throw new Error(JSON.stringify(define));
const ruleId = (define.event as { rule_id: string }).rule_id;

const timed = async (f: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};
const api: number[] = [];
const oneShot: number[] = [];
for (let i = 0; i < N; i++) {
  api.push(await timed(async () => {
    const r = await svc.writeRule({ type: 'UpdateRule', rule_id: ruleId, changes: { description: `api ${i}` }, actor: 'bench' });
    if (!r.ok) throw new Error(JSON.stringify(r));
  }));
  if (i < 5)
    oneShot.push(await timed(async () => {
      const r = await writeRuleCommand({ kafka: kafka(), registry, topic }, { type: 'UpdateRule', rule_id: ruleId, changes: { description: `cli ${i}` }, actor: 'bench' });
      if (isLeft(r)) throw new Error(JSON.stringify(r.left));
    }));
}
const rules = (await svc.rules()) as { rule: { rule_id: string; description: string } }[];
const last = rules.find((r) => r.rule.rule_id === ruleId)?.rule.description;
await svc.close();
await producer.close();
await dropTopics([topic]);
console.log(`rule writes on a scratch topic (${N} via the API service, ${oneShot.length} one-shot):`);
console.log(`  API (live view, read-your-writes): median ${fmt(median(api), 1)} ms, max ${fmt(Math.max(...api), 1)} ms`);
console.log(`  one-shot (fold the topic, then write, as the CLI): median ${fmt(median(oneShot), 0)} ms`);
console.log(`  one-shot / API: ${fmt(median(oneShot) / median(api), 1)}x; the next read after the last write showed it: ${last === `api ${N - 1}` ? 'yes' : 'no'}`);
