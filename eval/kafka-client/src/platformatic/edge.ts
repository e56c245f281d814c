// Owns the @platformatic/kafka implementation of the Kafka edge (src/kafka/edge.ts): under evaluation, not wired into
// the pipelines; it runs the same contract suite as the kafkajs one.
import type { KafkaEdge } from '../../../../src/kafka/edge.js';
import { createPlatformaticTopicAdmin, platformaticGroupProgress } from './admin.js';
import type { PlatformaticOptions } from './common.js';
import { createPlatformaticOwnedOffsetsConsumer } from './ownedOffsets.js';
import { createPlatformaticProducer } from './producer.js';
import { platformaticEndOffsets, platformaticReadToEnd } from './reader.js';
import { createPlatformaticTransactionalProcessor } from './transactional.js';

export const platformaticEdge = (options: PlatformaticOptions): KafkaEdge => ({
  name: 'platformatic',
  producer: (o = {}) => createPlatformaticProducer(options, o),
  transactional: (o) => createPlatformaticTransactionalProcessor(options, o),
  ownedOffsets: (o) => createPlatformaticOwnedOffsetsConsumer(options, o),
  topicAdmin: () => createPlatformaticTopicAdmin(options),
  readToEnd: (topic, onMessage, o) => platformaticReadToEnd(options, topic, onMessage, o),
  endOffsets: (topic) => platformaticEndOffsets(options, topic),
  groupProgress: (groupId, topic) => platformaticGroupProgress(options, groupId, topic),
});
