/**
 * Errors of Kubernetes API requests. Every failure becomes a {@link KubeApiError}: one line
 * naming the verb and the resource (`cannot list events (core/v1) at the cluster scope: 403
 * Forbidden — …`), the HTTP status (0 when there was no answer), the Status reason, and the
 * `Retry-After` delay when the server gave one. Messages never contain request headers, so
 * they never contain credentials.
 */
import { STATUS_CODES } from '../util/node-http.js';
import { K8streamError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { parseRetryAfter } from '../sink-kit/retry-after.js';

/** What a request is about, derived from its method, path and query. */
export interface RequestDescription {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'request';
  /** Plural resource (`events`, `pods`), or the path when it is not a resource path. */
  resource: string;
  /** `core/v1`, `events.k8s.io/v1`, or '' for non-resource paths. */
  groupVersion: string;
  namespace: string | null;
  name: string | null;
}

/** How a request failed. */
export type KubeErrorKind =
  /** The server answered with a non-2xx status. */
  | 'http'
  /** No answer: connection refused, DNS, reset, TLS. */
  | 'network'
  /** No answer (or no data on a stream) within the deadline. */
  | 'timeout'
  /** An answer that is not what the protocol promises (empty body, invalid JSON). */
  | 'protocol'
  /** The kubeconfig does not allow the request (e.g. plain HTTP without insecure-skip-tls-verify). */
  | 'config';

export interface KubeApiErrorDetails {
  kind: KubeErrorKind;
  /** HTTP status, 0 when there was no HTTP answer. */
  status: number;
  /** Kubernetes Status reason (`Forbidden`, `Expired`), or the socket error code (`ECONNREFUSED`). */
  reason: string;
  /** From `Retry-After` (or Status `details.retryAfterSeconds`), in milliseconds. */
  retryAfterMs: number | null;
  request: RequestDescription;
  cause?: unknown;
  hint?: string;
  code?: ErrorCode;
}

/** A failed Kubernetes API request. */
export class KubeApiError extends K8streamError {
  readonly kind: KubeErrorKind;
  /** HTTP status; 0 when there was no HTTP answer. */
  readonly status: number;
  readonly reason: string;
  readonly retryAfterMs: number | null;
  readonly request: RequestDescription;

  constructor(message: string, details: KubeApiErrorDetails) {
    const options: { cause?: unknown; hint?: string } = {};
    if (details.cause !== undefined) options.cause = details.cause;
    if (details.hint !== undefined) options.hint = details.hint;
    super(details.code ?? 'KUBE_API_FAILED', message, options);
    this.name = 'KubeApiError';
    this.kind = details.kind;
    this.status = details.status;
    this.reason = details.reason;
    this.retryAfterMs = details.retryAfterMs;
    this.request = details.request;
  }

  /** True when retrying cannot help at startup: bad credentials, RBAC, unknown resource, unreachable or untrusted server. */
  get fatalAtStartup(): boolean {
    if (this.kind === 'config') return true;
    if (this.kind === 'http') return [400, 401, 403, 404, 405, 406, 422].includes(this.status);
    if (this.kind === 'network')
      return (
        FATAL_NETWORK.has(this.reason) ||
        this.reason.startsWith('CERT_') ||
        this.reason.startsWith('ERR_TLS') ||
        this.reason.includes('SELF_SIGNED') ||
        this.reason.startsWith('UNABLE_TO_')
      );
    return false;
  }

  /** True for `410 Gone` / `Expired` (resourceVersion or continue token too old). */
  get expired(): boolean {
    return this.status === 410 || this.reason === 'Expired' || this.reason === 'Gone';
  }
}

const FATAL_NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPROTO']);

/** Socket error codes in words. */
const NETWORK_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed',
  ERR_STREAM_PREMATURE_CLOSE: 'connection closed before the answer was complete',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: the server certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS: a self-signed certificate in the chain is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: unable to verify the server certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS: the issuer of the server certificate is not trusted',
  CERT_HAS_EXPIRED: 'TLS: the server certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: the server certificate does not match the host name',
};

/**
 * Derives verb, resource, group/version, namespace and name from a request, for messages:
 * `/api/v1/namespaces/shop/pods/web` → get pods "web" (core/v1) in namespace shop.
 */
export function describeRequest(method: string, path: string, query: Record<string, unknown> = {}): RequestDescription {
  const parts = path
    .split('?')[0]!
    .split('/')
    .filter((p) => p !== '');
  let groupVersion = '';
  let rest: string[] = [];
  if (parts[0] === 'api' && parts.length >= 2) {
    groupVersion = `core/${parts[1]}`;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    groupVersion = `${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  }
  if (rest[0] === 'watch') rest = rest.slice(1);
  let namespace: string | null = null;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] ?? null;
    rest = rest.slice(2);
  }
  if (rest.length === 0) groupVersion = '';
  const resource = groupVersion === '' ? path.split('?')[0]! : rest[0]!;
  const name = groupVersion === '' ? null : (rest[1] ?? null);
  const watching = query['watch'] === true || query['watch'] === 'true' || query['watch'] === '1' || query['watch'] === 1 || path.includes('/watch/');
  const m = method.toUpperCase();
  let verb: RequestDescription['verb'];
  if (groupVersion === '') verb = 'request';
  else if (m === 'GET') verb = watching ? 'watch' : name === null ? 'list' : 'get';
  else if (m === 'POST') verb = 'create';
  else if (m === 'PUT') verb = 'update';
  else if (m === 'PATCH') verb = 'patch';
  else if (m === 'DELETE') verb = 'delete';
  else verb = 'request';
  return { verb, resource, groupVersion, namespace, name };
}

/** `events (core/v1) at the cluster scope`, `pods "web" (core/v1) in namespace "shop"`, or the path. */
export function describeTarget(r: RequestDescription): string {
  if (r.groupVersion === '') return r.resource;
  const what = r.name !== null ? `${r.resource} "${r.name}"` : r.resource;
  const scope = r.namespace !== null ? `in namespace "${r.namespace}"` : r.name !== null ? '' : 'at the cluster scope';
  return `${what} (${r.groupVersion})${scope === '' ? '' : ' ' + scope}`;
}

function head(r: RequestDescription): string {
  return r.verb === 'request' ? `request to ${r.resource} failed` : `cannot ${r.verb} ${describeTarget(r)}`;
}

/** A one-line, bounded excerpt of a server message. */
function oneLine(text: string, max = 400): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

interface StatusLike {
  message?: unknown;
  reason?: unknown;
  code?: unknown;
  details?: { retryAfterSeconds?: unknown } | null;
}

/** The Kubernetes `Status` object in a response body, if it is one. */
export function parseStatus(body: string): StatusLike | null {
  if (body.trim() === '') return null;
  try {
    const v = JSON.parse(body) as unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && (v as { kind?: unknown }).kind === 'Status') return v;
  } catch {
    // not JSON
  }
  return null;
}

/** Error for a non-2xx answer. `body` is the response body (a Status object, usually). */
export function httpError(request: RequestDescription, status: number, body: string, retryAfterHeader: string | undefined, now = Date.now()): KubeApiError {
  const st = parseStatus(body);
  const phrase = STATUS_CODES[status] ?? 'Error';
  const reason = typeof st?.reason === 'string' && st.reason !== '' ? st.reason : phrase.replace(/\s+/g, '');
  const serverMessage = typeof st?.message === 'string' ? st.message : st === null && body.trim() !== '' && body.length < 2000 ? body : '';
  const detail = serverMessage !== '' && oneLine(serverMessage) !== phrase ? ` — ${oneLine(serverMessage)}` : '';
  let retryAfterMs = parseRetryAfter(retryAfterHeader, now) ?? null;
  const bodyRetry = st?.details?.retryAfterSeconds;
  if (retryAfterMs === null && typeof bodyRetry === 'number' && Number.isFinite(bodyRetry) && bodyRetry >= 0) retryAfterMs = bodyRetry * 1000;
  return new KubeApiError(`${head(request)}: ${status} ${phrase}${detail}`, {
    kind: 'http',
    status,
    reason,
    retryAfterMs,
    request,
    ...hintFor(status, request),
  });
}

function hintFor(status: number, r: RequestDescription): { hint?: string } {
  if (status === 401) return { hint: 'the server rejected the credentials: check the kubeconfig user (token, client certificate, exec plugin) or the service account token' };
  if (status === 403 && r.verb !== 'request') {
    const group = r.groupVersion.startsWith('core/') ? '""' : `"${r.groupVersion.split('/')[0]}"`;
    return {
      hint: `grant the verb "${r.verb}" on "${r.resource}" in API group ${group}${r.namespace !== null ? ` in namespace "${r.namespace}"` : ' (a ClusterRole)'} to k8stream's user or service account`,
    };
  }
  if (status === 404 && r.verb !== 'request') return { hint: `the server does not serve ${r.resource} in ${r.groupVersion}; check source.api or the cluster version` };
  return {};
}

/** Error for a request that got no (complete) answer. */
export function networkError(request: RequestDescription, server: string, err: unknown): KubeApiError {
  const code = errorCode(err);
  const words = NETWORK_WORDS[code] ?? (err instanceof Error ? oneLine(err.message, 200) : String(err));
  const what =
    code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
      ? `cannot connect to ${server}`
      : `no complete answer from ${server}`;
  const hint =
    code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? 'check that the cluster is running and that the kubeconfig server URL (or KUBERNETES_SERVICE_HOST) points to it'
      : code.startsWith('CERT_') || code.includes('SELF_SIGNED') || code.startsWith('UNABLE_TO_') || code.startsWith('ERR_TLS')
        ? "the kubeconfig's certificate-authority does not match the server; TLS verification stays on unless the cluster entry sets insecure-skip-tls-verify: true"
        : undefined;
  return new KubeApiError(`${head(request)}: ${what} — ${words}${code !== '' && !words.includes(code) ? ` (${code})` : ''}`, {
    kind: 'network',
    status: 0,
    reason: code === '' ? 'NetworkError' : code,
    retryAfterMs: null,
    request,
    cause: err,
    ...(hint !== undefined ? { hint } : {}),
  });
}

/** Error for a request (or stream) that got no data within `ms`. */
export function timeoutError(request: RequestDescription, server: string, ms: number | null, stage: 'answer' | 'data'): KubeApiError {
  const within = ms === null ? 'in time' : `within ${formatMs(ms)}`;
  const what = stage === 'answer' ? `no answer from ${server} ${within}` : `no data from ${server} ${ms === null ? 'in time' : `for ${formatMs(ms)}`} (stalled stream)`;
  return new KubeApiError(`${head(request)}: ${what}`, { kind: 'timeout', status: 0, reason: 'Timeout', retryAfterMs: null, request });
}

/** Error for an answer that breaks the protocol (empty or invalid body). */
export function protocolError(request: RequestDescription, status: number, problem: string, reason = 'InvalidResponse'): KubeApiError {
  return new KubeApiError(`${head(request)}: ${status} ${STATUS_CODES[status] ?? ''} — ${problem}`.replace(/ {2,}/g, ' '), {
    kind: 'protocol',
    status,
    reason,
    retryAfterMs: null,
    request,
  });
}

/** Error for a request the kubeconfig does not allow. */
export function configError(request: RequestDescription, problem: string, hint?: string, cause?: unknown): KubeApiError {
  return new KubeApiError(`${head(request)}: ${oneLine(problem, 300)}`, {
    kind: 'config',
    status: 0,
    reason: 'ConfigError',
    retryAfterMs: null,
    request,
    ...(hint !== undefined ? { hint } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** Error for a watch `ERROR` event carrying a Status. */
export function statusEventError(request: RequestDescription, status: StatusLike): KubeApiError {
  const code = typeof status.code === 'number' ? status.code : 500;
  const reason = typeof status.reason === 'string' && status.reason !== '' ? status.reason : 'InternalError';
  const message = typeof status.message === 'string' ? oneLine(status.message) : 'no message';
  return new KubeApiError(`${head(request)}: watch ERROR ${code} ${reason} — ${message}`, { kind: 'http', status: code, reason, retryAfterMs: null, request });
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause !== undefined && cause !== err) return errorCode(cause);
  return '';
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
