// Benchmarks `publish` of a W-day file (23,400 snapshots x 100 strikes) to the local broker, next to the bare ceiling:
// kafkajs producing the same bytes with no headers, no splitting, no lineage.
import { createProducer } from '../src/kafka/producer.js';
import { publishFiles } from '../src/pipelines/publish.js';
import { readFileBytes } from '../src/pipelines/publish.js';
import { splitRecords } from '../src/domain/records.js';
import { bareProduce, config, declared, dropTopics, fmt, kafka, median, scratchTopic, wdayFile } from './support.js';

const RUNS = Number(process.argv[2] ?? 3);
const file = wdayFile();
const { bytes } = await readFileBytes(file);
const records = splitRecords(bytes).records;
const mb = bytes.length / 1e6;
const topics: string[] = [];
const bare: number[] = [];
const pub: number[] = [];
try {
  for (let r = 0; r < RUNS; r++) {
    // bare ceiling: the same record bytes, batches of ~1 MB, same compression and acks
    const t1 = await scratchTopic('bare', 6);
    topics.push(t1);
    const p = await createProducer({ kafka: kafka(), compression: config.compression });
    bare.push(await bareProduce(p, t1, records));
    // publish: reads the file, splits, headers and lineage per record
    const t2 = await scratchTopic('publish', 6);
    topics.push(t2);
    const s = process.hrtime.bigint();
    await publishFiles([file], { producer: p, encodeDeadLetter: () => Buffer.alloc(0) }, { source: 'bench', dataType: 'historical', topology: { raw: t2, dlq: declared.dlq } });
    pub.push(Number(process.hrtime.bigint() - s) / 1e9);
    await p.close();
  }
} finally {
  await dropTopics(topics);
}
const n = records.length;
console.log(`publish W-day: ${fmt(n)} snapshots x 100 strikes, ${fmt(mb, 1)} MB, compression ${config.compression}, acks=all, idempotent; median of ${RUNS} runs`);
console.log(`  bare kafkajs produce (ceiling) ${fmt(n / median(bare)).padStart(8)} snapshots/s ${fmt(mb / median(bare), 1).padStart(7)} MB/s  ${fmt(median(bare), 2)} s`);
console.log(`  gexstream publish              ${fmt(n / median(pub)).padStart(8)} snapshots/s ${fmt(mb / median(pub), 1).padStart(7)} MB/s  ${fmt(median(pub), 2)} s`);
console.log(`  publish / ceiling time: ${(median(pub) / median(bare)).toFixed(2)}x`);
