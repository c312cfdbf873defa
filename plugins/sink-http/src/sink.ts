/** The HTTP sink: one request per batch; the response status decides ack, retry or dead letter. */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { classifyHttpStatus, createClosedGuard, defineSink, K8streamError, parseRetryAfter, redact, sinkError } from '@k8stream/core';
import type { Batch, SendContext, SinkContext, SinkDefinition, SinkInstance } from '@k8stream/core';
import { resolveAuth, safeUrl } from './auth.js';
import { validateHttpSinkConfig } from './config.js';
import type { HttpSinkConfig } from './config.js';
import { buildBulkBody, bulkOutcome } from './elasticsearch.js';
import { buildLokiPush } from './loki.js';
import { httpRequest } from './request.js';
import type { HttpResponse } from './request.js';

const gzip = promisify(zlib.gzip);

/** Options of `createHttpSink`, for embedding and tests. */
export interface HttpSinkOptions {
  /** Where secrets are read from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Clock for HTTP-date `Retry-After` values. @default Date.now */
  now?: () => number;
}

/** A request body with its content headers. */
interface RequestBody {
  body: Uint8Array;
  headers: Record<string, string>;
}

async function compress(text: string, compression: 'none' | 'gzip'): Promise<RequestBody> {
  const raw = new TextEncoder().encode(text);
  if (compression === 'none') return { body: raw, headers: {} };
  const zipped = await gzip(raw);
  return { body: new Uint8Array(zipped.buffer, zipped.byteOffset, zipped.byteLength), headers: { 'content-encoding': 'gzip' } };
}

/** Builds the request body for `batch` in the configured body mode. */
export async function requestBody(batch: Batch<unknown>, config: Pick<HttpSinkConfig, 'body' | 'compression' | 'index'>): Promise<RequestBody> {
  switch (config.body) {
    case 'batch':
      return {
        body: batch.body,
        headers: {
          'content-type': batch.contentType,
          ...(batch.contentEncoding !== undefined ? { 'content-encoding': batch.contentEncoding } : {}),
        },
      };
    case 'loki': {
      const built = await compress(JSON.stringify(buildLokiPush(batch)), config.compression);
      return { body: built.body, headers: { 'content-type': 'application/json', ...built.headers } };
    }
    case 'elasticsearch': {
      const built = await compress(buildBulkBody(batch, config.index), config.compression);
      return { body: built.body, headers: { 'content-type': 'application/x-ndjson', ...built.headers } };
    }
  }
}

/** A short, single-line excerpt of a response body for error messages (secrets redacted). */
function excerpt(text: string, secrets: readonly string[]): string {
  const line = redact(text, secrets).replace(/\s+/g, ' ').trim();
  if (line === '') return '';
  return `: ${line.length > 200 ? `${line.slice(0, 197)}...` : line}`;
}

function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** What `classifyResponse` needs besides the response. */
export interface ResponseContext {
  /** `POST https://host/path` (no credentials), for messages. */
  where: string;
  /** The sink instance name, set as the errors' `plugin`. */
  sink: string;
  /** The body mode: `elasticsearch` reads per-item results of a 2xx. */
  body: HttpSinkConfig['body'];
  /** Credential values to redact from response excerpts. */
  secrets: readonly string[];
  /** Clock for HTTP-date `Retry-After` values. */
  now: number;
}

/**
 * Turns a response into the ack (return) or an error of the class the core acts on: 2xx acks
 * (for `_bulk`, unless items failed); other statuses by the core's `classifyHttpStatus` table
 * (429/503 retry after `Retry-After` or 1 s; 408/425/5xx after `Retry-After`, else with backoff
 * as `SINK_TRANSIENT`; other 3xx/4xx permanent). Messages carry no credentials.
 */
export function classifyResponse(res: HttpResponse, context: ResponseContext): void {
  const { where, secrets, now } = context;
  const status = res.status;
  const plugin = { plugin: context.sink };
  const retryAfter = header(res, 'retry-after');
  if (status >= 200 && status < 300) {
    if (context.body !== 'elasticsearch') return;
    const outcome = bulkOutcome(res.text);
    switch (outcome.kind) {
      case 'ok':
        return;
      case 'throttled':
        throw sinkError('retry-after', `${where} rejected ${outcome.failed} bulk item(s) with 429`, { ...plugin, retryAfterMs: parseRetryAfter(retryAfter, now) });
      case 'transient':
        throw sinkError('transient', `${where} failed ${outcome.failed} bulk item(s): ${redact(outcome.reason, secrets)}`, plugin);
      case 'permanent':
        throw sinkError('permanent', `${where} rejected ${outcome.failed} bulk item(s): ${redact(outcome.reason, secrets)}`, plugin);
    }
  }
  throw classifyHttpStatus(status, {
    message: `${where} answered ${status}${excerpt(res.text, secrets)}`,
    retryAfter,
    now,
    ...plugin,
    ...(status === 401 || status === 403 ? { hint: 'check the credentials (bearerTokenEnv/basicAuth) and their permissions' } : {}),
  });
}

/** Creates the sink instance for a validated config. */
export async function createHttpSinkInstance(config: HttpSinkConfig, ctx: SinkContext, options: HttpSinkOptions = {}): Promise<SinkInstance> {
  const url = new URL(config.url);
  const auth = resolveAuth(config, options.env ?? process.env);
  const secrets = [...auth.secrets, ...(url.password !== '' ? [url.password, decodeURIComponent(url.password)] : [])];
  const where = `${config.method} ${safeUrl(url)}`;
  let tls: { ca?: string; rejectUnauthorized: boolean } | undefined;
  if (config.tls !== undefined) {
    const caPath = config.tls.caFile === undefined ? undefined : path.resolve(ctx.configDir, config.tls.caFile);
    let ca: string | undefined;
    if (caPath !== undefined) {
      try {
        ca = await readFile(caPath, 'utf8');
      } catch (err) {
        throw new K8streamError('SINK_UNHEALTHY', `cannot read tls.caFile ${caPath} of the http sink`, { plugin: ctx.name, path: 'tls.caFile', cause: err });
      }
    }
    tls = { ...(ca !== undefined ? { ca } : {}), rejectUnauthorized: !config.tls.insecureSkipVerify };
  }
  const now = options.now ?? Date.now;
  const guard = createClosedGuard('http', ctx.name);

  return {
    async send(batch: Batch<unknown>, send: SendContext): Promise<void> {
      guard.assertOpen();
      const built = await requestBody(batch, config);
      const headers: Record<string, string> = {
        ...built.headers,
        ...config.headers,
        'idempotency-key': batch.id,
        'x-k8stream-batch-id': batch.id,
        'x-k8stream-sink': batch.sink,
        'x-k8stream-records': String(batch.count),
        ...(auth.header !== undefined ? { authorization: auth.header } : {}),
      };
      let res: HttpResponse;
      try {
        res = await httpRequest(url, { method: config.method, headers, body: built.body, signal: send.signal, ...(tls ? { tls } : {}) });
      } catch (err) {
        const reason = redact(err instanceof Error ? err.message : String(err), secrets);
        throw sinkError('transient', `${where} failed: ${reason}`, { plugin: ctx.name });
      }
      classifyResponse(res, { where, sink: ctx.name, body: config.body, secrets, now: now() });
      send.logger.debug('batch sent', { url: safeUrl(url), status: res.status, records: batch.count });
    },
    async close(): Promise<void> {
      guard.close();
    },
    describe(): string {
      return `${config.body} ${where}`;
    },
  };
}

/** The HTTP sink definition; `options` inject the environment and clock (tests, embedding). */
export function createHttpSink(options: HttpSinkOptions = {}): SinkDefinition<HttpSinkConfig> {
  return defineSink({
    name: 'http',
    apiVersion: '^1.1.0',
    defaults: { encoding: { format: 'ndjson', compression: 'gzip' } },
    validate: validateHttpSinkConfig,
    create: (config, ctx) => createHttpSinkInstance(config, ctx, options),
  });
}
