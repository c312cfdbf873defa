/**
 * The operations HTTP server: `GET /metrics` (Prometheus text format), `GET /healthz`
 * (liveness) and `GET /readyz` (readiness). A failure to listen (port taken, say) is logged as
 * an error and the server stays off: k8stream itself keeps running.
 */
import type * as Http from 'node:http';
import { http } from '../util/node-http.js';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { errorMessage } from '../errors.js';
import type { Logger } from '../util/logger.js';
import type { Readiness } from './health.js';

export interface OpsServerOptions {
  host: string;
  port: number;
  logger: Logger;
  metrics: () => Promise<{ contentType: string; body: string }>;
  readiness: () => Readiness;
  /** Seconds since start, shown by /healthz. */
  uptimeSeconds: () => number;
  /** /healthz fails when the event loop was blocked this long in the last second. @default 5000 */
  maxLoopDelayMs?: number;
}

export interface OpsServer {
  /** `http://host:port` once listening; null when off or not listening. */
  readonly url: string | null;
  close(): Promise<void>;
}

/** Tracks the longest event-loop delay of the last full second. */
class LoopWatch {
  private readonly h: ReturnType<typeof monitorEventLoopDelay> = monitorEventLoopDelay({ resolution: 20 });
  private readonly timer: NodeJS.Timeout;
  lastMaxMs = 0;

  constructor() {
    this.h.enable();
    this.timer = setInterval(() => {
      this.lastMaxMs = this.h.max / 1e6;
      this.h.reset();
    }, 1000);
    this.timer.unref();
  }

  /** The worst delay seen recently (the current second included). */
  delayMs(): number {
    return Math.max(this.lastMaxMs, this.h.max / 1e6);
  }

  stop(): void {
    clearInterval(this.timer);
    this.h.disable();
  }
}

function send(res: Http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.end(body);
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Starts listening; resolves once listening or once listening failed (then `url` is null). */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { logger } = options;
  const maxLoopDelayMs = options.maxLoopDelayMs ?? 5000;
  const loop = new LoopWatch();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    switch (path) {
      case '/metrics':
        options.metrics().then(
          (m) => send(res, 200, m.contentType, m.body),
          (err: unknown) => {
            logger.error('metrics collection failed', { error: errorMessage(err) });
            send(res, 500, 'text/plain', 'metrics collection failed\n');
          },
        );
        return;
      case '/healthz': {
        const delay = Math.round(loop.delayMs());
        const ok = delay <= maxLoopDelayMs;
        return send(
          res,
          ok ? 200 : 503,
          JSON_TYPE,
          JSON.stringify({ status: ok ? 'ok' : 'event loop blocked', uptimeSeconds: Math.round(options.uptimeSeconds()), eventLoopDelayMs: delay }) + '\n',
        );
      }
      case '/readyz': {
        const r = options.readiness();
        return send(res, r.ready ? 200 : 503, JSON_TYPE, JSON.stringify(r) + '\n');
      }
      default:
        return send(res, 404, 'text/plain', 'not found: try /metrics, /healthz or /readyz\n');
    }
  });
  server.keepAliveTimeout = 5000;
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      logger.error('metrics and health server could not listen; continuing without it', {
        host: options.host,
        port: options.port,
        code: err.code ?? null,
        error: errorMessage(err),
      });
      resolve(false);
    });
    server.listen(options.port, options.host, () => resolve(true));
  });
  if (!listening) {
    loop.stop();
    return { url: null, close: async () => {} };
  }
  server.on('error', (err) => logger.error('metrics and health server error', { error: errorMessage(err) }));
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        loop.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
