// Owns the structured JSON logger (pino) shared by every role; logs go to stderr so stdout stays for results.
import { pino, type Logger } from 'pino';

export type { Logger };

export const createLogger = (level: string = process.env['GEXSTREAM_LOG_LEVEL'] ?? 'info', name = 'gexstream'): Logger =>
  pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
