/**
 * A tiny HTTP proxy for retry tests: it answers the first `failures` requests with a fault
 * (an S3 error response, or a connection reset) and forwards every later one to `target`.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to a failed request. */
export type Fault = { kind: 'status'; status: number; code: string; message: string; headers?: Record<string, string>; extraXml?: string } | { kind: 'reset' };

export interface FaultProxy {
  endpoint: string;
  /** Requests seen so far (method and path), faulted or forwarded. */
  requests: { method: string; url: string; faulted: boolean }[];
  /** Fault the next `count` requests with `fault`. */
  failNext(count: number, fault: Fault): void;
  close(): Promise<void>;
}

/** Starts the proxy on a free port in front of `target` (`http://127.0.0.1:port`). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  let remaining = 0;
  let fault: Fault | null = null;
  const requests: FaultProxy['requests'] = [];
  const server = http.createServer((req, res) => {
    const faulted = remaining > 0 && fault !== null;
    requests.push({ method: req.method ?? '', url: req.url ?? '', faulted });
    if (faulted && fault !== null) {
      remaining--;
      const f = fault;
      req.resume();
      req.on('end', () => {
        if (f.kind === 'reset') {
          req.socket.destroy();
          return;
        }
        const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${f.code}</Code><Message>${f.message}</Message>${f.extraXml ?? ''}<RequestId>TESTREQ</RequestId></Error>`;
        res.writeHead(f.status, { 'content-type': 'application/xml', 'x-amz-request-id': 'TESTREQ', ...f.headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      });
      return;
    }
    const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    failNext(count, f) {
      remaining = count;
      fault = f;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
