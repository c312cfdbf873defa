/**
 * The one builder of `k8stream.deadletter/v1` records, for every stage that gives up on a
 * record: the source (a raw object that is no event), a transform (`onError: deadletter`) and
 * a sink dispatcher (permanent failure or retries exhausted).
 *
 * Invariants:
 * - the record has exactly the fields of {@link DeadLetterRecord}, in schema order; `error`
 *   carries only `code` and `message` (never the thrown value, whose fields may hold requests,
 *   headers or credentials);
 * - `error.message` is scrubbed with the core's secret patterns (Bearer tokens, URL passwords,
 *   signing parameters, `token: …` pairs), like every log line;
 * - `time` is an ISO 8601 string: the given one (a dispatcher stamps a batch once), else now.
 */
import { K8streamError, errorMessage } from '../errors.js';
import type { DeadLetterRecord } from '../record/types.js';
import { redactString } from '../util/redact.js';

/** `code` and `message` of a failure, as a dead-letter record carries them. */
export interface DeadLetterError {
  code: string;
  message: string;
}

export interface DeadLetterInput {
  /** Where the record was given up on. */
  stage: DeadLetterRecord['stage'];
  /** Sink or transform name (`record` for a source failure). */
  component: string;
  /** The record id (`uid:resourceVersion`). */
  id: string;
  /** Why: `{ code, message }` (extra fields are dropped); see {@link deadLetterError} for a thrown value. */
  error: DeadLetterError;
  /** The original record (or raw input for source failures). */
  record: unknown;
  /** ISO time. @default new Date().toISOString() */
  time?: string;
}

/** A `k8stream.deadletter/v1` record. */
export function deadLetterRecord(input: DeadLetterInput): DeadLetterRecord {
  return {
    schema: 'k8stream.deadletter/v1',
    id: input.id,
    time: input.time ?? new Date().toISOString(),
    stage: input.stage,
    component: input.component,
    error: { code: input.error.code, message: redactString(input.error.message) },
    record: input.record,
  };
}

/** `{ code, message }` of any thrown value: a K8streamError's code, else `fallbackCode`. */
export function deadLetterError(err: unknown, fallbackCode: string): DeadLetterError {
  return { code: err instanceof K8streamError ? err.code : fallbackCode, message: errorMessage(err) };
}
