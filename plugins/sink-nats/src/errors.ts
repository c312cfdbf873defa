/**
 * Turns NATS and JetStream client failures into what the core's dispatcher understands:
 *
 * | failure                                                        | class                     |
 * |----------------------------------------------------------------|---------------------------|
 * | no responders (503), ack timeout, disconnected, closed, draining | transient (retried)     |
 * | JetStream API error: 503 or storage full                       | retry-after               |
 * | authorization violation, expired credentials                   | permanent, "authentication failed" |
 * | permission violation (may not publish the subject)             | permanent                 |
 * | wrong stream (Nats-Expected-Stream), no stream binds the subject | permanent (config error) |
 * | message larger than the server's max_payload, invalid subject  | permanent                 |
 * | other JetStream API errors                                     | by status: the core's HTTP table |
 * | anything else                                                  | transient                 |
 *
 * The client's errors are duck-typed on `name` (and the JetStream API `code`/`status`), so an
 * application that bundles another copy of the client is classified the same. Messages are built
 * from the error's name and message, then scrubbed of the credentials in use; the client error
 * is never attached as `cause`.
 */
import { K8streamError, httpStatusClass, redact, sinkError } from '@k8stream/core';
import type { SinkFailureClass } from '@k8stream/core';

/** JetStream API error codes (`err_code`) the sink acts on. */
export const JS_CODES = {
  /** The stream named in Nats-Expected-Stream is not the one that binds the subject. */
  StreamMismatch: 10060,
  StreamNotFound: 10059,
  /** Message size exceeds the stream's max_msg_size. */
  MessageTooLarge: 10054,
  /** Insufficient storage resources. */
  InsufficientResources: 10023,
  StorageResourcesExceeded: 10047,
  /** Stream limits reached with discard: new. */
  MaxMessages: 10077,
  MaxBytes: 10078,
} as const;

/** Client error names a retry may fix: the server is gone, restarting, slow, or JetStream is not up yet. */
export const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'ConnectionError',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'NoRespondersError',
  'RequestError',
  'JetStreamNotEnabled',
  'ProtocolError',
]);

/** What we read from a client error. */
export interface NatsErrorShape {
  name: string | undefined;
  message: string;
  /** JetStream API `err_code`. */
  apiCode: number | undefined;
  /** JetStream API status (HTTP-like: 400, 404, 503). */
  status: number | undefined;
  /** Why the failure is what it is, for the message and the hint. */
  reason: 'auth' | 'permission' | 'no-stream' | 'wrong-stream' | 'too-large' | 'subject' | 'unavailable' | 'other';
}

function field(err: unknown, key: string): unknown {
  if (typeof err !== 'object' || err === null) return undefined;
  try {
    return (err as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Reads the parts of a client error we classify on (the cause chain for RequestError). Never throws. */
export function inspectNatsError(err: unknown): NatsErrorShape {
  const name = typeof field(err, 'name') === 'string' ? (field(err, 'name') as string) : undefined;
  const message = typeof field(err, 'message') === 'string' ? (field(err, 'message') as string) : String(err);
  const code = field(err, 'code');
  const status = field(err, 'status');
  const apiCode = name === 'JetStreamApiError' || name === 'StreamNotFoundError' ? (typeof code === 'number' ? code : undefined) : undefined;
  const shape: NatsErrorShape = { name, message, apiCode, status: apiCode !== undefined && typeof status === 'number' ? status : undefined, reason: 'other' };
  const lower = message.toLowerCase();
  if (name === 'AuthorizationError' || name === 'UserAuthenticationExpiredError' || lower.includes('authorization violation')) shape.reason = 'auth';
  else if (name === 'PermissionViolationError' || lower.includes('permissions violation')) shape.reason = 'permission';
  else if (apiCode === JS_CODES.StreamMismatch) shape.reason = 'wrong-stream';
  else if (apiCode === JS_CODES.StreamNotFound || name === 'StreamNotFoundError') shape.reason = 'no-stream';
  else if (apiCode === JS_CODES.MessageTooLarge || lower.includes('max_payload')) shape.reason = 'too-large';
  else if (name === 'InvalidSubjectError') shape.reason = 'subject';
  else if (name !== undefined && TRANSIENT_NAMES.has(name)) shape.reason = 'unavailable';
  return shape;
}

/** Whether a failure is permanent, throttling, or transient (see the table in the module comment). */
export function classifyNatsError(err: unknown): SinkFailureClass {
  const shape = inspectNatsError(err);
  switch (shape.reason) {
    case 'auth':
    case 'permission':
    case 'no-stream':
    case 'wrong-stream':
    case 'too-large':
    case 'subject':
      return 'permanent';
    case 'unavailable':
      return 'transient';
    case 'other':
      break;
  }
  if (shape.apiCode === JS_CODES.InsufficientResources || shape.apiCode === JS_CODES.StorageResourcesExceeded) return 'retry-after';
  if (shape.apiCode === JS_CODES.MaxMessages || shape.apiCode === JS_CODES.MaxBytes) return 'retry-after';
  if (shape.status !== undefined) return httpStatusClass(shape.status);
  return 'transient';
}

/** A short, safe description: `AuthorizationError: 'Authorization Violation'`. */
export function describeNatsError(err: unknown, secrets: readonly string[] = []): string {
  const { name, message, apiCode } = inspectNatsError(err);
  const head = name !== undefined && name !== 'Error' ? name : '';
  const code = apiCode !== undefined ? ` (JetStream err_code ${apiCode})` : '';
  return redact([head, message].filter((t) => t !== '').join(': ') + code || 'unknown error', secrets);
}

/** Fix hints for the permanent failures users meet most. */
export function hintFor(shape: NatsErrorShape, where: string): string | undefined {
  switch (shape.reason) {
    case 'auth':
      return 'check the credentials in the sink\'s "auth" (user/password, token, nkeySeed or credsFile) and that the server accepts them';
    case 'permission':
      return `grant the user publish permission on ${where} (and on $JS.API.> for the healthcheck)`;
    case 'no-stream':
    case 'wrong-stream':
      return `bind ${where} to the configured stream (its subjects must cover the subject template), or set "stream.create: true"`;
    case 'too-large':
      return "lower batch.maxBytes (publish: batch), or raise the server's max_payload / the stream's max_msg_size";
    default:
      return undefined;
  }
}

/** Whether `err` is an authentication failure. */
export function isAuthError(err: unknown): boolean {
  return inspectNatsError(err).reason === 'auth';
}

/**
 * The error `send` throws for a client failure: PermanentError (with a fix hint; an
 * authentication failure says "authentication failed"), RetryAfterError, or `SINK_TRANSIENT`.
 * Each names the sink and the subject; none carries the client error.
 */
export function toSendError(err: unknown, options: { sink: string; where: string; secrets?: readonly string[] }): K8streamError {
  if (err instanceof K8streamError) return err;
  const { sink, where } = options;
  const shape = inspectNatsError(err);
  const kind = classifyNatsError(err);
  const what = describeNatsError(err, options.secrets);
  const target = { plugin: sink, path: where };
  switch (kind) {
    case 'retry-after':
      return sinkError(kind, `nats sink "${sink}": JetStream is throttling publishes to ${where}: ${what}`, target);
    case 'transient':
      return sinkError(kind, `nats sink "${sink}": publishing to ${where} failed: ${what}`, target);
    case 'permanent': {
      const hint = hintFor(shape, where);
      const head = shape.reason === 'auth' ? 'authentication failed' : `cannot publish to ${where}`;
      return sinkError(kind, `nats sink "${sink}": ${head}: ${what}`, { ...target, ...(hint !== undefined ? { hint } : {}) });
    }
  }
}

/** The error a failed healthcheck throws: SINK_UNHEALTHY, naming the sink, the step and the fix. */
export function toHealthError(err: unknown, options: { sink: string; where: string; step: string; secrets?: readonly string[] }): K8streamError {
  const shape = inspectNatsError(err);
  const hint =
    hintFor(shape, options.where) ?? (shape.reason === 'unavailable' ? 'check "servers" and that the NATS server (with JetStream enabled: -js) is reachable from here' : undefined);
  return new K8streamError('SINK_UNHEALTHY', `nats sink "${options.sink}": ${options.step} failed: ${describeNatsError(err, options.secrets)}`, {
    plugin: options.sink,
    path: options.where,
    ...(hint !== undefined ? { hint } : {}),
  });
}
