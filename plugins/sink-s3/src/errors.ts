/**
 * Turns AWS SDK failures into what the core's dispatcher understands: throttling becomes a
 * RetryAfterError, errors that no retry can fix (access denied, no such bucket, bad credentials,
 * wrong region) a PermanentError, and everything else is left to the core's backoff.
 * Messages are built from the error's code, HTTP status and S3 message only, then scrubbed of
 * anything shaped like an access key id: the raw SDK error (whose fields can carry the access key
 * id) is never attached as `cause`.
 */
import { K8streamError, PermanentError, RetryAfterError } from '@k8stream/core';

/** S3 error codes that mean "slow down". */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ServiceUnavailable',
]);

/** S3 error codes no retry fixes. */
export const PERMANENT_CODES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
  'InvalidBucketName',
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
  'InvalidArgument',
  'InvalidRequest',
  'InvalidStorageClass',
  'InvalidObjectState',
  'KMS.DisabledException',
  'KMS.NotFoundException',
  'KMS.KMSInvalidStateException',
  'KMS.InvalidKeyUsageException',
  'EntityTooLarge',
  'MethodNotAllowed',
  'NotImplemented',
]);

/** Wait asked for when a throttling response carries no Retry-After header. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/** What we read from an SDK error (all optional: network errors have none of it). */
export interface SdkErrorShape {
  name: string | undefined;
  code: string | undefined;
  status: number | undefined;
  message: string;
  requestId: string | undefined;
  retryAfterMs: number | undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The SDK names a bodiless error response (HEAD) `Unknown`: that is no code. */
function known(code: string | undefined): string | undefined {
  return code === 'Unknown' || code === 'UnknownError' || code === 'Error' ? undefined : code;
}

/** Reads the parts of an SDK error we classify on. Never throws. */
export function inspectSdkError(err: unknown): SdkErrorShape {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const meta = (e.$metadata ?? {}) as { httpStatusCode?: unknown; requestId?: unknown };
  const response = (e.$response ?? {}) as { statusCode?: unknown; headers?: Record<string, unknown> };
  const status =
    typeof meta.httpStatusCode === 'number'
      ? meta.httpStatusCode
      : typeof response.statusCode === 'number'
        ? response.statusCode
        : undefined;
  const header = response.headers?.['retry-after'];
  return {
    name: str(e.name),
    code: known(str(e.Code) ?? str(e.name) ?? str(e.code)),
    status,
    message: typeof e.message === 'string' ? e.message : String(err),
    requestId: str(meta.requestId),
    retryAfterMs: parseRetryAfter(str(header)),
  };
}

const ACCESS_KEY_ID = /\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{12,}\b/g;

/** Removes access key ids and the given secrets (credentials in use) from a message. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(ACCESS_KEY_ID, '[redacted]');
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}

/** A short, safe description: `AccessDenied (HTTP 403): Access Denied`. */
export function describeSdkError(err: unknown, secrets: readonly string[] = []): string {
  const { code, status, message } = inspectSdkError(err);
  const http = status !== undefined ? `HTTP ${status}` : undefined;
  const head = code !== undefined ? [code, http !== undefined ? `(${http})` : undefined].filter(Boolean).join(' ') : (http ?? '');
  const body = message && message !== code && message !== 'UnknownError' && message !== 'Unknown' && message !== String(status) ? message : '';
  return redact([head, body].filter(Boolean).join(': ') || 'unknown error', secrets);
}

/** True when the SDK could not find credentials (no env, profile, web identity or metadata). */
export function isCredentialsError(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'CredentialsProviderError' || name === 'TokenProviderError';
}

/** Fix hints for the permanent failures users meet most. */
export function hintFor(code: string | undefined, status: number | undefined, where: string): string | undefined {
  switch (code) {
    case 'NoSuchBucket':
    case 'NotFound':
      return `create the bucket ${where} or fix "bucket" (k8stream never creates buckets)`;
    case 'AccessDenied':
    case 'AllAccessDisabled':
      return `grant s3:PutObject (and s3:ListBucket for the healthcheck) on ${where} to the identity k8stream runs as; with SSE-KMS also kms:GenerateDataKey on the key`;
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
      return 'check the credentials k8stream uses (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the profile, or the IRSA role)';
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException':
      return 'set "region" to the region the bucket lives in';
    default:
      if (status === 301) return 'set "region" to the region the bucket lives in';
      if (status === 403) return `check the credentials and that they may write to ${where}`;
      if (status === 404) return `check "bucket" and "endpoint" (${where} was not found)`;
      return undefined;
  }
}

/** Whether an SDK failure is throttling, permanent, or transient. */
export function classifySdkError(err: unknown): 'retry-after' | 'permanent' | 'transient' {
  const { code, status } = inspectSdkError(err);
  if (code === 'RequestTimeout' || code === 'ExpiredToken' || code === 'RequestTimeTooSkewed') return 'transient';
  if ((code !== undefined && THROTTLING_CODES.has(code)) || status === 503 || status === 429) return 'retry-after';
  if (code !== undefined && PERMANENT_CODES.has(code)) return 'permanent';
  if (status === 301 || status === 400 || status === 403 || status === 404 || status === 405 || status === 411) {
    return 'permanent';
  }
  return 'transient';
}

/**
 * The error `send` throws for an SDK failure: RetryAfterError, PermanentError, or the original
 * error for transient failures (the core retries those with backoff).
 */
export function toSendError(err: unknown, options: { sink: string; where: string; secrets?: readonly string[] }): unknown {
  const { sink, where } = options;
  const kind = classifySdkError(err);
  if (kind === 'transient') return err;
  const shape = inspectSdkError(err);
  const what = describeSdkError(err, options.secrets);
  if (kind === 'retry-after') {
    return new RetryAfterError(`s3 sink "${sink}": throttled writing ${where}: ${what}`, shape.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, {
      plugin: sink,
      path: where,
    });
  }
  const hint = hintFor(shape.code, shape.status, where);
  return new PermanentError(`s3 sink "${sink}": cannot write ${where}: ${what}`, {
    plugin: sink,
    path: where,
    ...(hint !== undefined ? { hint } : {}),
  });
}

/** The error a failed healthcheck throws: SINK_UNHEALTHY, naming the sink, the bucket and the fix. */
export function toHealthError(
  err: unknown,
  options: { sink: string; where: string; step: string; secrets?: readonly string[] },
): K8streamError {
  const { sink, where, step } = options;
  if (isCredentialsError(err)) {
    return new K8streamError('SINK_UNHEALTHY', `s3 sink "${sink}": no AWS credentials found`, {
      plugin: sink,
      path: where,
      hint: 'provide credentials through the SDK chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a shared profile ("profile" or AWS_PROFILE), IRSA web identity, or container/instance metadata',
    });
  }
  const shape = inspectSdkError(err);
  const hint =
    hintFor(shape.code, shape.status, where) ??
    (/region is missing/i.test(shape.message) ? 'set "region" (or AWS_REGION) to the region of the bucket' : undefined) ??
    (shape.status === undefined
      ? 'check "endpoint" and "region" and that the store is reachable from here'
      : undefined);
  return new K8streamError('SINK_UNHEALTHY', `s3 sink "${sink}": ${step} ${where} failed: ${describeSdkError(err, options.secrets)}`, {
    plugin: sink,
    path: where,
    ...(hint !== undefined ? { hint } : {}),
  });
}
