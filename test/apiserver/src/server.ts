/**
 * The HTTP(S) server: discovery, REST verbs on the store, list/watch, Table output, auth,
 * RBAC, fault injection and counters. `startApiServer` is the entry point.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { checkBearer, forbidden, Rbac } from './auth.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.js';
import { Faults, matchesRequest, type Fault, type FaultMatcher, type RequestInfo } from './faults.js';
import { kubeconfigText, writeKubeconfigFile, type KubeconfigOptions } from './kubeconfig.js';
import { listPage } from './list.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import { route } from './route.js';
import { andPredicates, compileFieldSelector, compileLabelSelector, type KubeObject, type Predicate } from './selectors.js';
import { Stats } from './stats.js';
import { ApiError, badRequest, reasonForCode, status, type Status } from './status.js';
import { Store, type ObjectRef } from './store.js';
import { buildTable, negotiate, type IncludeObject, type Negotiated } from './table.js';
import { tlsMaterial } from './tls.js';
import { resetSocket, WatchSession, type StreamFault, type WatchStart } from './watch.js';

/** Options of {@link startApiServer}. */
export interface ApiServerOptions {
  /** Serve HTTPS with a generated CA (see `ca`). @default false */
  https?: boolean;
  /** @default "127.0.0.1" */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /** Require `Authorization: Bearer <token>` on everything but /version and health checks. */
  token?: string;
  /** User name in 403 messages. @default "system:serviceaccount:k8stream:k8stream" with a token, else "system:anonymous" */
  user?: string;
  /** Revisions of history kept (watch replay, continue tokens). @default 50000 */
  compactionWindow?: number;
  /** Server-side watch timeout when the client sends no `timeoutSeconds`. @default 1800 */
  watchTimeoutSeconds?: number;
  /** Interval of BOOKMARK events on watches with `allowWatchBookmarks=true`. @default 1000 */
  bookmarkIntervalMs?: number;
  /** `gitVersion` served at /version (kubectl's dispatcher picks a client from it). @default "v1.32.0" */
  version?: string;
  /** Use this store instead of a new one (e.g. to restart a server on the same state). */
  store?: Store;
  /** Clock for timestamps and Table ages. @default () => new Date() */
  now?: () => Date;
  /** Largest accepted request body. @default 16 MiB */
  maxBodyBytes?: number;
}

/** A running API-server double. */
export interface ApiServerDouble {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  readonly url: string;
  readonly https: boolean;
  /** CA certificate (PEM) for HTTPS; undefined for HTTP. */
  readonly ca: string | undefined;
  readonly store: Store;
  readonly faults: Faults;
  readonly stats: Stats;
  readonly rbac: Rbac;
  /** The user named in 403 messages. */
  readonly user: string;
  /** Kubeconfig YAML for this server; `token` defaults to the server's token. */
  kubeconfig(opts?: KubeconfigOptions): string;
  /** Writes `<dir>/kubeconfig` and returns its path. */
  writeKubeconfig(dir: string, opts?: KubeconfigOptions): Promise<string>;
  /** Drops history up to `toRv` (default: now); older watches and continue tokens get 410. */
  compact(toRv?: number): void;
  /** Ends every open watch stream cleanly (clients see the stream close). */
  closeWatches(): void;
  /** Stops the server: ends watches, drops every connection. */
  close(): Promise<void>;
}

/** Starts a server (HTTP, or HTTPS with a freshly generated CA). */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServerDouble> {
  const tls = options.https ? await tlsMaterial() : undefined;
  const impl = new ApiServerImpl(options, tls?.ca);
  const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createHttpServer();
  await impl.listen(server, options.host ?? '127.0.0.1', options.port ?? 0);
  return impl;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' } as const;

class ApiServerImpl implements ApiServerDouble {
  readonly https: boolean;
  readonly ca: string | undefined;
  readonly store: Store;
  readonly faults = new Faults({ inject: (m, f) => this.inject(m, f), heal: () => this.heal() });
  readonly stats = new Stats();
  readonly rbac = new Rbac();
  readonly user: string;
  url = '';
  private server: Server | undefined;
  private readonly token: string | undefined;
  private readonly watchTimeoutMs: number;
  private readonly bookmarkIntervalMs: number;
  private readonly version: string;
  private readonly now: () => Date;
  private readonly maxBody: number;
  private readonly sessions = new Map<WatchSession, RequestInfo>();
  private readonly sleepers = new Set<() => void>();
  /** Requests held by a `silent` fault: woken when it ends (heal) or the server closes. */
  private readonly silenced = new Set<() => void>();
  private closing = false;

  constructor(o: ApiServerOptions, ca: string | undefined) {
    this.https = o.https === true;
    this.ca = ca;
    this.now = o.now ?? (() => new Date());
    const storeOpts: { compactionWindow?: number; now: () => Date } = { now: this.now };
    if (o.compactionWindow !== undefined) storeOpts.compactionWindow = o.compactionWindow;
    this.store = o.store ?? new Store(storeOpts);
    this.token = o.token;
    this.user = o.user ?? (o.token !== undefined ? 'system:serviceaccount:k8stream:k8stream' : 'system:anonymous');
    this.watchTimeoutMs = (o.watchTimeoutSeconds ?? 1800) * 1000;
    this.bookmarkIntervalMs = o.bookmarkIntervalMs ?? 1000;
    this.version = o.version ?? 'v1.32.0';
    this.maxBody = o.maxBodyBytes ?? 16 * 1024 * 1024;
  }

  listen(server: Server, host: string, port: number): Promise<void> {
    this.server = server;
    server.keepAliveTimeout = 30_000;
    server.requestTimeout = 0;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address() as AddressInfo;
        const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        this.url = `${this.https ? 'https' : 'http'}://${h}:${addr.port}`;
        resolve();
      });
    });
  }

  kubeconfig(opts: KubeconfigOptions = {}): string {
    const o = { ...opts };
    if (!('token' in opts) && this.token !== undefined) o.token = this.token;
    return kubeconfigText(this.url, this.ca, o);
  }

  writeKubeconfig(dir: string, opts: KubeconfigOptions = {}): Promise<string> {
    return writeKubeconfigFile(dir, this.kubeconfig(opts));
  }

  compact(toRv?: number): void {
    this.store.compact(toRv);
  }

  closeWatches(): void {
    for (const s of [...this.sessions.keys()]) s.close();
  }

  /** A storm's live fault: acts now on the open watches `matcher` selects. */
  private inject(matcher: FaultMatcher, f: Fault): number {
    const kind = f.type === 'closeStream' || f.type === 'reset' || f.type === 'error410' || f.type === 'silent' ? f.type : undefined;
    if (kind === undefined) return 0;
    let hit = 0;
    for (const [session, info] of [...this.sessions]) {
      if (session.isEnded || !matchesRequest(matcher, info)) continue;
      session.inject({ kind, afterEvents: 0, ...(f.type === 'silent' && f.ms !== undefined ? { silentMs: f.ms } : {}) });
      hit++;
    }
    return hit;
  }

  /** A storm is over: silences end, faults waiting on open streams are dropped. */
  private heal(): void {
    for (const session of [...this.sessions.keys()]) session.heal();
    for (const wake of [...this.silenced]) wake();
  }

  /** Holds a request for `ms` (default: until healed or the server closes). */
  private silence(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        this.silenced.delete(wake);
        resolve();
      };
      const t = ms !== undefined && Number.isFinite(ms) ? setTimeout(wake, ms) : undefined;
      this.silenced.add(wake);
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.faults.clear(); // storms end: no timer outlives the server
    this.closeWatches();
    for (const wake of [...this.sleepers]) wake();
    for (const wake of [...this.silenced]) wake();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  // ------------------------------------------------------------------ plumbing

  private sendJson(res: ServerResponse, code: number, body: string, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(code, { ...JSON_HEADERS, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  private sendStatus(res: ServerResponse, s: Status, headers: Record<string, string> = {}): void {
    this.sendJson(res, s.code, JSON.stringify(s), headers);
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (err instanceof ApiError) {
      const headers: Record<string, string> = {};
      const retry = err.status.details?.retryAfterSeconds;
      if (retry !== undefined) headers['Retry-After'] = String(retry);
      this.sendStatus(res, err.status, headers);
      return;
    }
    const msg = err instanceof Error ? err.message : String(err);
    this.sendStatus(res, status(500, 'InternalError', `Internal error occurred: ${msg}`));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private async readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.maxBody) throw new ApiError(status(413, 'BadRequest', 'Request entity too large: limit is ' + this.maxBody));
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') throw badRequest('the request body is empty');
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ dispatch

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://double.invalid');
    const r = route(method, url);
    const info: RequestInfo =
      r.kind === 'resource' || r.kind === 'methodNotAllowed' ? r.info : { verb: 'discovery', method, path: url.pathname, query: url.searchParams, resource: '' };
    res.on('close', () => this.stats.record(info.verb, info.resource, res.headersSent ? res.statusCode : 0));

    if (r.kind === 'version') return this.sendJson(res, 200, JSON.stringify(versionInfo(this.version)));
    if (r.kind === 'health') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const authErr = checkBearer(this.token, req.headers.authorization);
    if (authErr) return this.sendStatus(res, authErr.status);
    if (r.kind === 'resource') {
      const denied = this.rbac.check(info, this.user);
      if (denied) return this.sendStatus(res, denied.status);
    }

    const streamFault = await this.applyFault(info, res);
    if (streamFault === 'handled') return;

    switch (r.kind) {
      case 'api':
        return this.sendJson(res, 200, JSON.stringify(apiVersions(req.headers.host ?? '127.0.0.1')));
      case 'apis':
        return this.sendJson(res, 200, JSON.stringify(apiGroupList()));
      case 'group': {
        const g = apiGroup(r.group);
        return g ? this.sendJson(res, 200, JSON.stringify(g)) : this.notFound(res);
      }
      case 'resourceList': {
        const l = apiResourceList(r.group, r.version);
        return l ? this.sendJson(res, 200, JSON.stringify(l)) : this.notFound(res);
      }
      case 'notFound':
        return this.notFound(res);
      case 'methodNotAllowed':
        return this.sendStatus(res, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
      case 'resource':
        return this.handleResource(req, res, r.info, streamFault);
    }
  }

  private notFound(res: ServerResponse): void {
    this.sendStatus(res, status(404, 'NotFound', 'the server could not find the requested resource', {}));
  }

  /**
   * Takes the queued fault for a request and applies it. Returns 'handled' when the request
   * is answered (or deliberately not), a stream fault for the watch to apply, or undefined.
   */
  private async applyFault(info: RequestInfo, res: ServerResponse): Promise<'handled' | StreamFault | undefined> {
    let f: Fault | undefined = this.faults.take(info);
    if (f?.type === 'delay') {
      await this.sleep(f.ms);
      if (this.closing || res.destroyed) return 'handled';
      f = this.faults.take(info, true);
    }
    if (!f) return undefined;
    const watch = info.verb === 'watch';
    const socket = res.socket;
    switch (f.type) {
      case 'http':
        this.sendStatus(res, this.faultStatus(info, f), f.status === 429 ? { 'Retry-After': String(f.retryAfterSeconds ?? 1) } : {});
        return 'handled';
      case 'empty200':
        res.writeHead(200, { ...JSON_HEADERS, 'Content-Length': '0' });
        res.end();
        return 'handled';
      case 'stall':
        if (watch && f.afterEvents !== undefined) return { kind: 'stall', afterEvents: f.afterEvents };
        return 'handled';
      case 'silent':
        if (watch) return { kind: 'silent', afterEvents: f.afterEvents ?? 0, ...(f.ms !== undefined ? { silentMs: f.ms } : {}) };
        await this.silence(f.ms);
        return this.closing || res.destroyed ? 'handled' : undefined;
      case 'reset':
        if (watch && f.afterEvents !== undefined) return { kind: 'reset', afterEvents: f.afterEvents };
        if (socket) resetSocket(socket);
        return 'handled';
      case 'closeStream':
        if (watch) return { kind: 'closeStream', afterEvents: f.afterEvents ?? 0 };
        socket?.end();
        return 'handled';
      case 'error410':
        if (watch) return { kind: 'error410', afterEvents: f.afterEvents ?? 0 };
        this.sendStatus(res, status(410, 'Expired', `too old resource version: ${info.query.get('resourceVersion') ?? '0'} (${this.store.resourceVersion})`));
        return 'handled';
      case 'delay':
        return undefined; // delays were taken (and waited out) above
    }
  }

  private faultStatus(info: RequestInfo, f: Extract<Fault, { type: 'http' }>): Status {
    const code = f.status;
    if (code === 403 && f.message === undefined && info.type) return forbidden(info, this.user).status;
    const defaults: Record<number, string> = {
      401: 'Unauthorized',
      404: 'the server could not find the requested resource',
      410: `too old resource version: ${info.query.get('resourceVersion') ?? '0'} (${this.store.resourceVersion})`,
      429: 'Too many requests, please try again later.',
      500: 'Internal error occurred: injected fault',
      503: 'the server is currently unable to handle the request',
    };
    const s = status(code, f.reason ?? reasonForCode(code), f.message ?? defaults[code] ?? `injected fault: HTTP ${code}`);
    if (code === 429) s.details = { retryAfterSeconds: f.retryAfterSeconds ?? 1 };
    return s;
  }

  private async handleResource(req: IncomingMessage, res: ServerResponse, info: RequestInfo, streamFault: StreamFault | undefined): Promise<void> {
    const t = info.type!;
    const accept = negotiate(req.headers.accept);
    if (accept.kind === 'none' && (info.verb === 'get' || info.verb === 'list' || info.verb === 'watch')) {
      return this.sendStatus(res, status(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io`));
    }
    const ref: ObjectRef = { name: info.name ?? '' };
    if (info.namespace !== undefined) ref.namespace = info.namespace;
    switch (info.verb) {
      case 'list':
        return this.list(res, t, info, accept);
      case 'watch':
        return this.watch(res, t, info, accept, streamFault);
      case 'get': {
        const s = this.store.getObject(t, ref);
        return this.sendObject(res, 200, t, s.rv, this.store.view(s, t), accept, info);
      }
      case 'create': {
        if (t.namespaced && info.namespace === undefined) {
          return this.sendStatus(res, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
        }
        const body = asObject(await this.readBody(req));
        const meta = body.metadata ?? {};
        if (typeof meta['resourceVersion'] === 'string' && meta['resourceVersion'] !== '') {
          throw badRequest('resourceVersion should not be set on objects to be created');
        }
        const { uid: _u, creationTimestamp: _c, resourceVersion: _r, ...keep } = meta;
        const s = this.store.createObject(t, { ...body, metadata: keep }, info.namespace);
        return this.sendObject(res, 201, t, s.rv, this.store.view(s, t), accept, info);
      }
      case 'update': {
        const body = asObject(await this.readBody(req));
        const s = this.store.updateObject(t, body, ref);
        return this.sendObject(res, 200, t, s.rv, this.store.view(s, t), accept, info);
      }
      case 'patch': {
        const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        let kind: 'merge' | 'json';
        if (ct === 'application/merge-patch+json' || ct === 'application/strategic-merge-patch+json') kind = 'merge';
        else if (ct === 'application/json-patch+json') kind = 'json';
        else {
          return this.sendStatus(
            res,
            status(
              415,
              'UnsupportedMediaType',
              `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
            ),
          );
        }
        const s = this.store.patchObject(t, ref, await this.readBody(req), kind);
        return this.sendObject(res, 200, t, s.rv, this.store.view(s, t), accept, info);
      }
      case 'delete': {
        let pre: { resourceVersion?: string; uid?: string } = {};
        const cl = req.headers['content-length'];
        if (req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0')) {
          const opts = asObject(await this.readBody(req));
          const p = opts['preconditions'];
          if (p !== null && typeof p === 'object') pre = p;
        }
        const s = this.store.deleteObject(t, ref, pre);
        return this.sendObject(res, 200, t, s.rv, this.store.view(s, t), accept, info);
      }
      case 'discovery':
        return this.notFound(res);
    }
  }

  private sendObject(res: ServerResponse, code: number, t: ResourceType, rv: number, v: { obj: KubeObject; json: string }, accept: Negotiated, info: RequestInfo): void {
    if (accept.kind === 'table') {
      const table = buildTable(t, [v.obj], { apiVersion: accept.apiVersion, include: includeObject(info), metadata: { resourceVersion: String(rv) }, now: this.now().getTime() });
      return this.sendJson(res, code, JSON.stringify(table));
    }
    this.sendJson(res, code, v.json);
  }

  private selectors(t: ResourceType, info: RequestInfo): Predicate | undefined {
    const q = info.query;
    const byName: Predicate | undefined = info.name !== undefined ? (o) => o.metadata?.['name'] === info.name : undefined;
    return andPredicates(compileLabelSelector(q.get('labelSelector') ?? undefined), compileFieldSelector(q.get('fieldSelector') ?? undefined, t.fields), byName);
  }

  private list(res: ServerResponse, t: ResourceType, info: RequestInfo, accept: Negotiated): void {
    const q = info.query;
    const limitRaw = q.get('limit');
    let limit: number | undefined;
    if (limitRaw !== null && limitRaw !== '') {
      limit = Number(limitRaw);
      if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit: "${limitRaw}"`);
    }
    const query: Parameters<typeof listPage>[2] = {};
    const predicate = this.selectors(t, info);
    if (predicate) query.predicate = predicate;
    if (info.namespace !== undefined) query.namespace = info.namespace;
    if (limit !== undefined) query.limit = limit;
    for (const k of ['continue', 'resourceVersion', 'resourceVersionMatch'] as const) {
      const v = q.get(k);
      if (v !== null) query[k] = v;
    }
    const page = listPage(this.store, t, query);
    const meta: Record<string, unknown> = { resourceVersion: String(page.rv) };
    if (page.continue !== undefined) meta['continue'] = page.continue;
    if (page.remainingItemCount !== undefined) meta['remainingItemCount'] = page.remainingItemCount;
    if (accept.kind === 'table') {
      const objs = page.items.map((s) => this.store.view(s, t).obj);
      const table = buildTable(t, objs, { apiVersion: accept.apiVersion, include: includeObject(info), metadata: meta, now: this.now().getTime() });
      return this.sendJson(res, 200, JSON.stringify(table));
    }
    const parts: string[] = new Array<string>(page.items.length);
    for (let i = 0; i < page.items.length; i++) parts[i] = this.store.view(page.items[i]!, t).json;
    const body = `{"kind":"${t.kind}List","apiVersion":"${apiVersionOf(t)}","metadata":${JSON.stringify(meta)},"items":[${parts.join(',')}]}`;
    this.sendJson(res, 200, body);
  }

  private watch(res: ServerResponse, t: ResourceType, info: RequestInfo, accept: Negotiated, fault: StreamFault | undefined): void {
    const q = info.query;
    const rvRaw = q.get('resourceVersion') ?? '';
    const match = q.get('resourceVersionMatch') ?? '';
    const sendInitial = q.get('sendInitialEvents');
    const bookmarks = q.get('allowWatchBookmarks') === 'true' || q.get('allowWatchBookmarks') === '1';
    if (rvRaw !== '' && !/^\d+$/.test(rvRaw)) throw badRequest(`invalid resourceVersion: "${rvRaw}"`);
    let start: WatchStart;
    if (sendInitial === 'true') {
      if (match !== 'NotOlderThan') {
        throw new ApiError(status(422, 'Invalid', 'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
      }
      if (!bookmarks) {
        throw new ApiError(status(422, 'Invalid', 'allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true'));
      }
      start = { kind: 'initialEvents' };
    } else if (match !== '' && match !== 'NotOlderThan') {
      throw badRequest(`resourceVersionMatch: Unsupported value: "${match}"`);
    } else if (rvRaw === '' || rvRaw === '0') {
      start = sendInitial === 'false' ? { kind: 'from', rv: this.store.resourceVersion } : { kind: 'state' };
    } else {
      start = { kind: 'from', rv: Number(rvRaw) };
    }
    const timeoutRaw = q.get('timeoutSeconds');
    let timeoutMs = this.watchTimeoutMs;
    if (timeoutRaw !== null && timeoutRaw !== '') {
      const n = Number(timeoutRaw);
      if (!Number.isFinite(n) || n < 0) throw badRequest(`invalid timeoutSeconds: "${timeoutRaw}"`);
      if (n > 0) timeoutMs = n * 1000;
    }
    let encode: ((type: string, obj: KubeObject) => string) | undefined;
    if (accept.kind === 'table') {
      let first = true;
      encode = (_type, obj) => {
        const table = buildTable(t, [obj], { apiVersion: accept.apiVersion, include: includeObject(info), withColumns: first, now: this.now().getTime() });
        first = false;
        return JSON.stringify(table);
      };
    }
    const predicate = this.selectors(t, info);
    const stats = this.stats;
    const record = stats.watchOpened(info.resource);
    const session = new WatchSession(res, {
      store: this.store,
      type: t,
      ...(info.namespace !== undefined ? { namespace: info.namespace } : {}),
      ...(predicate ? { predicate } : {}),
      start,
      bookmarks,
      bookmarkIntervalMs: this.bookmarkIntervalMs,
      timeoutMs,
      ...(fault ? { fault } : {}),
      ...(encode ? { encode } : {}),
      onEvent: () => {
        stats.watchEvents++;
        stats.changed();
      },
      onEnd: () => {
        this.sessions.delete(session);
        stats.activeWatches--;
        stats.watchClosed(record);
      },
    });
    this.sessions.set(session, info);
    stats.watchConnections++;
    stats.activeWatches++;
    session.start();
    stats.changed();
  }
}

function asObject(v: unknown): KubeObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest('the request body must be a JSON object');
  return v as KubeObject;
}

function includeObject(info: RequestInfo): IncludeObject {
  const v = info.query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}
