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
import { buildOtlpLogs, jsonPartialSuccess, loadOtlpEncoder, otlpJsonRequest, statusMessage } from './otlp.js';
import type { OtlpCodec, OtlpScope } from './otlp.js';
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

async function compress(content: string | Uint8Array, compression: 'none' | 'gzip'): Promise<RequestBody> {
  const raw = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  if (compression === 'none') return { body: raw, headers: {} };
  const zipped = await gzip(raw);
  return { body: new Uint8Array(zipped.buffer, zipped.byteOffset, zipped.byteLength), headers: { 'content-encoding': 'gzip' } };
}

/** What the `otlp` body needs besides the config: the scope, and the protobuf codec (loaded at create time). */
export interface OtlpBodyContext {
  scope: OtlpScope;
  /** Required for `otlp.encoding: protobuf`. */
  codec?: OtlpCodec | undefined;
}

/** The OTLP logs URL: `url` as is when its path ends with `/v1/logs`, else with `/v1/logs` appended (as OTEL_EXPORTER_OTLP_ENDPOINT). */
export function otlpLogsUrl(url: string): URL {
  const parsed = new URL(url);
  if (!/\/v1\/logs\/?$/.test(parsed.pathname)) parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/v1/logs`;
  return parsed;
}

/** Builds the request body for `batch` in the configured body mode. */
export async function requestBody(
  batch: Batch<unknown>,
  config: Pick<HttpSinkConfig, 'body' | 'compression' | 'index'> & { otlp?: HttpSinkConfig['otlp'] },
  otlp?: OtlpBodyContext,
): Promise<RequestBody> {
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
      const built = await compress(JSON.stringify(buildLokiPush(batch)), config.compression ?? 'none');
      return { body: built.body, headers: { 'content-type': 'application/json', ...built.headers } };
    }
    case 'elasticsearch': {
      const built = await compress(buildBulkBody(batch, config.index), config.compression ?? 'none');
      return { body: built.body, headers: { 'content-type': 'application/x-ndjson', ...built.headers } };
    }
    case 'otlp': {
      if (otlp === undefined) throw new Error('the otlp body needs its scope and codec');
      const groups = buildOtlpLogs(batch);
      const json = config.otlp?.encoding === 'json';
      if (!json && otlp.codec === undefined) throw new Error('the otlp protobuf codec is not loaded');
      const content = json ? JSON.stringify(otlpJsonRequest(groups, otlp.scope)) : otlp.codec!.encode(groups, otlp.scope);
      const built = await compress(content, config.compression ?? 'gzip');
      return { body: built.body, headers: { 'content-type': json ? 'application/json' : 'application/x-protobuf', ...built.headers } };
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

/** An OTLP `partial_success`: the server accepted the request but rejected `rejected` records. */
export interface PartialSuccess {
  rejected: number;
  /** The server's `error_message`, redacted. */
  message: string;
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
  /** `otlp`: reads a protobuf `ExportLogsServiceResponse`. */
  otlpCodec?: OtlpCodec | undefined;
}

/** The `partial_success` of a 2xx OTLP response (protobuf or JSON, by its Content-Type), if it rejected records. */
function otlpPartialSuccess(res: HttpResponse, context: ResponseContext): PartialSuccess | undefined {
  const type = header(res, 'content-type') ?? '';
  let partial: { rejected: number; message: string } | undefined;
  if (type.includes('protobuf') && res.bytes !== undefined && res.bytes.byteLength > 0 && context.otlpCodec !== undefined) {
    try {
      partial = context.otlpCodec.decodeResponse(res.bytes);
    } catch {
      partial = undefined;
    }
  } else if (type.includes('json')) partial = jsonPartialSuccess(res.text);
  if (partial === undefined || !(partial.rejected > 0)) return undefined;
  return { rejected: partial.rejected, message: redact(partial.message, context.secrets).slice(0, 300) };
}

/**
 * Turns a response into the ack (return) or an error of the class the core acts on: 2xx acks
 * (for `_bulk`, unless items failed); other statuses by the core's `classifyHttpStatus` table
 * (429/503 retry after `Retry-After` or 1 s; 408/425/5xx after `Retry-After`, else with backoff
 * as `SINK_TRANSIENT`; other 3xx/4xx permanent). Messages carry no credentials. For `otlp`, a
 * 2xx with a `partial_success` that rejected records is still an ack: it is returned, for the
 * caller to log and count; a failure's `google.rpc.Status` message is surfaced.
 */
export function classifyResponse(res: HttpResponse, context: ResponseContext): PartialSuccess | undefined {
  const { where, secrets, now } = context;
  const status = res.status;
  const plugin = { plugin: context.sink };
  const retryAfter = header(res, 'retry-after');
  if (status >= 200 && status < 300) {
    if (context.body === 'otlp') return otlpPartialSuccess(res, context);
    if (context.body !== 'elasticsearch') return undefined;
    const outcome = bulkOutcome(res.text);
    switch (outcome.kind) {
      case 'ok':
        return undefined;
      case 'throttled':
        throw sinkError('retry-after', `${where} rejected ${outcome.failed} bulk item(s) with 429`, { ...plugin, retryAfterMs: parseRetryAfter(retryAfter, now) });
      case 'transient':
        throw sinkError('transient', `${where} failed ${outcome.failed} bulk item(s): ${redact(outcome.reason, secrets)}`, plugin);
      case 'permanent':
        throw sinkError('permanent', `${where} rejected ${outcome.failed} bulk item(s): ${redact(outcome.reason, secrets)}`, plugin);
    }
  }
  // OTLP errors carry a google.rpc.Status: its message, not the raw body (a protobuf one that does
  // not decode is left out rather than shown as binary).
  const contentType = header(res, 'content-type') ?? '';
  const otlpStatus = context.body === 'otlp' && res.bytes !== undefined ? statusMessage(res.bytes, contentType) : undefined;
  const detail = otlpStatus ?? (context.body === 'otlp' && contentType.includes('protobuf') ? '' : res.text);
  throw classifyHttpStatus(status, {
    message: `${where} answered ${status}${excerpt(detail, secrets)}`,
    retryAfter,
    now,
    ...plugin,
    ...(status === 401 || status === 403 ? { hint: 'check the credentials (bearerTokenEnv/basicAuth) and their permissions' } : {}),
  });
}

/** Creates the sink instance for a validated config. */
export async function createHttpSinkInstance(config: HttpSinkConfig, ctx: SinkContext, options: HttpSinkOptions = {}): Promise<SinkInstance> {
  const url = config.body === 'otlp' ? otlpLogsUrl(config.url) : new URL(config.url);
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
  let otlp: OtlpBodyContext | undefined;
  if (config.body === 'otlp') {
    // The protobuf serializer loads only here, for sinks that use it.
    const codec = await loadOtlpEncoder();
    otlp = { scope: { name: 'k8stream', version: await packageVersion() }, codec };
  }
  /** Log records the OTLP receiver rejected through `partial_success`, over the sink's life. */
  let otlpRejected = 0;

  return {
    async send(batch: Batch<unknown>, send: SendContext): Promise<void> {
      guard.assertOpen();
      const built = await requestBody(batch, config, otlp);
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
      const partial = classifyResponse(res, { where, sink: ctx.name, body: config.body, secrets, now: now(), otlpCodec: otlp?.codec });
      if (partial !== undefined) {
        otlpRejected += partial.rejected;
        send.logger.warn('OTLP receiver rejected log records (partial success); the batch is acknowledged', {
          url: safeUrl(url),
          batch: batch.id,
          records: batch.count,
          rejected: partial.rejected,
          rejectedTotal: otlpRejected,
          error: partial.message,
        });
      }
      send.logger.debug('batch sent', { url: safeUrl(url), status: res.status, records: batch.count });
    },
    async close(): Promise<void> {
      guard.close();
    },
    describe(): string {
      return `${config.body === 'otlp' ? `otlp/${config.otlp.encoding}` : config.body} ${where}`;
    },
  };
}

/** This package's version: the OTLP instrumentation scope version. */
async function packageVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '';
  } catch {
    return '';
  }
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
