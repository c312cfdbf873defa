/**
 * An OTLP/HTTP logs receiver for tests. It decodes every request with protobufjs and the official
 * `opentelemetry-proto` definitions shipped in the `@elastic/mockotlpserver` npm package (v1.4.0
 * of the protos), never with the sink's own code: protobuf bodies with `ExportLogsServiceRequest.decode`,
 * JSON bodies through `fromObject` (the protobuf JSON mapping), both then turned into one plain
 * shape (`longs: String`, `enums: Number`). It answers with scripted responses, encoding a
 * `partial_success` with `ExportLogsServiceResponse` the same way, and records when each request
 * arrived and each response left (for Retry-After assertions).
 */
import { EventEmitter, once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const PROTO_ROOT = path.dirname(require.resolve('@elastic/mockotlpserver/package.json'));

/** The official definitions, loaded once. */
function loadTypes() {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO_ROOT, target);
  root.loadSync('opentelemetry/proto/collector/logs/v1/logs_service.proto', { keepCase: false });
  // v1.4.0 of the protos predates LogRecord.event_name (field 12, added in opentelemetry-proto
  // v1.5.0); declare it so the decoder reads it instead of skipping it as an unknown field.
  const logRecord = root.lookupType('opentelemetry.proto.logs.v1.LogRecord');
  if (logRecord.fields.eventName === undefined) logRecord.add(new protobuf.Field('eventName', 12, 'string'));
  root.resolveAll();
  return {
    request: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
  };
}

export const otlpTypes = loadTypes();

/** `toObject` options: one shape for protobuf and JSON bodies. */
const PLAIN = { longs: String, enums: Number, bytes: String, defaults: false, arrays: true } as const;

/** A decoded AnyValue. */
export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values: AnyValue[] };
  kvlistValue?: { values: KeyValue[] };
}
export interface KeyValue {
  key: string;
  value: AnyValue;
}
export interface DecodedLogRecord {
  timeUnixNano?: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue;
  attributes: KeyValue[];
  eventName?: string;
  droppedAttributesCount?: number;
}
export interface DecodedResourceLogs {
  resource?: { attributes: KeyValue[] };
  scopeLogs: { scope?: { name?: string; version?: string }; logRecords: DecodedLogRecord[] }[];
}
export interface DecodedRequest {
  resourceLogs: DecodedResourceLogs[];
}

export interface ReceivedOtlp {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body as sent (before gunzip). */
  raw: Buffer;
  /** The body after Content-Encoding. */
  body: Buffer;
  decoded: DecodedRequest;
  /** performance.timeOrigin-based ms (Date.now scale) when the request was complete. */
  arrivedAt: number;
  /** When the response was written. */
  answeredAt: number;
  /** The status it was answered with. */
  status: number;
}

export interface OtlpAnswer {
  status: number;
  headers?: Record<string, string>;
  /** Body bytes or text; `partialSuccess` encodes an ExportLogsServiceResponse instead. */
  body?: string | Uint8Array;
  partialSuccess?: { rejectedLogRecords: number; errorMessage: string };
  /** Computed when the answer is sent (an HTTP-date relative to that moment). */
  dynamicHeaders?: (now: number) => Record<string, string>;
}

export interface OtlpReceiver {
  /** Base endpoint (no path): the sink appends /v1/logs. */
  endpoint: string;
  requests: ReceivedOtlp[];
  /** Answers for the next requests, in order; afterwards 200 with an empty response of the request's encoding. */
  respond: OtlpAnswer[];
  /** Resolves once the accepted (2xx) requests hold at least `n` log records in total. */
  waitForAccepted(n: number, timeoutMs?: number): Promise<void>;
  /** Log records of the last 2xx request of every Idempotency-Key (as an idempotent receiver keeps them). */
  accepted(): { resource: KeyValue[]; scope: { name?: string; version?: string } | undefined; record: DecodedLogRecord }[];
  close(): Promise<void>;
}

/** Decodes an OTLP logs request body (already gunzipped) by its Content-Type. */
export function decodeOtlp(body: Buffer, contentType: string): DecodedRequest {
  const message = contentType.includes('json') ? otlpTypes.request.fromObject(JSON.parse(body.toString('utf8')) as Record<string, unknown>) : otlpTypes.request.decode(body);
  const plain = otlpTypes.request.toObject(message, PLAIN) as DecodedRequest;
  plain.resourceLogs ??= [];
  for (const rl of plain.resourceLogs) {
    rl.scopeLogs ??= [];
    if (rl.resource) rl.resource.attributes ??= [];
    for (const sl of rl.scopeLogs) {
      sl.logRecords ??= [];
      for (const r of sl.logRecords) r.attributes ??= [];
    }
  }
  return plain;
}

function recordCount(d: DecodedRequest): number {
  return d.resourceLogs.reduce((n, rl) => n + rl.scopeLogs.reduce((m, sl) => m + sl.logRecords.length, 0), 0);
}

/** Starts a receiver on 127.0.0.1 with a free port. Only `POST /v1/logs` is served (404 otherwise). */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: ReceivedOtlp[] = [];
  const respond: OtlpAnswer[] = [];
  const events = new EventEmitter();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrivedAt = performance.timeOrigin + performance.now();
      const raw = Buffer.concat(chunks);
      const contentType = String(req.headers['content-type'] ?? '');
      const json = contentType.includes('json');
      let body = raw;
      let decoded: DecodedRequest = { resourceLogs: [] };
      let answer: OtlpAnswer;
      try {
        if (req.method !== 'POST' || req.url !== '/v1/logs') throw Object.assign(new Error(`no route ${req.method} ${req.url}`), { status: 404 });
        body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        decoded = decodeOtlp(body, contentType);
        answer = respond.shift() ?? { status: 200 };
      } catch (err) {
        answer = { status: (err as { status?: number }).status ?? 400, body: String((err as Error).message) };
      }
      let payload: Uint8Array | string = answer.body ?? '';
      if (answer.partialSuccess !== undefined || (answer.body === undefined && answer.status === 200)) {
        const response = otlpTypes.response.fromObject(answer.partialSuccess ? { partialSuccess: answer.partialSuccess } : {});
        payload = json ? JSON.stringify(otlpTypes.response.toObject(response, { longs: String })) : otlpTypes.response.encode(response).finish();
      }
      const answeredAt = performance.timeOrigin + performance.now();
      res.writeHead(answer.status, {
        'content-type': json ? 'application/json' : 'application/x-protobuf',
        ...answer.headers,
        ...(answer.dynamicHeaders?.(answeredAt) ?? {}),
      });
      res.end(payload);
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body, decoded, arrivedAt, answeredAt, status: answer.status });
      events.emit('request');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const acceptedRequests = () => {
    const byKey = new Map<string, ReceivedOtlp>();
    for (const [i, r] of requests.entries()) if (r.status >= 200 && r.status < 300) byKey.set(String(r.headers['idempotency-key'] ?? `#${i}`), r);
    return [...byKey.values()];
  };
  const receiver: OtlpReceiver = {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    respond,
    async waitForAccepted(n, timeoutMs = 20_000) {
      const signal = AbortSignal.timeout(timeoutMs);
      while (acceptedRequests().reduce((sum, r) => sum + recordCount(r.decoded), 0) < n) {
        await once(events, 'request', { signal }).catch(() => {
          throw new Error(`the receiver did not get ${n} accepted log records within ${timeoutMs} ms (requests: ${requests.length})`);
        });
      }
    },
    accepted() {
      return acceptedRequests().flatMap((r) =>
        r.decoded.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((record) => ({ resource: rl.resource?.attributes ?? [], scope: sl.scope, record })))),
      );
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return receiver;
}

/** Attributes as a plain object: strings, int64 as bigint, arrays of strings. */
export function attrs(list: readonly KeyValue[]): Record<string, string | bigint | boolean | number | string[]> {
  const out: Record<string, string | bigint | boolean | number | string[]> = {};
  for (const { key, value } of list) {
    if (key in out) throw new Error(`attribute ${key} appears twice`);
    out[key] = plainValue(value);
  }
  return out;
}

function plainValue(v: AnyValue): string | bigint | boolean | number | string[] {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return BigInt(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map((x) => String(plainValue(x)));
  throw new Error(`unexpected AnyValue ${JSON.stringify(v)}`);
}
