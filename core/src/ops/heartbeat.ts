/**
 * The optional heartbeat: POSTs `{ cluster, version, uptimeSeconds, leader }` as JSON to a URL
 * at start and then every interval. A failure (network, timeout, non-2xx) is logged as a
 * warning and counted; it never stops k8stream. The URL is logged without credentials or query.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../util/logger.js';

export interface HeartbeatPayload {
  cluster: string;
  version: string;
  uptimeSeconds: number;
  /** null without leader election. */
  leader: boolean | null;
}

export interface HeartbeatOptions {
  url: string;
  intervalMs: number;
  timeoutMs: number;
  logger: Logger;
  payload: () => HeartbeatPayload;
  onResult: (result: 'ok' | 'error') => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface Heartbeat {
  /** Stops the timer and aborts a ping in flight; resolves once it settled. */
  stop(): Promise<void>;
}

/** `https://host/path`: no user info, no query string (they may hold a token). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/** fetch refuses URLs with user info: they become a Basic `Authorization` header. */
function splitCredentials(raw: string): { url: string; authorization: string | null } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: raw, authorization: null };
  }
  if (u.username === '' && u.password === '') return { url: raw, authorization: null };
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  u.username = '';
  u.password = '';
  return { url: u.toString(), authorization };
}

export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const { logger } = options;
  const doFetch = options.fetch ?? globalThis.fetch;
  const target = redactUrl(options.url);
  const { url, authorization } = splitCredentials(options.url);
  const stopping = new AbortController();
  let inFlight: Promise<void> | null = null;
  let failures = 0;

  const ping = async (): Promise<void> => {
    const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(options.timeoutMs)]);
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(authorization !== null ? { Authorization: authorization } : {}) },
        body: JSON.stringify(options.payload()),
        signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      options.onResult('ok');
      if (failures > 0) logger.info('heartbeat recovered', { url: target, failures });
      failures = 0;
    } catch (err) {
      if (stopping.signal.aborted) return;
      failures++;
      options.onResult('error');
      logger.warn('heartbeat failed', { url: target, error: errorMessage(err).split(options.url).join(target).split(url).join(target), failures });
    }
  };
  const tick = (): void => {
    if (inFlight !== null) return; // the previous ping is still waiting for its deadline
    inFlight = ping().finally(() => {
      inFlight = null;
    });
  };
  tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await inFlight;
    },
  };
}
