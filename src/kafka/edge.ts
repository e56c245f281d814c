// Owns the one interface the pipelines' Kafka edge is made of, and its binding to the client in use (kafkajs): every
// implementation of it runs the same contract suite (tests/integration/kafka/contract.ts), hono-style.
import { createKafka, type CreateKafkaOptions, type KafkaClient } from './client.js';
import { createTopicAdmin, type TopicAdmin } from './admin.js';
import { groupProgress, type PartitionProgress } from './lag.js';
import { createOwnedOffsetsConsumer, type OwnedOffsetsConsumer, type OwnedOffsetsOptions } from './ownedOffsets.js';
import { createProducer, type GexProducer } from './producer.js';
import { endOffsets, readToEnd, type ReadMessage } from './reader.js';
import { createTransactionalProcessor, type TransactionalOptions, type TransactionalProcessor } from './transactional.js';

type ProducerOptions = Omit<Parameters<typeof createProducer>[0], 'kafka'>;

/** What the pipelines ask of Kafka, with no client type in sight. */
export interface KafkaEdge {
  readonly name: string;
  /** An idempotent, batching producer (acks=all). */
  readonly producer: (options?: ProducerOptions) => Promise<GexProducer>;
  /** Exactly-once consume-transform-produce: outputs and input offsets commit in one transaction per chunk. */
  readonly transactional: (options: Omit<TransactionalOptions, 'kafka'>) => Promise<Omit<TransactionalProcessor, 'consumer'>>;
  /** Consuming from positions a sink stores with its data; Kafka offsets committed for lag only. */
  readonly ownedOffsets: (options: Omit<OwnedOffsetsOptions, 'kafka'>) => OwnedOffsetsConsumer;
  readonly topicAdmin: () => Promise<TopicAdmin>;
  /** A bounded read_committed read of a topic up to its end offsets at the call. */
  readonly readToEnd: (topic: string, onMessage: (m: ReadMessage) => void | Promise<void>, options?: Parameters<typeof readToEnd>[3]) => Promise<{ messages: number; endOffsets: Map<number, number> }>;
  readonly endOffsets: (topic: string) => Promise<Map<number, number>>;
  readonly groupProgress: (groupId: string, topic: string) => Promise<PartitionProgress[]>;
}

export const kafkajsEdge = (options: CreateKafkaOptions): KafkaEdge => {
  // one kafkajs client per role, as the pipelines create them: connections are per producer/consumer/admin anyway
  const kafka = (): KafkaClient => createKafka(options);
  return {
    name: 'kafkajs',
    producer: (o = {}) => createProducer({ ...o, kafka: kafka() }),
    transactional: (o) => createTransactionalProcessor({ ...o, kafka: kafka() }),
    ownedOffsets: (o) => createOwnedOffsetsConsumer({ ...o, kafka: kafka() }),
    topicAdmin: () => createTopicAdmin({ kafka: kafka() }),
    readToEnd: (topic, onMessage, o) => readToEnd(kafka(), topic, onMessage, o),
    endOffsets: (topic) => endOffsets(kafka(), topic),
    groupProgress: (groupId, topic) => groupProgress(kafka(), groupId, topic),
  };
};
