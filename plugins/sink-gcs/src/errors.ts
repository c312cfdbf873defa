/** How GCS failures map to the core's error classes (permanent, retry-after, transient). */
import { PermanentError, RetryAfterError, errorMessage } from '@k8stream/core';

/** Statuses that will not succeed on retry: bad request, access denied, no such bucket. */
export const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 403, 404]);

/** Statuses that ask the caller to slow down: too many requests, service unavailable. */
export const THROTTLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Wait used for 429/503 when the response has no (usable) `Retry-After`. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

function get(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * The HTTP status of an error thrown by `@google-cloud/storage`, if any: ApiError `code`, gaxios
 * `status`/`response.status`, or, for a failed resumable upload request (a plain Error such as
 * `Retry limit exceeded - status: 503 - {...}`), the status in its message.
 */
export function httpStatusOf(err: unknown): number | undefined {
  for (const candidate of [get(err, 'code'), get(err, 'status'), get(get(err, 'response'), 'status')]) {
    if (typeof candidate === 'number' && candidate >= 100 && candidate < 600) return candidate;
    if (typeof candidate === 'string' && /^\d{3}$/.test(candidate)) return Number(candidate);
  }
  const inMessage = err instanceof Error ? /\bstatus: ([1-5]\d\d)\b/.exec(err.message) : null;
  return inMessage?.[1] === undefined ? undefined : Number(inMessage[1]);
}

/** A response header of the error's response (plain object or `Headers`), if any. */
function headerOf(err: unknown, name: string): string | undefined {
  const headers = get(get(err, 'response'), 'headers');
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = get(headers, name) ?? get(headers, name.toLowerCase());
  return typeof value === 'string' ? value : undefined;
}

/**
 * Milliseconds from a `Retry-After` value (seconds, or an HTTP date relative to `now`);
 * `fallback` when absent or unparsable.
 */
export function parseRetryAfter(value: string | undefined, fallback = DEFAULT_RETRY_AFTER_MS, now = Date.now()): number {
  if (value === undefined || value.trim() === '') return fallback;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? fallback : Math.max(0, at - now);
}

/**
 * Turns an error from the GCS client into what the dispatcher expects: `PermanentError` for
 * 400/403/404, `RetryAfterError` for 429/503 (honouring `Retry-After`), and an `Error` naming the
 * sink and object for everything else (retried with backoff). The original error is the `cause`.
 */
export function classifyGcsError(err: unknown, where: { sink: string; bucket: string; key: string }): Error {
  const status = httpStatusOf(err);
  const target = `gs://${where.bucket}/${where.key}`;
  const detail = `${status === undefined ? '' : `HTTP ${status}: `}${errorMessage(err)}`;
  const options = { cause: err, plugin: where.sink, path: target };
  if (status !== undefined && PERMANENT_STATUSES.has(status)) {
    const hint =
      status === 404
        ? `check that bucket "${where.bucket}" exists`
        : status === 403
          ? `grant the credentials roles/storage.objectCreator (storage.objects.create) on bucket "${where.bucket}"`
          : undefined;
    return new PermanentError(`gcs sink "${where.sink}": cannot write ${target}: ${detail}`, hint ? { ...options, hint } : options);
  }
  if (status !== undefined && THROTTLE_STATUSES.has(status)) {
    return new RetryAfterError(`gcs sink "${where.sink}": throttled writing ${target}: ${detail}`, parseRetryAfter(headerOf(err, 'retry-after')), options);
  }
  return new Error(`gcs sink "${where.sink}": failed to write ${target}: ${detail}`, { cause: err });
}
