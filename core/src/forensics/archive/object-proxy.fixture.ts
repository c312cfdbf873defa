/**
 * Test helper: an HTTP proxy in front of the S3 test server that refuses the object reads (GET)
 * of chosen keys with an S3 `AccessDenied`, forwards everything else, and records how many object
 * reads were in flight at once.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ObjectProxy {
  endpoint: string;
  /** Object reads refused so far, by path. */
  refused: Map<string, number>;
  /** The most GET requests of objects (not listings) in flight at the same time. */
  maxInFlight: number;
  close(): Promise<void>;
}

/** Starts the proxy in front of `target`; GETs whose path ends with one of `deny` are refused. */
export async function startObjectProxy(target: string, deny: readonly string[]): Promise<ObjectProxy> {
  const to = new URL(target);
  let inFlight = 0;
  const state = { refused: new Map<string, number>(), maxInFlight: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const isObjectGet = req.method === 'GET' && !url.searchParams.has('list-type') && url.pathname.split('/').length > 2;
    if (isObjectGet && deny.some((key) => decodeURIComponent(url.pathname).endsWith(`/${key}`))) {
      state.refused.set(url.pathname, (state.refused.get(url.pathname) ?? 0) + 1);
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>TESTREQ</RequestId></Error>');
      return;
    }
    if (isObjectGet) state.maxInFlight = Math.max(state.maxInFlight, ++inFlight);
    const done = () => {
      if (isObjectGet) inFlight--;
    };
    const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.on('end', done);
    });
    upstream.on('error', () => {
      done();
      req.socket.destroy();
    });
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get refused() {
      return state.refused;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
