/**
 * `meta/v1 Status` objects exactly as the real API server writes them for failures, and the one
 * error class the double throws ({@link ApiError}) carrying such a Status.
 */

/** The `reason` values the double produces. */
export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Expired'
  | 'Gone'
  | 'TooManyRequests'
  | 'Unauthorized'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'Timeout'
  | 'InternalError'
  | 'ServiceUnavailable';

/** Optional `details` of a Status. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
  retryAfterSeconds?: number;
}

/** A `meta/v1 Status` object. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** Builds a failure Status. */
export function status(code: number, reason: StatusReason, message: string, details?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details !== undefined) s.details = details;
  return s;
}

/** The default reason for an HTTP status code. */
export function reasonForCode(code: number): StatusReason {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 406:
      return 'NotAcceptable';
    case 409:
      return 'Conflict';
    case 410:
      return 'Expired';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return 'InternalError';
  }
}

/** The error the store and the HTTP layer throw; `status` is what the client receives. */
export class ApiError extends Error {
  readonly status: Status;
  constructor(s: Status) {
    super(s.message);
    this.name = 'ApiError';
    this.status = s;
  }
  /** HTTP status code. */
  get code(): number {
    return this.status.code;
  }
  /** Status reason (`NotFound`, `Conflict`…). */
  get reason(): StatusReason {
    return this.status.reason;
  }
}

/** `resource.group` as the real server names a resource in messages (`leases.coordination.k8s.io`). */
export function qualifiedResource(plural: string, group: string): string {
  return group === '' ? plural : `${plural}.${group}`;
}

/** 404: `pods "x" not found`. */
export function notFound(plural: string, group: string, name: string): ApiError {
  return new ApiError(status(404, 'NotFound', `${qualifiedResource(plural, group)} "${name}" not found`, { name, group, kind: plural }));
}

/** 409 AlreadyExists: `pods "x" already exists`. */
export function alreadyExists(plural: string, group: string, name: string): ApiError {
  return new ApiError(status(409, 'AlreadyExists', `${qualifiedResource(plural, group)} "${name}" already exists`, { name, group, kind: plural }));
}

/** 409 Conflict on a resourceVersion precondition, worded like the real server. */
export function conflict(plural: string, group: string, name: string): ApiError {
  return new ApiError(
    status(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(plural, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group, kind: plural },
    ),
  );
}

/** 400 BadRequest with a message. */
export function badRequest(message: string): ApiError {
  return new ApiError(status(400, 'BadRequest', message));
}

/** 422 Invalid naming the offending field. */
export function invalid(plural: string, group: string, name: string, field: string, message: string): ApiError {
  const kindName = qualifiedResource(plural, group);
  return new ApiError(
    status(422, 'Invalid', `${kindName} "${name}" is invalid: ${field}: ${message}`, {
      name,
      group,
      kind: plural,
      causes: [{ reason: 'FieldValueInvalid', message, field }],
    }),
  );
}

/** 410 Expired for a resourceVersion older than the compaction point. */
export function tooOldResourceVersion(requested: number, oldest: number): ApiError {
  return new ApiError(status(410, 'Expired', `too old resource version: ${requested} (${oldest})`));
}
