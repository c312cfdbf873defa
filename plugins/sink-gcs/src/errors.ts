/**
 * How GCS failures map to the core's error classes: the HTTP status (and `Retry-After`) decide
 * by the core's `httpStatusClass` table shared with every sink; no status (network) is
 * transient. Messages name the sink and the object and are scrubbed of secret-looking text.
 * The client's error is never attached as `cause`: it holds the request, bearer token included.
 */
import { errorMessage, httpStatusClass, parseRetryAfter, redact, sinkError } from '@k8stream/core';
import type { K8streamError } from '@k8stream/core';
import { GOOGLE_TOKEN_URL } from './token-uri.js';

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

/** OAuth error codes a token endpoint answers a rejected grant with (RFC 6749 §5.2). */
const OAUTH_ERROR = /^(invalid_grant|invalid_client|unauthorized_client|invalid_scope|unsupported_grant_type|invalid_request): /;

/** True when the token endpoint, not Cloud Storage, refused: the credentials themselves are wrong. */
export function isTokenEndpointError(err: unknown): boolean {
  const url = get(get(err, 'config'), 'url');
  return (url !== undefined && String(url) === GOOGLE_TOKEN_URL) || (err instanceof Error && OAUTH_ERROR.test(err.message));
}

/** What to fix when the token endpoint refused the key. */
export const TOKEN_HINT =
  'the token endpoint rejected the service account credentials: check keyFilename (or GOOGLE_APPLICATION_CREDENTIALS) holds a current key of an enabled service account';

/** The error's message with its HTTP status, scrubbed: `HTTP 401: Invalid Credentials`. */
export function describeGcsError(err: unknown): string {
  const status = httpStatusOf(err);
  return redact(`${status === undefined ? '' : `HTTP ${status}: `}${errorMessage(err)}`);
}

/**
 * Turns an error from the GCS client into what the dispatcher expects, by the core's status
 * table: `PermanentError` (400, 401, 403, 404... with a fix hint for 403/404), `RetryAfterError`
 * (429/503 after `Retry-After` or 1 s; 408/5xx when `Retry-After` is given), else a
 * `SINK_TRANSIENT` error retried with backoff.
 */
export function classifyGcsError(err: unknown, where: { sink: string; bucket: string; key: string }): K8streamError {
  const status = httpStatusOf(err);
  const retryAfterMs = parseRetryAfter(headerOf(err, 'retry-after'));
  const kind = status === undefined ? 'transient' : httpStatusClass(status, retryAfterMs !== undefined);
  const target = `gs://${where.bucket}/${where.key}`;
  const detail = describeGcsError(err);
  const options = { plugin: where.sink, path: target };
  switch (kind) {
    case 'permanent': {
      const hint = isTokenEndpointError(err)
        ? TOKEN_HINT
        : status === 404
          ? `check that bucket "${where.bucket}" exists`
          : status === 401
            ? 'Cloud Storage did not accept the credentials: check keyFilename; a custom apiEndpoint gets them only with keyFilename or useAuthWithCustomEndpoint: true'
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
