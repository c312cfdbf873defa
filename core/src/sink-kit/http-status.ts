/**
 * HTTP status → the class of sink failure the core acts on, one table for every sink:
 *
 * | status                                   | class                                               |
 * |------------------------------------------|-----------------------------------------------------|
 * | 429, 503 (throttling)                    | retry-after: `Retry-After`, else {@link DEFAULT_RETRY_AFTER_MS} |
 * | 408, 425, other 5xx                      | retry-after when `Retry-After` is given, else transient |
 * | other 3xx and 4xx                        | permanent (repeating the same request cannot help)  |
 * | anything else (1xx, 2xx, not a status)   | transient (unknown: retrying is the safe default)   |
 *
 * `classifyHttpStatus` builds the matching error: PermanentError (`SINK_PERMANENT`),
 * RetryAfterError (`SINK_RETRY_AFTER`), or a K8streamError with code `SINK_TRANSIENT` (retried
 * with backoff). `sinkError(kind, …)` builds the same three for sinks that classify on their
 * own (SDK error codes). Messages are passed in by the caller, already redacted.
 */
import { STATUS_CODES } from '../util/node-http.js';
import { K8streamError, PermanentError, RetryAfterError } from '../errors.js';
import type { K8streamErrorOptions } from '../errors.js';
import { parseRetryAfter } from './retry-after.js';

/** How the core handles a sink failure (the same names as `classifySinkError` in `@k8stream/core/testing`). */
export type SinkFailureClass = 'permanent' | 'retry-after' | 'transient';

/** Wait asked for on 429/503 when the response gives no (valid) `Retry-After`. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/** Statuses that mean "slow down": always retried after a wait. */
export const THROTTLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** 4xx statuses a repeat may fix: request timeout, too early, too many requests. */
export const RETRYABLE_4XX: ReadonlySet<number> = new Set([408, 425, 429]);

/** The class of an HTTP status; `hasRetryAfter` tells whether the response carried a valid `Retry-After`. */
export function httpStatusClass(status: number, hasRetryAfter = false): SinkFailureClass {
  if (THROTTLE_STATUSES.has(status)) return 'retry-after';
  if (!Number.isInteger(status) || status < 300 || status > 599) return 'transient';
  if (status >= 500 || RETRYABLE_4XX.has(status)) return hasRetryAfter ? 'retry-after' : 'transient';
  return 'permanent';
}

export interface SinkErrorOptions extends K8streamErrorOptions {
  /** For `retry-after`: the wait. @default DEFAULT_RETRY_AFTER_MS */
  retryAfterMs?: number | undefined;
}

/** The error the core classifies as `kind`, carrying `options` (cause, plugin, path, hint). */
export function sinkError(kind: SinkFailureClass, message: string, options: SinkErrorOptions = {}): K8streamError {
  const { retryAfterMs, ...rest } = options;
  switch (kind) {
    case 'permanent':
      return new PermanentError(message, rest);
    case 'retry-after':
      return new RetryAfterError(message, retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, rest);
    case 'transient':
      return new K8streamError('SINK_TRANSIENT', message, rest);
  }
}

export interface ClassifyHttpStatusOptions extends K8streamErrorOptions {
  /** The raw `Retry-After` header value, if any (RFC 9110: seconds or an HTTP-date). */
  retryAfter?: string | null | undefined;
  /** Clock for HTTP-date `Retry-After` values. @default Date.now() */
  now?: number;
  /** Already redacted. @default `HTTP 503 Service Unavailable` */
  message?: string;
}

/** The error for a failed response with `status`, by the table in the module comment. */
export function classifyHttpStatus(status: number, options: ClassifyHttpStatusOptions = {}): K8streamError {
  const { retryAfter, now, message, ...rest } = options;
  const retryAfterMs = parseRetryAfter(retryAfter, now);
  const kind = httpStatusClass(status, retryAfterMs !== undefined);
  const text = message ?? `HTTP ${status}${STATUS_CODES[status] !== undefined ? ` ${STATUS_CODES[status]}` : ''}`;
  return sinkError(kind, text, { ...rest, retryAfterMs });
}
