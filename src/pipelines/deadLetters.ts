// Owns reading the dead-letter topic and re-driving dead letters to the raw topic after a fix.
import { valueKept, type DeadLetter } from '../domain/deadLetter.js';
import type { KafkaClient } from '../kafka/client.js';
import type { GexProducer, OutMessage } from '../kafka/producer.js';
import { readToEnd } from '../kafka/reader.js';
import type { Registry } from '../registry/registry.js';

export interface DeadLetterFilter {
  readonly stage?: string;
  readonly ticker?: string;
  readonly source?: string;
  readonly id?: string;
  readonly reason?: string;
}

export const matches = (d: DeadLetter, f: DeadLetterFilter): boolean =>
  (f.stage === undefined || d.stage === f.stage) &&
  (f.ticker === undefined || d.ticker === f.ticker) &&
  (f.source === undefined || d.source === f.source) &&
  (f.id === undefined || d.dead_letter_id === f.id) &&
  (f.reason === undefined || d.reason.includes(f.reason));

export const readDeadLetters = async ({ kafka, registry, topic }: { kafka: KafkaClient; registry: Registry; topic: string }): Promise<Array<DeadLetter & { offset: number; partition: number }>> => {
  const out: Array<DeadLetter & { offset: number; partition: number }> = [];
  await readToEnd(kafka, topic, async (m) => {
    if (!m.value) return;
    out.push({ ...(await registry.decode<DeadLetter>(m.value)), offset: m.offset, partition: m.partition });
  });
  return out.sort((a, b) => a.failed_at_ms - b.failed_at_ms);
};

export const REDRIVE_HEADER = 'gex-redrive-of';

/**
 * Republishes the original bytes and headers of matching dead letters to the raw topic, marking each as a re-drive.
 * A dead letter that kept only the sha256 and length of an over-size value is not re-driven (its bytes are at its origin).
 */
export const redrive = async ({ producer, letters, filter, rawTopic }: { producer: GexProducer; letters: readonly DeadLetter[]; filter: DeadLetterFilter; rawTopic: string }): Promise<DeadLetter[]> => {
  const chosen = letters.filter((d) => matches(d, filter) && valueKept(d));
  const messages: OutMessage[] = chosen.map((d) => ({
    key: d.original_key ?? d.ticker,
    value: Buffer.from(d.original_value),
    headers: { ...d.original_headers, [REDRIVE_HEADER]: d.dead_letter_id },
  }));
  for (let i = 0; i < messages.length; i += 1000) await producer.send([{ topic: rawTopic, messages: messages.slice(i, i + 1000) }]);
  return chosen;
};
