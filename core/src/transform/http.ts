/**
 * Extism's `http_request` for transforms that allow hosts (`allowedHosts`). The SDK 1.0.3 does
 * not serve it outside its own worker mode, and a guest call is synchronous, so the request is
 * made by a helper thread while the calling worker blocks on `Atomics.wait`. A request to a
 * host not on the list fails the call (the guest traps), as in Extism. The helper thread is a
 * child of the transform worker: terminating the worker (deadline) stops it too.
 *
 * Must stay loadable by Node's type stripping.
 */
import { Worker } from 'node:worker_threads';
import type { BlockIO } from './host-api.js';

/** True when `hostname` is allowed by `pattern`: exact, `*.example.com` (any subdomain), or `*`. */
export function hostAllowed(hostname: string, pattern: string): boolean {
  const host = hostname.toLowerCase();
  const p = pattern.trim().toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return host === p;
}

const FLAG = 0;
const STATUS = 1;
const LENGTH = 2;
/** Length of the response headers (JSON, after the body). */
const HEADERS_LENGTH = 3;
const BODY_OFFSET = 16;
const IDLE = 0;
const PENDING = 1;
const DONE = 2;

/**
 * The helper thread: performs one fetch per message and writes the answer into the buffer:
 * the body, then the response headers as a JSON object (lower-case names, sorted; a repeated
 * header's values joined by ", ", as `Headers` does).
 */
const HELPER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const sab = workerData.sab;
const header = new Int32Array(sab, 0, 4);
parentPort.on('message', async (req) => {
  let status = 0;
  let body;
  let headers = new Uint8Array(0);
  try {
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body ?? undefined, redirect: 'manual' });
    status = res.status;
    body = new Uint8Array(await res.arrayBuffer());
    const names = {};
    for (const [name, value] of res.headers) names[name] = value;
    headers = new TextEncoder().encode(JSON.stringify(names));
  } catch (err) {
    status = -1;
    body = new TextEncoder().encode(String(err && err.message || err));
  }
  const need = ${BODY_OFFSET} + body.length + headers.length;
  if (need > sab.byteLength) {
    if (need > sab.maxByteLength) { status = -1; body = new TextEncoder().encode('response body too large'); headers = new Uint8Array(0); }
    else sab.grow(need);
  }
  new Uint8Array(sab, ${BODY_OFFSET}, body.length).set(body);
  new Uint8Array(sab, ${BODY_OFFSET} + body.length, headers.length).set(headers);
  Atomics.store(header, ${STATUS}, status);
  Atomics.store(header, ${LENGTH}, body.length);
  Atomics.store(header, ${HEADERS_LENGTH}, headers.length);
  Atomics.store(header, ${FLAG}, ${DONE});
  Atomics.notify(header, ${FLAG});
});
`;

interface RequestSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  header?: Record<string, string>;
}

/** Largest response body handed to a module. @default 16 MiB */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A synchronous HTTP client for one transform instance. */
export function createHttpClient(allowedHosts: readonly string[]): {
  request: (io: BlockIO, request: bigint, body: bigint) => bigint;
  statusCode: () => number;
  /** The last response's headers as a JSON object, null when no request was made. */
  headers: () => Uint8Array | null;
} {
  let helper: { worker: Worker; sab: SharedArrayBuffer; header: Int32Array } | null = null;
  let lastStatus = 0;
  let lastHeaders: Uint8Array | null = null;
  const ensureHelper = () => {
    if (helper) return helper;
    const sab = new SharedArrayBuffer(64 * 1024, { maxByteLength: BODY_OFFSET + MAX_BODY_BYTES });
    const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { sab } });
    worker.unref();
    helper = { worker, sab, header: new Int32Array(sab, 0, 4) };
    return helper;
  };
  return {
    statusCode: () => lastStatus,
    headers: () => lastHeaders,
    request(io, requestAddr, bodyAddr) {
      // As in Extism's runtime, a new request forgets the previous response's headers.
      lastHeaders = null;
      const requestBytes = io.read(requestAddr);
      if (requestBytes === null) return 0n;
      const raw = new TextDecoder().decode(requestBytes);
      const spec = JSON.parse(raw) as RequestSpec;
      const url = new URL(spec.url);
      if (!allowedHosts.some((pattern) => hostAllowed(url.hostname, pattern))) {
        throw new Error(`http_request to ${url.origin} is not allowed (allowedHosts: ${allowedHosts.join(', ')})`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`http_request: unsupported protocol ${url.protocol}`);
      const method = (spec.method ?? 'GET').toUpperCase();
      const body = bodyAddr === 0n || method === 'GET' || method === 'HEAD' ? null : (io.read(bodyAddr)?.slice() ?? null);
      const h = ensureHelper();
      Atomics.store(h.header, FLAG, PENDING);
      h.worker.postMessage({ url: url.href, method, headers: spec.headers ?? spec.header ?? {}, body });
      while (Atomics.load(h.header, FLAG) === PENDING) Atomics.wait(h.header, FLAG, PENDING);
      Atomics.store(h.header, FLAG, IDLE);
      const status = Atomics.load(h.header, STATUS);
      const length = Atomics.load(h.header, LENGTH);
      const bytes = new Uint8Array(h.sab, BODY_OFFSET, length).slice();
      if (status < 0) throw new Error(`http_request to ${url.origin} failed: ${new TextDecoder().decode(bytes)}`);
      lastStatus = status;
      lastHeaders = new Uint8Array(h.sab, BODY_OFFSET + length, Atomics.load(h.header, HEADERS_LENGTH)).slice();
      return io.store(bytes);
    },
  };
}
