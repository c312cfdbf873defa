/** A local HTTP receiver for tests: records every request and answers with scripted responses. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeBody } from '@k8stream/core/testing';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Answers for the next requests, in order; afterwards every request gets 200 `{}`. */
  respond: ScriptedResponse[];
  reset(): void;
  /**
   * Records of every stored batch, decoded from its Content-Type/Content-Encoding. Like an
   * idempotent receiver, a batch sent again under the same Idempotency-Key replaces the first copy.
   */
  records(): unknown[];
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 with a free port. */
export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const respond: ScriptedResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const answer = respond.shift() ?? { status: 200, body: '{}' };
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/ingest`,
    requests,
    respond,
    reset() {
      requests.length = 0;
      respond.length = 0;
    },
    records() {
      const byKey = new Map<string, unknown[]>();
      for (const [i, r] of requests.entries()) {
        const key = String(r.headers['idempotency-key'] ?? `#${i}`);
        const format = String(r.headers['content-type']).includes('ndjson') ? 'ndjson' : 'json';
        const enc = r.headers['content-encoding'];
        const compression = enc === 'gzip' ? 'gzip' : enc === 'zstd' ? 'zstd' : 'none';
        byKey.set(key, decodeBody(new Uint8Array(r.body), { format, compression }));
      }
      return [...byKey.values()].flat();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return receiver;
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
