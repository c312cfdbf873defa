/** One HTTP request with node:http/https, returning status, headers and a bounded response text. */
import type * as Http from 'node:http';
import * as https from 'node:https';

/**
 * `node:http` through `process.getBuiltinModule`: an ES import evaluates its lazy `WebSocket`,
 * `CloseEvent` and `MessageEvent` exports, which load Node's bundled undici (~14 MB RSS) that this
 * sink never uses.
 */
const http: typeof Http = process.getBuiltinModule('node:http');

/** The parts of a response the sink looks at. */
export interface HttpResponse {
  status: number;
  headers: Http.IncomingHttpHeaders;
  /** Response body as text, at most `maxResponseBytes` bytes. */
  text: string;
  /** The same bytes, undecoded (protobuf responses). */
  bytes?: Uint8Array;
}

export interface HttpRequestOptions {
  method: string;
  headers: Record<string, string>;
  body: Uint8Array;
  signal: AbortSignal;
  /** For https URLs: extra CAs, certificate checking. */
  tls?: { ca?: string | Buffer; rejectUnauthorized: boolean };
  /** @default 1 MiB */
  maxResponseBytes?: number;
}

/** Sends one request; rejects on network errors and aborts, resolves for every HTTP status. */
export function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  const limit = options.maxResponseBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const common = {
      method: options.method,
      headers: { ...options.headers, 'content-length': String(options.body.byteLength) },
      signal: options.signal,
    };
    const onResponse = (res: Http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= limit) return;
        chunks.push(chunk);
        size += chunk.byteLength;
      });
      res.on('end', () => {
        const bytes = Buffer.concat(chunks).subarray(0, limit);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: bytes.toString('utf8'), bytes });
      });
      res.on('error', reject);
    };
    const req = url.protocol === 'https:' ? https.request(url, { ...common, ...(options.tls ?? {}) }, onResponse) : http.request(url, common, onResponse);
    req.on('error', reject);
    req.end(options.body);
  });
}
