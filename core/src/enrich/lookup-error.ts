/**
 * How a failed lookup is described in `enrichment.errors`: short, stable, and free of secrets
 * (no tokens, no credentials in URLs, no response bodies).
 */
import { redact } from '../sink-kit/redact.js';
import { statusOf } from './cache.js';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'bad request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  408: 'timeout',
  410: 'gone',
  429: 'throttled',
  500: 'server error',
  502: 'bad gateway',
  503: 'unavailable',
  504: 'timeout',
};

const MAX_MESSAGE = 200;

/**
 * `not found (404)`, `forbidden (403)`, `HTTP 418`, `aborted`, or `failed: <first line of the
 * error message, redacted, at most 200 characters>`.
 */
export function describeLookupError(err: unknown): string {
  const status = statusOf(err);
  if (status !== undefined) {
    const text = STATUS_TEXT[status] ?? (status >= 500 ? 'server error' : undefined);
    return text === undefined ? `HTTP ${status}` : `${text} (${status})`;
  }
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) return 'aborted';
  const raw = err instanceof Error ? err.message : String(err);
  const firstLine = raw.split('\n', 1)[0] ?? '';
  const clean = redact(firstLine);
  return `failed: ${clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE)}…` : clean}`;
}
