// Owns the Kafka client instance: the only module that constructs kafkajs, with its logs routed to pino.
import './fastCrc.js'; // must run before kafkajs loads
import './codecs.js'; // snappy, lz4 and zstd batches, for every role
import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type logCreator } from 'kafkajs';
import { DEFAULT_COMPRESSION, type Compression } from '../config.js';
import type { Logger } from '../log.js';

export type KafkaClient = Kafka;

/** Conditions kafkajs logs as errors but retries by itself (coordinator moves, concurrent transaction steps, elections). */
const RETRIED = /coordinator is not available|not the correct coordinator|coordinator is loading|another concurrent operation on the same transaction|no leader for this topic-partition|leadership election/i;

const toPino = (logger: Logger): logCreator => () => ({ level, log }) => {
  const { message, ...extra } = log;
  const fields = { ...extra, ns: log.namespace };
  const text = `${String(log['error'] ?? '')} ${message}`;
  const retried = typeof log['retryCount'] === 'number' || RETRIED.test(text);
  // Back-to-back transactions meet CONCURRENT_TRANSACTIONS until the previous markers are written: expected, retried in ms.
  if (/another concurrent operation on the same transaction/i.test(text)) logger.debug(fields, message);
  else if (level === KafkaLogLevel.ERROR && retried) logger.warn(fields, message);
  else if (level === KafkaLogLevel.ERROR) logger.error(fields, message);
  else if (level === KafkaLogLevel.WARN) logger.warn(fields, message);
  else if (level === KafkaLogLevel.INFO) logger.debug(fields, message);
  else logger.trace(fields, message);
};

export interface CreateKafkaOptions {
  readonly brokers: string[];
  readonly clientId?: string;
  readonly logger?: Logger;
  readonly connectionTimeout?: number; // ms
  readonly retries?: number;
  readonly ssl?: KafkaConfig['ssl'];
  readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string };
  /** What this client's producers (plain and transactional) compress with, unless given their own. */
  readonly compression?: Compression;
}

// kafkajs has no client-wide compression: each client remembers the process's setting for the producers made from it
const compressionOf = new WeakMap<KafkaClient, Compression>();

/** The compression producers made from `kafka` use by default. */
export const producerCompression = (kafka: KafkaClient): Compression => compressionOf.get(kafka) ?? DEFAULT_COMPRESSION;

export const createKafka = ({ brokers, clientId = 'gexstream', logger, connectionTimeout = 3_000, retries = 5, ssl, sasl, compression = DEFAULT_COMPRESSION }: CreateKafkaOptions): KafkaClient => {
  const kafka = new Kafka({
    brokers,
    clientId,
    connectionTimeout,
    requestTimeout: 30_000,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 5_000 },
    logLevel: logger ? KafkaLogLevel.INFO : KafkaLogLevel.NOTHING,
    ...(logger ? { logCreator: toPino(logger) } : {}),
    ...(ssl !== undefined ? { ssl } : {}),
    ...(sasl !== undefined ? { sasl: { ...sasl } as KafkaConfig['sasl'] } : {}),
  });
  compressionOf.set(kafka, compression);
  return kafka;
};

/** True when a broker answers a metadata request (not merely an open port). */
export const probeBrokers = async (
  target: string[] | Pick<CreateKafkaOptions, 'brokers' | 'ssl' | 'sasl'>,
): Promise<{ ok: true; brokers: number; controller: number | null } | { ok: false; error: string }> => {
  // with the process's TLS/SASL settings, so that a secured cluster is probed as the roles reach it
  const admin = createKafka({ ...(Array.isArray(target) ? { brokers: target } : target), retries: 0, connectionTimeout: 1_000 }).admin();
  try {
    await admin.connect();
    const c = await admin.describeCluster();
    return { ok: true, brokers: c.brokers.length, controller: c.controller };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
};
