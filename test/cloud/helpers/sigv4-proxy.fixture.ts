/**
 * An S3 front that checks credentials: every request's SigV4 signature is recomputed from the
 * keys it knows (see sigv4-verify.fixture.ts); a valid request is forwarded to the store behind
 * it (fauxqs), any other gets S3's XML error (403 SignatureDoesNotMatch, InvalidAccessKeyId…).
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorXml, verifyRequest } from './sigv4-verify.fixture.js';
import type { KnownKey } from './sigv4-verify.fixture.js';

/** One request the front saw and what it decided. */
export interface CheckedRequest {
  method: string;
  url: string;
  accessKeyId: string | undefined;
  /** `ok` when forwarded, else the S3 error code it was answered with. */
  outcome: string;
}

export interface SigV4Proxy {
  endpoint: string;
  /** Every request, in arrival order. */
  readonly requests: CheckedRequest[];
  /** Accepts requests signed with this key from now on. */
  addKey(accessKeyId: string, key: KnownKey): void;
  close(): Promise<void>;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the front on a free port, in front of `target`, for a store in `region`. */
export async function startSigV4Proxy(options: { target: string; region: string; keys?: Record<string, KnownKey> }): Promise<SigV4Proxy> {
  const to = new URL(options.target);
  const keys = new Map(Object.entries(options.keys ?? {}));
  const requests: CheckedRequest[] = [];

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void => {
    const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  };

  const server = http.createServer((req, res) => {
    void readBody(req).then((body) => {
      const received = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
      const verdict = verifyRequest(received, keys, { region: options.region });
      requests.push({ method: received.method, url: received.url, accessKeyId: verdict.accessKeyId, outcome: verdict.ok ? 'ok' : verdict.rejection.code });
      if (verdict.ok) return forward(req, res, body);
      const requestId = randomUUID();
      const xml = errorXml(verdict.rejection, requestId);
      res.writeHead(verdict.rejection.status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'content-length': Buffer.byteLength(xml) });
      res.end(req.method === 'HEAD' ? undefined : xml);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    addKey: (id, key) => void keys.set(id, key),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
