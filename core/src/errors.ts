/**
 * One error base class for the whole project. Every error a user can meet carries a stable,
 * machine-readable `code`; messages name the path, field or plugin involved and never contain
 * secrets (callers pass already-redacted details).
 */
export type ErrorCode =
  // configuration
  /** No config file was found: `--config` names a missing file, a package.json has no `k8stream` key, or no `.k8streamrc` exists in the working directory or above. */
  | 'CONFIG_NOT_FOUND'
  /** The config file exists but cannot be read or parsed (YAML/JSON syntax, a module that throws, an unsupported extension, a directory). */
  | 'CONFIG_LOAD_FAILED'
  /** The config does not match the schema; every problem is listed with its path and, for unknown keys, a "did you mean" hint. */
  | 'CONFIG_INVALID'
  /** A `${VAR}` in the config names an environment variable that is not set and has no `:-default`. */
  | 'CONFIG_INTERPOLATION'
  // plugins
  /** A sink or transform named by `use` cannot be resolved; the message lists every candidate tried and the `npm install` command. */
  | 'PLUGIN_NOT_FOUND'
  /** A sink or transform module was found but failed to load (import error, unreadable file, failed download). */
  | 'PLUGIN_LOAD_FAILED'
  /** A module is not a k8stream plugin: a sink without `defineSink`'s shape or with an invalid `apiVersion`, a transform package naming no .wasm module. */
  | 'PLUGIN_INVALID'
  /** A sink was built for a plugin API range this k8stream does not implement. */
  | 'PLUGIN_API_MISMATCH'
  /** A sink's or transform's own `config` failed its validation; every problem is listed with its path. */
  | 'PLUGIN_CONFIG_INVALID'
  // sinks at run time
  /** A sink rejected a batch for good (`PermanentError`: bad request, access denied); the batch is dead-lettered, not retried. */
  | 'SINK_PERMANENT'
  /** A sink asked to be retried later (`RetryAfterError`: throttling, 429, SlowDown); k8stream waits as asked. */
  | 'SINK_RETRY_AFTER'
  /** A sink send failed in a way a retry may fix (5xx without Retry-After, connection reset); retried with backoff. */
  | 'SINK_TRANSIENT'
  /** A send did not answer within the sink's `timeoutMs`; it is retried. */
  | 'SINK_TIMEOUT'
  /** A batch still failed after `retry.maxAttempts`; it is dead-lettered. */
  | 'SINK_RETRIES_EXHAUSTED'
  /** A sink failed its start-up check (e.g. the file sink's directory is not writable). */
  | 'SINK_UNHEALTHY'
  /** Something was pushed to a sink or disk queue after it was closed (during shutdown). */
  | 'SINK_CLOSED'
  // events and sources
  /** An event cannot be mapped to a `k8stream.event/v1` record, or an encoded batch cannot be decoded; the event is dead-lettered. */
  | 'EVENT_INVALID'
  /** The source cannot start or continue: the Kubernetes API is unreachable or refuses the list, the kubeconfig is unusable, the replay file cannot be read. */
  | 'SOURCE_FAILED'
  /** An input file is missing or malformed: a replay file, or the `--event` file of `k8stream transform test`. */
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
  // forensics (query, timeline, report)
  /** A command-line argument of `query`, `timeline` or `report` is invalid: a time that does not parse, a window that ends before it starts or spans more than a year, a malformed `--service`. The message names the argument. */
  | 'ARGUMENT_INVALID'
  /** The archive named by `--archive` or `--sink` (or by an `archive` source) cannot be opened: no such directory, bucket or prefix, a sink whose plugin cannot read back, access denied; for an `archive` source also a window with nothing readable to replay. */
  | 'ARCHIVE_UNAVAILABLE'
  /** Listing or reading the archive failed part-way (network, permissions) and the answer would be partial; nothing is printed. */
  | 'ARCHIVE_READ_FAILED'
  /** The SQL given to `k8stream query` failed (syntax, unknown column); the message is DuckDB's. */
  | 'QUERY_FAILED'
  // generic
  /** A bug or an unexpected state inside k8stream (e.g. encoding a batch failed); please report it. */
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
