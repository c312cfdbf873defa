/**
 * One error base class for the whole project. Every error a user can meet carries a stable,
 * machine-readable `code`; messages name the path, field or plugin involved and never contain
 * secrets (callers pass already-redacted details).
 */
export type ErrorCode =
  // configuration
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_LOAD_FAILED'
  | 'CONFIG_INVALID'
  | 'CONFIG_INTERPOLATION'
  // plugins
  | 'PLUGIN_NOT_FOUND'
  | 'PLUGIN_LOAD_FAILED'
  | 'PLUGIN_INVALID'
  | 'PLUGIN_API_MISMATCH'
  | 'PLUGIN_CONFIG_INVALID'
  // sinks at run time
  | 'SINK_PERMANENT'
  | 'SINK_RETRY_AFTER'
  /** A sink send failed in a way a retry may fix (5xx without Retry-After, connection reset); retried with backoff. */
  | 'SINK_TRANSIENT'
  | 'SINK_TIMEOUT'
  | 'SINK_RETRIES_EXHAUSTED'
  | 'SINK_UNHEALTHY'
  | 'SINK_CLOSED'
  // events and sources
  | 'EVENT_INVALID'
  | 'SOURCE_FAILED'
  | 'SOURCE_INPUT_INVALID'
  /** A Kubernetes API request failed (HTTP status, connection, TLS or timeout). */
  | 'KUBE_API_FAILED'
  // transforms
  /** A transform failed under `onError: fail`: k8stream stops. */
  | 'TRANSFORM_FAILED'
  /** A transform module cannot be used (missing export, unknown imports, memory above its cap). */
  | 'TRANSFORM_INVALID'
  /** An https transform module does not match its pinned sha256. */
  | 'TRANSFORM_HASH_MISMATCH'
  /** A transform call exceeded its `timeoutMs`; the worker running it was terminated. */
  | 'TRANSFORM_TIMEOUT'
  /** A transform call trapped (unreachable, out of bounds, memory cap) or crashed its worker. */
  | 'TRANSFORM_TRAP'
  /** A transform reported an error through Extism's error channel. */
  | 'TRANSFORM_ERROR'
  /** A transform returned something that is not empty, a record, or an array of records. */
  | 'TRANSFORM_OUTPUT_INVALID'
  /** `k8stream transform new` cannot create the project (invalid name, directory not empty). */
  | 'TRANSFORM_SCAFFOLD_FAILED'
  // delivery guarantees
  /** A sink's disk buffer directory cannot be created, written or synced. */
  | 'BUFFER_UNAVAILABLE'
  /** The resume point cannot be read or saved (`state.dir` or the Lease annotation). */
  | 'STATE_UNAVAILABLE'
  /** This replica lost the leader Lease while streaming; it stopped so the new leader can take over. */
  | 'LEADERSHIP_LOST'
  // generic
  | 'SHUTDOWN_TIMEOUT'
  | 'INTERNAL';

export interface K8streamErrorOptions {
  cause?: unknown;
  /** Config path (`sinks[1].batch.maxEvents`), file path, or record id the error is about. */
  path?: string;
  /** Plugin (sink or transform) the error is about. */
  plugin?: string;
  /** A hint telling the user how to fix it. */
  hint?: string;
}

export class K8streamError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly plugin: string | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: K8streamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'K8streamError';
    this.code = code;
    this.path = options.path;
    this.plugin = options.plugin;
    this.hint = options.hint;
  }

  /** One line for users: `[CODE] message (hint)`. */
  toUserString(): string {
    return `[${this.code}] ${this.message}${this.hint ? `\n  hint: ${this.hint}` : ''}`;
  }
}

/** A sink failure that will not succeed on retry (bad request, access denied). The batch is dead-lettered. */
export class PermanentError extends K8streamError {
  constructor(message: string, options: K8streamErrorOptions = {}) {
    super('SINK_PERMANENT', message, options);
    this.name = 'PermanentError';
  }
}

/** A sink asks to be retried no sooner than `retryAfterMs` (throttling, 429, SlowDown). */
export class RetryAfterError extends K8streamError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options: K8streamErrorOptions = {}) {
    super('SINK_RETRY_AFTER', message, options);
    this.name = 'RetryAfterError';
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }
}

/** One entry of a validation failure: where, and what is wrong. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Every validation problem at once (config or plugin config). */
export class ValidationError extends K8streamError {
  readonly issues: readonly ValidationIssue[];
  constructor(
    code: 'CONFIG_INVALID' | 'CONFIG_INTERPOLATION' | 'PLUGIN_CONFIG_INVALID',
    issues: readonly ValidationIssue[],
    options: K8streamErrorOptions & { source?: string } = {},
  ) {
    const where = options.source ? ` in ${options.source}` : '';
    const head = `${issues.length} configuration error${issues.length === 1 ? '' : 's'}${where}:`;
    super(code, [head, ...issues.map((i) => `  ${i.path}: ${i.message}`)].join('\n'), options);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

export function isK8streamError(err: unknown): err is K8streamError {
  return err instanceof K8streamError;
}

/** Message of any thrown value, without stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
