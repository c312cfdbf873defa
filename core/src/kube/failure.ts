/**
 * What kind of failure a list or watch attempt ended with: the `reason` of
 * `k8stream_watch_errors_total`, and the retry class whose backoff decides the next wait
 * (see retry-policy.ts). Every failure has exactly one reason; nothing is left uncounted.
 */
import { KubeApiError } from './api-error.js';

export type FailureReason =
  /** 429 Too Many Requests. */
  | 'throttled'
  /** 410 Gone / Expired: the resourceVersion is too old (a re-list follows). */
  | 'expired'
  /** 5xx, or an in-stream ERROR with a 5xx code. */
  | 'server_error'
  /** Any other 4xx after startup (RBAC revoked, …), or a request the kubeconfig forbids. */
  | 'client_error'
  /** No (complete) answer: connection refused or reset, DNS, TLS. */
  | 'reset'
  /** No answer or no data within the deadline (a stalled request or stream). */
  | 'stall'
  /** A watch answered 200 and closed without a single line. */
  | 'empty'
  /** An answer that breaks the protocol (invalid JSON, not a list, not a watch event). */
  | 'invalid'
  /** Anything else. */
  | 'other';

export const FAILURE_REASONS: readonly FailureReason[] = ['throttled', 'expired', 'server_error', 'client_error', 'reset', 'stall', 'empty', 'invalid', 'other'];

/**
 * How the next attempt waits: `throttled` follows Retry-After, `expired` re-lists at once the
 * first time, `failure` (everything else) backs off exponentially. Each has its own counter.
 */
export type RetryClass = 'throttled' | 'expired' | 'failure';

export const RETRY_CLASSES: readonly RetryClass[] = ['throttled', 'expired', 'failure'];

/** The reason of a failed request or broken stream (an empty answer is classified by the engine). */
export function failureReason(err: unknown): FailureReason {
  if (!(err instanceof KubeApiError)) return 'other';
  if (err.status === 429) return 'throttled';
  if (err.expired) return 'expired';
  switch (err.kind) {
    case 'network':
      return 'reset';
    case 'timeout':
      return 'stall';
    case 'protocol':
      return 'invalid';
    case 'config':
      return 'client_error';
    case 'http':
      return err.status >= 500 ? 'server_error' : 'client_error';
  }
}

export function retryClassOf(reason: FailureReason): RetryClass {
  return reason === 'throttled' || reason === 'expired' ? reason : 'failure';
}
