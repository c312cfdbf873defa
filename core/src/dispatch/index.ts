/**
 * dispatch/ delivers batches to sinks: one dispatcher per sink, a chain of senders (queue →
 * batcher → encoder → retry → timeout → `sink.send`) wired in `dispatcher.ts`, with an optional
 * disk buffer in front. It is the only place that batches, encodes, retries, buffers or times
 * out. Where the stream resumes after a restart is not kept here but in `checkpoint/`, which
 * learns of deliveries through the items' `done` callbacks.
 */
export type * from './types.js';
export { createDispatcher } from './dispatcher.js';
export { createDeadLetterWriter, deadLetterItemId, type DeadLetterWriterOptions } from './deadletter.js';
export { decodeBody, encodingInfo, type EncodedBody, type EncodingInfo } from './encode.js';
export { encodeBatch } from './body-writer.js';
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
