// Owns waiting for the outcome of an import: follows the processed-snapshot and DLQ topics from the offsets taken
// before publishing until every record of the batch is imported or rejected.
import type { DeadLetter } from '../domain/deadLetter.js';
import { emptyImport, foldImport, outcomeOfDeadLetter, summarizeImport, type ImportOutcome, type ImportSummary } from '../domain/importSummary.js';
import type { ProcessedSnapshot } from '../domain/processed.js';
import type { Topology } from '../domain/topology.js';
import type { KafkaClient } from '../kafka/client.js';
import { endOffsets, follow } from '../kafka/reader.js';
import type { Registry } from '../registry/registry.js';

export interface ImportMarks {
  readonly processedTopic: string;
  readonly dlqTopic: string;
  readonly from: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

/** Where the outcome topics end now: call before publishing, so that only this import's outcomes are read. */
export const markImport = async (kafka: KafkaClient, { processed, dlq }: Pick<Topology, 'processed' | 'dlq'>): Promise<ImportMarks> => ({
  processedTopic: processed,
  dlqTopic: dlq,
  from: new Map([
    [processed, await endOffsets(kafka, processed)],
    [dlq, await endOffsets(kafka, dlq)],
  ]),
});

export const awaitImport = async ({
  kafka,
  registry,
  marks,
  batch,
  expected,
  timeoutMs,
  onProgress,
}: {
  kafka: KafkaClient;
  registry: Registry;
  marks: ImportMarks;
  batch: string;
  expected: number;
  timeoutMs: number;
  onProgress?: (done: number) => void;
}): Promise<ImportSummary & { readonly complete: boolean }> => {
  let state = emptyImport();
  let buf: ImportOutcome[] = [];
  const settle = () => {
    if (buf.length > 0) {
      state = foldImport(state, buf, batch);
      buf = [];
    }
    return state;
  };
  const { complete } = await follow(
    kafka,
    [marks.processedTopic, marks.dlqTopic],
    marks.from,
    async (m) => {
      if (!m.value) return;
      try {
        if (m.topic === marks.processedTopic) {
          const p = await registry.decode<ProcessedSnapshot>(m.value);
          if (p.lineage) buf.push({ kind: 'imported', lineage: p.lineage });
        } else {
          const o = outcomeOfDeadLetter(await registry.decode<DeadLetter>(m.value));
          if (o) buf.push(o);
        }
      } catch {
        // not ours to judge: another writer's message on a shared topic
      }
    },
    {
      until: () => {
        const n = settle().records.size;
        onProgress?.(n);
        return n >= expected;
      },
      timeoutMs,
    },
  );
  return { ...summarizeImport(settle(), batch, expected), complete };
};
