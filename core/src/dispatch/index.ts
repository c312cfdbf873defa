/** Per-sink dispatch: the only place that batches, encodes, retries, buffers or times out. */
export type * from './types.js';
export { createDispatcher } from './dispatcher.js';
export { createDeadLetterWriter, deadLetterItemId, type DeadLetterWriterOptions } from './deadletter.js';
export { decodeBody, encodeBatch, encodingInfo, type EncodedBody, type EncodingInfo } from './encode.js';
export { BATCH_HASH_LENGTH, batchId, sortableTimePart, type BatchIdInput } from './batch-id.js';
export {
  MAX_ERROR_MESSAGE,
  TRANSIENT_CODE,
  backoffDelay,
  canRetry,
  classifyFailure,
  failureMessage,
  retryDelay,
  type BackoffOptions,
  type FailureKind,
  type Jitter,
  type SendFailure,
} from './retry.js';
