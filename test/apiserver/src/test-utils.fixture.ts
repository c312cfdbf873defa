/**
 * Raw HTTP helpers for this package's tests (not part of the published API): one-shot
 * requests, and a watch reader that yields parsed lines and reports how the stream ended.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A finished response. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** Request options. */
export interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** CA to trust for https URLs. */
  ca?: string;
  token?: string;
}

function send(base: string, path: string, o: RawOptions): { req: ReturnType<typeof httpRequest>; url: URL } {
  const url = new URL(path, base);
  const headers: Record<string, string> = { Accept: 'application/json', ...o.headers };
  if (o.token !== undefined) headers['Authorization'] = `Bearer ${o.token}`;
  let payload: string | undefined;
  if (o.body !== undefined) {
    payload = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    headers['Content-Type'] ??= 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  const opts = { method: o.method ?? 'GET', headers, agent: false as const, ...(o.ca !== undefined ? { ca: o.ca } : {}) };
  const req = url.protocol === 'https:' ? httpsRequest(url, opts) : httpRequest(url, opts);
  if (payload !== undefined) req.write(payload);
  req.end();
  return { req, url };
}

/** Sends one request and reads the whole body. Rejects on a socket error. */
export function raw(base: string, path: string, o: RawOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const { req } = send(base, path, o);
    req.on('error', reject);
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T });
      });
    });
  });
}

/** One parsed watch line. */
export interface WatchLine {
  type: string;
  object: Record<string, unknown> & { metadata?: Record<string, unknown> };
}

/** How a watch stream ended. */
export type WatchEnd = { kind: 'end' } | { kind: 'error'; code: string | undefined; message: string };

/** An open watch. */
export interface WatchReader {
  status: number;
  headers: IncomingHttpHeaders;
  /** Next line; rejects if the stream ends first. */
  next(): Promise<WatchLine>;
  /** Reads `n` lines. */
  take(n: number): Promise<WatchLine[]>;
  /** Resolves when the stream is over. */
  readonly ended: Promise<WatchEnd>;
  /** Lines received but not yet taken. */
  readonly buffered: number;
  /** Raw bytes received so far. */
  readonly bytes: number;
  close(): void;
}

/** Opens a GET and resolves once the response headers arrive. */
export function openWatch(base: string, path: string, o: RawOptions = {}): Promise<WatchReader> {
  return new Promise((resolve, reject) => {
    const { req } = send(base, path, o);
    let settledEnd: (e: WatchEnd) => void = () => {};
    const ended = new Promise<WatchEnd>((r) => (settledEnd = r));
    let done = false;
    const finish = (e: WatchEnd): void => {
      if (done) return;
      done = true;
      settledEnd(e);
      for (const w of waiters.splice(0)) w.reject(new Error(`watch ended (${e.kind}${e.kind === 'error' ? `: ${e.code ?? e.message}` : ''})`));
    };
    const lines: WatchLine[] = [];
    const waiters: { resolve: (l: WatchLine) => void; reject: (e: Error) => void }[] = [];
    let partial = '';
    let bytes = 0;
    req.on('error', (err: NodeJS.ErrnoException) => {
      finish({ kind: 'error', code: err.code, message: err.message });
      reject(err);
    });
    req.on('response', (res: IncomingMessage) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        bytes += Buffer.byteLength(chunk);
        partial += chunk;
        let i: number;
        while ((i = partial.indexOf('\n')) >= 0) {
          const line = partial.slice(0, i);
          partial = partial.slice(i + 1);
          if (line.trim() === '') continue;
          const parsed = JSON.parse(line) as WatchLine;
          const w = waiters.shift();
          if (w) w.resolve(parsed);
          else lines.push(parsed);
        }
      });
      res.on('end', () => finish({ kind: 'end' }));
      res.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'error', code: err.code, message: err.message }));
      res.on('close', () => {
        if (!res.complete) finish({ kind: 'error', code: 'ECONNRESET', message: 'aborted' });
      });
      const reader: WatchReader = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        next: () => {
          const l = lines.shift();
          if (l) return Promise.resolve(l);
          if (done) return Promise.reject(new Error('watch ended'));
          return new Promise((res2, rej) => waiters.push({ resolve: res2, reject: rej }));
        },
        take: async (n) => {
          const out: WatchLine[] = [];
          for (let k = 0; k < n; k++) out.push(await reader.next());
          return out;
        },
        ended,
        get buffered() {
          return lines.length;
        },
        get bytes() {
          return bytes;
        },
        close: () => {
          req.destroy();
          finish({ kind: 'end' });
        },
      };
      resolve(reader);
    });
  });
}

/** A minimal core/v1 Event body. */
export function eventBody(name: string, namespace = 'default', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    metadata: { name, namespace },
    involvedObject: { kind: 'Pod', name: `pod-${name}`, namespace, uid: `uid-${name}`, apiVersion: 'v1' },
    reason: 'Started',
    message: `Started container ${name}`,
    type: 'Normal',
    count: 1,
    source: { component: 'kubelet', host: 'worker-1' },
    firstTimestamp: '2026-01-01T00:00:00Z',
    lastTimestamp: '2026-01-01T00:00:00Z',
    ...extra,
  };
}
