/**
 * Turns AWS SDK failures into what the core's dispatcher understands. S3 error codes decide
 * first (throttling → RetryAfterError, codes no retry fixes → PermanentError, codes a retry
 * fixes → transient); without a known code the HTTP status decides by the core's
 * `httpStatusClass` table, shared with every sink. Transient failures become `SINK_TRANSIENT`.
 * Messages are built from the error's code, HTTP status and S3 message only, then scrubbed of
 * the credentials in use and of anything shaped like an access key id (`[REDACTED]`): the raw
 * SDK error (whose fields can carry the access key id) is never attached as `cause`.
 */
import { K8streamError, REDACTED, httpStatusClass, parseRetryAfter, redact, sinkError } from '@k8stream/core';
import type { SinkFailureClass } from '@k8stream/core';

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
  'InvalidToken',
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

/** S3 error codes a retry fixes, whatever their HTTP status (400 RequestTimeout, 409 OperationAborted...). */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(['RequestTimeout', 'ExpiredToken', 'RequestTimeTooSkewed', 'OperationAborted']);

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

/** The SDK names a bodiless error response (HEAD) `Unknown`: that is no code. */
function known(code: string | undefined): string | undefined {
  return code === 'Unknown' || code === 'UnknownError' || code === 'Error' ? undefined : code;
}

/** Reads the parts of an SDK error we classify on. Never throws. */
export function inspectSdkError(err: unknown): SdkErrorShape {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const meta = (e.$metadata ?? {}) as { httpStatusCode?: unknown; requestId?: unknown };
  const response = (e.$response ?? {}) as { statusCode?: unknown; headers?: Record<string, unknown> };
  const status = typeof meta.httpStatusCode === 'number' ? meta.httpStatusCode : typeof response.statusCode === 'number' ? response.statusCode : undefined;
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

/**
 * The core's `redact` (the given secrets, then secret-looking patterns) plus access key ids,
 * which the core's logger keeps but an S3 sink message never shows.
 */
function scrub(text: string, secrets: readonly string[]): string {
  return redact(text.replace(ACCESS_KEY_ID, REDACTED), secrets);
}

/** A short, safe description: `AccessDenied (HTTP 403): Access Denied`. */
export function describeSdkError(err: unknown, secrets: readonly string[] = []): string {
  const { code, status, message } = inspectSdkError(err);
  const http = status !== undefined ? `HTTP ${status}` : undefined;
  const head = code !== undefined ? [code, http !== undefined ? `(${http})` : undefined].filter(Boolean).join(' ') : (http ?? '');
  const body = message && message !== code && message !== 'UnknownError' && message !== 'Unknown' && message !== String(status) ? message : '';
  return scrub([head, body].filter(Boolean).join(': ') || 'unknown error', secrets);
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
    case 'InvalidToken':
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

/**
 * Whether an SDK failure is throttling, permanent, or transient: by S3 error code when it is a
 * known one, else by HTTP status (the core's table), else (no answer: network) transient.
 */
export function classifySdkError(err: unknown): SinkFailureClass {
  const { code, status, retryAfterMs } = inspectSdkError(err);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return 'transient';
  if (code !== undefined && THROTTLING_CODES.has(code)) return 'retry-after';
  if (code !== undefined && PERMANENT_CODES.has(code)) return 'permanent';
  if (status !== undefined) return httpStatusClass(status, retryAfterMs !== undefined);
  return 'transient';
}

/**
 * The error `send` throws for an SDK failure: RetryAfterError (the server's Retry-After, else
 * 1 s), PermanentError (with a fix hint), or a `SINK_TRANSIENT` error (the core backs off and
 * retries). Each names the sink and the object; none carries the SDK error.
 */
export function toSendError(err: unknown, options: { sink: string; where: string; secrets?: readonly string[] }): K8streamError {
  const { sink, where } = options;
  const kind = classifySdkError(err);
  const shape = inspectSdkError(err);
  const what = describeSdkError(err, options.secrets);
  const target = { plugin: sink, path: where };
  switch (kind) {
    case 'retry-after':
      return sinkError(kind, `s3 sink "${sink}": throttled writing ${where}: ${what}`, { ...target, retryAfterMs: shape.retryAfterMs });
    case 'transient':
      return sinkError(kind, `s3 sink "${sink}": failed to write ${where}: ${what}`, target);
    case 'permanent': {
      const hint = hintFor(shape.code, shape.status, where);
      return sinkError(kind, `s3 sink "${sink}": cannot write ${where}: ${what}`, { ...target, ...(hint !== undefined ? { hint } : {}) });
    }
  }
}

/** The error a failed healthcheck throws: SINK_UNHEALTHY, naming the sink, the bucket and the fix. */
export function toHealthError(err: unknown, options: { sink: string; where: string; step: string; secrets?: readonly string[] }): K8streamError {
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
    // A HEAD answer has no body, so no code: a bare 400 is most often a request signed for another region.
    (shape.status === 400 && shape.code === undefined ? 'set "region" to the region the bucket lives in (requests signed for another region are refused)' : undefined) ??
    (shape.status === undefined ? 'check "endpoint" and "region" and that the store is reachable from here' : undefined);
  return new K8streamError('SINK_UNHEALTHY', `s3 sink "${sink}": ${step} ${where} failed: ${describeSdkError(err, options.secrets)}`, {
    plugin: sink,
    path: where,
    ...(hint !== undefined ? { hint } : {}),
  });
}
