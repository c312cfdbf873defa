/**
 * A thin Kubernetes HTTP client: raw JSON in and out (string timestamps, unknown fields kept),
 * and watch streams read line by line with backpressure (nothing is read while the caller does
 * not pull). Connection settings and credentials come from @kubernetes/client-node's
 * `KubeConfig.applyToHTTPSOptions` (tokens, token files, client certificates, exec plugins,
 * OIDC, proxies); TLS verification stays on unless the kubeconfig's cluster entry sets
 * `insecure-skip-tls-verify: true`. Every failure is a {@link KubeApiError}.
 */
import { http } from '../util/node-http.js';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
// dist/config.js, not the package index: the index loads the whole generated API (see util/lean-client-node.ts).
import { bufferFromFileOrString } from '@kubernetes/client-node/dist/config.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { errorMessage } from '../errors.js';
import { configError, describeRequest, httpError, KubeApiError, networkError, protocolError, timeoutError } from './api-error.js';
import type { RequestDescription } from './api-error.js';
import { LineSplitter } from './lines.js';
import { loadKubeConfig } from './kubeconfig.js';
import type { LoadKubeConfigOptions } from './kubeconfig.js';

/** Query parameters; `undefined` values are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** Options of a streaming request. */
export interface StreamOptions {
  /**
   * Fail with a `timeout` KubeApiError when the server sends no response headers, or no data
   * while the caller is waiting for the next line, for this long. Time the caller spends not
   * pulling does not count. @default 0 (none)
   */
  idleTimeoutMs?: number;
}

/** An open line stream (HTTP 200 received). Iterate it once; `close()` drops the connection. */
export interface LineStream extends AsyncIterable<string> {
  readonly status: number;
  /**
   * The same lines, in the groups they arrived in (one group per network read): a busy watch
   * then costs one await per read instead of one per event.
   */
  groups(): AsyncIterable<readonly string[]>;
  close(): void;
}

/** The client every cluster-facing component shares (the list+watch engine, enrichment lookups). */
export interface KubeClient {
  /** API server base URL (`https://10.0.0.1:443`). */
  readonly server: string;
  /** Where the settings came from (`kubeconfig /x (context y)`, `in-cluster service account`). */
  readonly origin: string;
  /** GET and parse JSON. */
  getJSON(path: string, query?: Query, signal?: AbortSignal): Promise<unknown>;
  /** Any method with an optional JSON body (PATCH sends `application/merge-patch+json`). */
  requestJSON(method: string, path: string, body?: unknown, query?: Query, signal?: AbortSignal): Promise<unknown>;
  /** A GET whose body is newline-delimited (a watch); resolves once the server answered 200. */
  openLines(path: string, query: Query, signal: AbortSignal, options?: StreamOptions): Promise<LineStream>;
  /** Same as `openLines`, as a plain async iterable of lines. */
  streamLines(path: string, query: Query, signal: AbortSignal, options?: StreamOptions): AsyncIterable<string>;
  /** Drops idle keep-alive connections. */
  close(): void;
}

export interface KubeClientOptions {
  /** Deadline of a whole `getJSON`/`requestJSON` request (headers and body). @default 60000 */
  requestTimeoutMs?: number;
  /** Sent as User-Agent. @default "k8stream" */
  userAgent?: string;
  /** Shown in `origin`. */
  origin?: string;
  /**
   * Instrumentation (metrics): called once per request when its answer's status is known, or
   * when it failed without one (`status: null`: network error, timeout, abort). For streams,
   * when the stream opened or failed to. Errors it throws are ignored.
   */
  onResponse?: (info: { method: string; path: string; query: Query; status: number | null }) => void;
}

/**
 * Creates a client from the kubeconfig path and context (see `loadKubeConfig` for the lookup
 * order: explicit path → in-cluster → KUBECONFIG / ~/.kube/config).
 */
export function createKubeClient(opts: LoadKubeConfigOptions & KubeClientOptions): KubeClient {
  const { kc, origin } = loadKubeConfig(opts);
  return createKubeClientFromKubeConfig(kc, { ...opts, origin });
}

/** Creates a client from an already loaded KubeConfig (its current context). */
export function createKubeClientFromKubeConfig(kc: KubeConfig, opts: KubeClientOptions = {}): KubeClient {
  return new HttpKubeClient(kc, opts);
}

const MAX_ERROR_BODY = 64 * 1024;

class HttpKubeClient implements KubeClient {
  readonly server: string;
  readonly origin: string;
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;
  private readonly onResponse: KubeClientOptions['onResponse'];
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  constructor(
    private readonly kc: KubeConfig,
    opts: KubeClientOptions,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster)
      throw new KubeApiError('no current cluster in the kubeconfig', {
        kind: 'config',
        status: 0,
        reason: 'ConfigError',
        retryAfterMs: null,
        request: describeRequest('GET', '/'),
      });
    this.server = cluster.server.replace(/\/+$/, '');
    this.origin = opts.origin ?? 'kubeconfig';
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.userAgent = opts.userAgent ?? 'k8stream';
    this.onResponse = opts.onResponse;
  }

  private observe(method: string, path: string, query: Query, status: number | null): void {
    if (this.onResponse === undefined) return;
    try {
      this.onResponse({ method, path, query, status });
    } catch {
      // instrumentation only
    }
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  getJSON(path: string, query: Query = {}, signal?: AbortSignal): Promise<unknown> {
    return this.requestJSON('GET', path, undefined, query, signal);
  }

  async requestJSON(method: string, path: string, body?: unknown, query: Query = {}, signal?: AbortSignal): Promise<unknown> {
    const request = describeRequest(method, path, query);
    const deadline = new Deadline(signal, this.requestTimeoutMs);
    deadline.arm();
    let answered: number | null = null;
    try {
      const res = await this.send(method, path, query, body, deadline.signal, request);
      answered = res.statusCode ?? null;
      const text = await readAll(res, res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300 ? Infinity : MAX_ERROR_BODY);
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) throw httpError(request, status, text, header(res, 'retry-after'));
      if (text.trim() === '') throw protocolError(request, status, 'empty response body', 'EmptyResponse');
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw protocolError(request, status, `invalid JSON in the response: ${errorMessage(err)}`);
      }
    } catch (err) {
      throw this.mapError(err, request, deadline, 'answer', signal);
    } finally {
      deadline.clear();
      this.observe(method, path, query, answered);
    }
  }

  async openLines(path: string, query: Query, signal: AbortSignal, options: StreamOptions = {}): Promise<LineStream> {
    const request = describeRequest('GET', path, query);
    const idle = options.idleTimeoutMs ?? 0;
    const deadline = new Deadline(signal, idle);
    deadline.arm();
    let res: IncomingMessage;
    let answered = false;
    try {
      res = await this.send('GET', path, query, undefined, deadline.signal, request);
      const status = res.statusCode ?? 0;
      answered = true;
      this.observe('GET', path, query, res.statusCode ?? null);
      if (status !== 200) {
        const text = await readAll(res, MAX_ERROR_BODY);
        throw httpError(request, status, text, header(res, 'retry-after'));
      }
    } catch (err) {
      deadline.clear();
      if (!answered) this.observe('GET', path, query, null);
      throw this.mapError(err, request, deadline, 'answer', signal);
    }
    // The caller's signal keeps aborting the stream (and a pending read) until it is closed.
    deadline.disarm();
    return new HttpLineStream(res, deadline, (err, stage) => this.mapError(err, request, deadline, stage, signal));
  }

  async *streamLines(path: string, query: Query, signal: AbortSignal, options: StreamOptions = {}): AsyncIterable<string> {
    const stream = await this.openLines(path, query, signal, options);
    try {
      yield* stream;
    } finally {
      stream.close();
    }
  }

  /** Sends a request and resolves with the response (any status). */
  private async send(method: string, path: string, query: Query, body: unknown, signal: AbortSignal, request: RequestDescription): Promise<IncomingMessage> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const opts: https.RequestOptions = {};
    try {
      await this.kc.applyToHTTPSOptions(opts);
    } catch (err) {
      const msg = errorMessage(err);
      const plainHttp = /HTTP protocol is not allowed/i.test(msg);
      throw configError(
        request,
        plainHttp
          ? `the server ${this.server} uses plain HTTP, which the kubeconfig allows only with insecure-skip-tls-verify: true`
          : `cannot prepare credentials (${this.origin}): ${msg}`,
        plainHttp ? 'use https, or set insecure-skip-tls-verify: true on the cluster entry (only for local test clusters)' : undefined,
        err,
      );
    }
    const cluster = this.kc.getCurrentCluster();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    headers['Accept'] = 'application/json';
    headers['User-Agent'] = this.userAgent;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = method.toUpperCase() === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const isHttps = url.protocol === 'https:';
    const ca = opts.ca ?? (cluster ? (bufferFromFileOrString(cluster.caFile, cluster.caData) ?? undefined) : undefined);
    const reqOpts: https.RequestOptions = {
      method,
      headers,
      signal,
      // A proxy needs client-node's proxy agent; otherwise our keep-alive agents.
      agent: cluster?.proxyUrl ? opts.agent : isHttps ? this.agents.https : this.agents.http,
    };
    if (opts.auth !== undefined) reqOpts.auth = opts.auth;
    if (isHttps) {
      reqOpts.rejectUnauthorized = cluster?.skipTLSVerify !== true;
      if (ca !== undefined) reqOpts.ca = ca;
      if (opts.cert !== undefined) reqOpts.cert = opts.cert;
      if (opts.key !== undefined) reqOpts.key = opts.key;
      if (opts.pfx !== undefined) reqOpts.pfx = opts.pfx;
      if (opts.passphrase !== undefined) reqOpts.passphrase = opts.passphrase;
      if (opts.servername !== undefined) reqOpts.servername = opts.servername;
    }
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = (isHttps ? https : http).request(url, reqOpts);
      req.once('response', resolve);
      req.once('error', reject);
      req.end(payload);
    });
  }

  private mapError(err: unknown, request: RequestDescription, deadline: Deadline, stage: 'answer' | 'data', callerSignal: AbortSignal | undefined): unknown {
    if (err instanceof KubeApiError) return err;
    if (deadline.timedOut) return timeoutError(request, this.server, deadline.ms, stage);
    if (callerSignal?.aborted) {
      const reason: unknown = callerSignal.reason;
      // A deadline the caller set (AbortSignal.timeout) is a timeout like ours.
      if (reason instanceof DOMException && reason.name === 'TimeoutError') return timeoutError(request, this.server, null, stage);
      return reason ?? err;
    }
    return networkError(request, this.server, err);
  }
}

/**
 * An AbortSignal following the caller's signal plus an optional (re-armable) timeout. It is
 * combined with `AbortSignal.any`, so no listener is added to the caller's signal: many
 * concurrent requests may share one long-lived signal.
 */
class Deadline {
  readonly signal: AbortSignal;
  timedOut = false;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    parent: AbortSignal | undefined,
    readonly ms: number,
  ) {
    this.signal = parent ? AbortSignal.any([parent, this.controller.signal]) : this.controller.signal;
  }

  arm(): void {
    if (this.ms <= 0 || this.signal.aborted) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new DOMException('timed out', 'TimeoutError'));
    }, this.ms);
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops the timer (the request is over). */
  clear(): void {
    this.disarm();
  }

  /** Aborts the request (closing a stream). */
  abort(): void {
    this.disarm();
    if (!this.controller.signal.aborted) this.controller.abort();
  }
}

class HttpLineStream implements LineStream {
  readonly status = 200;
  private closed = false;

  constructor(
    private readonly res: IncomingMessage,
    private readonly deadline: Deadline,
    private readonly mapError: (err: unknown, stage: 'answer' | 'data') => unknown,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deadline.abort();
    this.res.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for await (const group of this.groups()) yield* group;
  }

  async *groups(): AsyncIterable<readonly string[]> {
    const splitter = new LineSplitter();
    const chunks = this.res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      for (;;) {
        let next: IteratorResult<Buffer>;
        // Only time spent waiting for the server counts towards the idle timeout.
        this.deadline.arm();
        try {
          next = await chunks.next();
        } catch (err) {
          throw this.mapError(err, 'data');
        } finally {
          this.deadline.disarm();
        }
        if (next.done) break;
        const lines = splitter.push(next.value);
        if (lines.length > 0) yield lines;
      }
      // A response cut short (reset) may end the iterator without an error: check completeness.
      if (!this.res.complete && !this.closed) throw this.mapError(Object.assign(new Error('connection closed before the end of the stream'), { code: 'ECONNRESET' }), 'data');
      const last = splitter.end();
      if (last.length > 0) yield last;
    } finally {
      this.close();
    }
  }
}

function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads a whole body as UTF-8 (at most `max` bytes are kept). */
async function readAll(res: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (size < max) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}
