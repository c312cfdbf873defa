/**
 * How GCS failures map to the core's error classes: the HTTP status (and `Retry-After`) decide
 * by the core's `httpStatusClass` table shared with every sink; no status (network) is
 * transient. Messages name the sink and the object and are scrubbed of secret-looking text.
 */
import { errorMessage, httpStatusClass, parseRetryAfter, redact, sinkError } from '@k8stream/core';
import type { K8streamError } from '@k8stream/core';

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
 * Turns an error from the GCS client into what the dispatcher expects, by the core's status
 * table: `PermanentError` (400, 401, 403, 404... with a fix hint for 403/404), `RetryAfterError`
 * (429/503 after `Retry-After` or 1 s; 408/5xx when `Retry-After` is given), else a
 * `SINK_TRANSIENT` error retried with backoff. The original error is the `cause`.
 */
export function classifyGcsError(err: unknown, where: { sink: string; bucket: string; key: string }): K8streamError {
  const status = httpStatusOf(err);
  const retryAfterMs = parseRetryAfter(headerOf(err, 'retry-after'));
  const kind = status === undefined ? 'transient' : httpStatusClass(status, retryAfterMs !== undefined);
  const target = `gs://${where.bucket}/${where.key}`;
  const detail = redact(`${status === undefined ? '' : `HTTP ${status}: `}${errorMessage(err)}`);
  const options = { cause: err, plugin: where.sink, path: target };
  switch (kind) {
    case 'permanent': {
      const hint =
        status === 404
          ? `check that bucket "${where.bucket}" exists`
          : status === 403
            ? `grant the credentials roles/storage.objectCreator (storage.objects.create) on bucket "${where.bucket}"`
            : undefined;
      return sinkError(kind, `gcs sink "${where.sink}": cannot write ${target}: ${detail}`, hint ? { ...options, hint } : options);
    }
    case 'retry-after':
      return sinkError(kind, `gcs sink "${where.sink}": throttled writing ${target}: ${detail}`, { ...options, retryAfterMs });
    case 'transient':
      return sinkError(kind, `gcs sink "${where.sink}": failed to write ${target}: ${detail}`, options);
  }
}
