/**
 * Sink kit: the helpers every sink (first- or third-party) needs and the core uses itself, one
 * contract each. Exported from `@k8stream/core`.
 */
export { MAX_SLEEP_MS, sleep } from './sleep.js';
export { MAX_RETRY_AFTER_MS, parseHttpDate, parseRetryAfter } from './retry-after.js';
export { DEFAULT_RETRY_AFTER_MS, RETRYABLE_4XX, THROTTLE_STATUSES, classifyHttpStatus, httpStatusClass, sinkError } from './http-status.js';
export type { ClassifyHttpStatusOptions, SinkErrorOptions, SinkFailureClass } from './http-status.js';
export { REDACTED, redact } from './redact.js';
export { createClosedGuard } from './closed-guard.js';
export type { ClosedGuard } from './closed-guard.js';
export { deadLetterError, deadLetterRecord } from './dead-letter.js';
export type { DeadLetterError, DeadLetterInput } from './dead-letter.js';
