/**
 * Retry policy for sink sends: classify what `send` threw, and compute how long to wait
 * before the next attempt.
 *
 * Classification is duck-typed on `code` / `name`, never `instanceof`: a third-party sink may
 * bundle its own copy of `@k8stream/core`, whose error classes are different objects.
 */
import type { RetryConfig } from '../config/types.js';

/** How a failed send is handled. */
export type FailureKind = 'permanent' | 'retry-after' | 'timeout' | 'transient';

/** A classified send failure, safe to log and to put in a dead-letter record. */
export interface SendFailure {
  kind: FailureKind;
  /** The thrown value's string `code` when it has one, else a code for the kind. */
  code: string;
  /** The thrown value's message (truncated to {@link MAX_ERROR_MESSAGE} characters). */
  message: string;
  /** Only for `retry-after`: the minimum wait the sink asked for. */
  retryAfterMs?: number;
}

/** Longest error message kept in logs and dead-letter records. */
export const MAX_ERROR_MESSAGE = 1024;

/** Code given to failures that carry no string `code` of their own. */
export const TRANSIENT_CODE = 'SINK_TRANSIENT';

function field(err: unknown, key: string): unknown {
  if ((typeof err !== 'object' && typeof err !== 'function') || err === null) return undefined;
  try {
    return (err as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Message of any thrown value, truncated. Never throws. */
export function failureMessage(err: unknown): string {
  const message = field(err, 'message');
  let text: string;
  if (typeof message === 'string') {
    text = message;
  } else {
    try {
      text = String(err);
    } catch {
      text = 'unprintable error';
    }
  }
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE - 1)}…` : text;
}

/**
 * Classifies a value thrown by `send`:
 * - `permanent`: `code === 'SINK_PERMANENT'` or `name === 'PermanentError'`;
 * - `retry-after`: `code === 'SINK_RETRY_AFTER'` or `name === 'RetryAfterError'`, with the
 *   numeric `retryAfterMs` it carries (negative or missing → 0: plain backoff applies);
 * - `timeout`: `timedOut` is true (the core's per-send deadline fired) or `code === 'SINK_TIMEOUT'`;
 * - `transient`: anything else.
 */
export function classifyFailure(err: unknown, timedOut = false): SendFailure {
  const rawCode = field(err, 'code');
  const name = field(err, 'name');
  const message = failureMessage(err);
  if (rawCode === 'SINK_PERMANENT' || name === 'PermanentError') {
    return { kind: 'permanent', code: 'SINK_PERMANENT', message };
  }
  if (rawCode === 'SINK_RETRY_AFTER' || name === 'RetryAfterError') {
    const after = field(err, 'retryAfterMs');
    const retryAfterMs = typeof after === 'number' && Number.isFinite(after) ? Math.max(0, after) : 0;
    return { kind: 'retry-after', code: 'SINK_RETRY_AFTER', message, retryAfterMs };
  }
  if (timedOut || rawCode === 'SINK_TIMEOUT') {
    return { kind: 'timeout', code: 'SINK_TIMEOUT', message };
  }
  const code = typeof rawCode === 'string' && rawCode !== '' ? rawCode : TRANSIENT_CODE;
  return { kind: 'transient', code, message };
}

/**
 * `full`: uniform in [0, min(max, initial·2^(retry-1))] (AWS "full jitter").
 * `decorrelated`: uniform in [initial, min(max, previous·3)] (AWS "decorrelated jitter").
 */
export type Jitter = 'full' | 'decorrelated';

/** Backoff settings: the retry config plus jitter and an injectable random source. */
export interface BackoffOptions extends Pick<RetryConfig, 'initialBackoffMs' | 'maxBackoffMs'> {
  /** @default 'full' */
  jitter?: Jitter;
  /** Returns a number in [0, 1). @default Math.random */
  random?: () => number;
}

/**
 * Backoff before retry number `retry` (1 for the wait after the first failed attempt).
 * `previousMs` is the previous backoff (used by decorrelated jitter; pass 0 for the first).
 * The result is an integer in [0, maxBackoffMs].
 */
export function backoffDelay(retry: number, previousMs: number, options: BackoffOptions): number {
  const initial = Math.max(0, options.initialBackoffMs);
  const max = Math.max(initial, options.maxBackoffMs);
  const random = options.random ?? Math.random;
  if ((options.jitter ?? 'full') === 'decorrelated') {
    const upper = Math.min(max, Math.max(initial, previousMs) * 3);
    return Math.round(initial + random() * (upper - initial));
  }
  // 2^(retry-1) overflows to Infinity for huge retry counts; min() keeps it at max.
  const ceiling = Math.min(max, initial * 2 ** Math.max(0, retry - 1));
  return Math.round(random() * ceiling);
}

/**
 * Wait before the next attempt after `failure`. A retry-after failure waits at least
 * `retryAfterMs` (and at least the backoff, so a sink answering "retry after 0" cannot spin).
 */
export function retryDelay(failure: SendFailure, retry: number, previousMs: number, options: BackoffOptions): number {
  const backoff = backoffDelay(retry, previousMs, options);
  if (failure.kind === 'retry-after') return Math.max(backoff, Math.ceil(failure.retryAfterMs ?? 0));
  return backoff;
}

/** True when another attempt is allowed after `attempts` attempts. `maxAttempts: null` = forever. */
export function canRetry(attempts: number, maxAttempts: number | null): boolean {
  return maxAttempts === null || attempts < maxAttempts;
}
