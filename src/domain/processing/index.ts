// Owns the public surface of the processing domain: drain policy, retries, job lifecycle, circuit breakers, source stats, SLAs.
export * from './drainPolicy.js';
export * from './retry.js';
export * from './job.js';
export * from './breaker.js';
export * from './sourceStats.js';
export * from './latencyHistogram.js';
export * from './sla.js';
export * from './retryTicket.js';
