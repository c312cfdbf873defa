/**
 * An HTTP proxy that injects a fixed schedule of faults between a sink and its test server:
 * of the requests `matches` selects, every `every`-th one (the 2nd, 4th, … with `every: 2`)
 * takes the next fault of `faults` until they run out; every other request is forwarded.
 * Unlike a "fail the next N" proxy, the faults are spread through the whole run, so the
 * pipeline's retries interleave with normal traffic.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fault served instead of forwarding: an error response, or a reset connection. */
export type ScheduledFault = { kind: 'status'; status: number } | { kind: 'reset' };

/** How a status fault is rendered for the service under test (S3 XML, GCS JSON). */
export type FaultRenderer = (status: number) => { headers: Record<string, string>; body: string };

export interface ScheduleProxyOptions {
  /** Upstream base URL, `http://127.0.0.1:PORT`. */
  target: string;
  /** The faults, in the order they are served. */
  faults: readonly ScheduledFault[];
  /** Which requests are eligible for a fault (others are always forwarded). */
  matches: (method: string, url: string) => boolean;
  /** Fault every `every`-th eligible request. @default 2 */
  every?: number;
  render: FaultRenderer;
}

export interface ScheduleProxy {
  readonly endpoint: string;
  /** Faults served so far, by kind (`503`, `500`, `reset`). */
  readonly served: Record<string, number>;
  /** Eligible requests seen so far. */
  eligible(): number;
  /** Faults not served yet. */
  remaining(): number;
  close(): Promise<void>;
}

/** Starts the proxy on a free port of 127.0.0.1. */
export async function startScheduleProxy(options: ScheduleProxyOptions): Promise<ScheduleProxy> {
  const to = new URL(options.target);
  const every = options.every ?? 2;
  const served: Record<string, number> = {};
  let seen = 0;
  let next = 0;
  const server = http.createServer((req, res) => {
    const method = req.method ?? '';
    const url = req.url ?? '';
    let fault: ScheduledFault | undefined;
    if (options.matches(method, url)) {
      seen++;
      if (seen % every === 0 && next < options.faults.length) fault = options.faults[next++];
    }
    if (fault !== undefined) {
      const f = fault;
      const label = f.kind === 'reset' ? 'reset' : String(f.status);
      served[label] = (served[label] ?? 0) + 1;
      req.resume();
      req.on('end', () => {
        if (f.kind === 'reset') {
          req.socket.destroy();
          return;
        }
        const { headers, body } = options.render(f.status);
        res.writeHead(f.status, { ...headers, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
      return;
    }
    const upstream = http.request({ host: to.hostname, port: to.port, method, path: url, headers: req.headers }, (up) => {
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
    served,
    eligible: () => seen,
    remaining: () => options.faults.length - next,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** `count` rounds of 503, 500, reset: `3 * count` faults, interleaved. */
export function mixedFaults(count: number): ScheduledFault[] {
  const out: ScheduledFault[] = [];
  for (let i = 0; i < count; i++) out.push({ kind: 'status', status: 503 }, { kind: 'status', status: 500 }, { kind: 'reset' });
  return out;
}

/** S3 error bodies: 503 SlowDown (with `Retry-After: 0`), 500 InternalError. */
export const s3Faults: FaultRenderer = (status) => {
  const [code, message] = status === 503 ? ['SlowDown', 'Please reduce your request rate.'] : ['InternalError', 'We encountered an internal error. Please try again.'];
  return {
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'FAULTREQ', ...(status === 503 ? { 'retry-after': '0' } : {}) },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>FAULTREQ</RequestId></Error>`,
  };
};

/** GCS JSON-API error bodies: 503 (with `Retry-After: 0`), 500 backendError. */
export const gcsFaults: FaultRenderer = (status) => ({
  headers: { 'content-type': 'application/json; charset=UTF-8', ...(status === 503 ? { 'retry-after': '0' } : {}) },
  body: JSON.stringify({ error: { code: status, message: 'Backend Error', errors: [{ domain: 'global', reason: 'backendError', message: 'Backend Error' }] } }),
});
