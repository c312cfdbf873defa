/**
 * A small in-process Google Cloud Storage JSON-API server for tests, written on node:http.
 * It speaks what `@google-cloud/storage` 8.x sends: bucket GET, object metadata/media GET,
 * DELETE, listing (prefix, delimiter, maxResults, pageToken), multipart uploads and resumable
 * uploads (session start with `Location`, chunked PUTs answered 308 with `Range`), the
 * `ifGenerationMatch` precondition (412), and `crc32c`/`md5Hash` on every object resource and
 * `x-goog-hash` on downloads. JSON paths are accepted with and without the `/storage/v1` prefix.
 * Authentication only when asked (`authorize`): then every request needs an `Authorization`
 * header it accepts, else 401 as GCS answers it. Faults can be injected per request.
 */
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32cBase64 } from './crc32c.fixture.js';

/** One stored object. */
export interface StoredObject {
  name: string;
  data: Buffer;
  generation: number;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** Custom metadata (`metadata.metadata` of the object resource). */
  metadata: Record<string, string>;
}

/** One request the server saw. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, as sent. */
  path: string;
  query: Record<string, string>;
  /** `multipart`, `resumable` or `media` for uploads, undefined otherwise. */
  uploadType: string | undefined;
  /** Whether an `Authorization` header came with the request. */
  authorization: boolean;
}

/** A fault answered instead of the real handling, for the requests it matches. */
export interface InjectedFault {
  /** Only requests with this method. */
  method?: string;
  /** Only requests whose path contains this string. */
  pathIncludes?: string;
  status: number;
  headers?: Record<string, string>;
  /** How many matching requests get the fault. @default Infinity */
  times?: number;
  /** Error reason in the JSON error body. @default derived from the status */
  reason?: string;
}

interface ResumableSession {
  bucket: string;
  name: string;
  resource: Record<string, unknown>;
  ifGenerationMatch: string | undefined;
  chunks: Buffer[];
  received: number;
}

export interface GcsTestServer {
  /** Base URL to pass as `apiEndpoint` (`http://127.0.0.1:PORT`). */
  readonly url: string;
  /** Buckets and their objects, by name. */
  readonly buckets: Map<string, Map<string, StoredObject>>;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Creates an (empty) bucket. */
  createBucket(name: string): void;
  /** Stores an object directly (as if uploaded). */
  putObject(bucket: string, object: Omit<StoredObject, 'generation'>): StoredObject;
  /** Answers matching requests with an error status instead. */
  inject(fault: InjectedFault): void;
  /** Removes every injected fault. */
  clearFaults(): void;
  /** Forgets every bucket, object, session, fault and recorded request, then creates `buckets`. */
  reset(buckets?: readonly string[]): void;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  400: 'invalid',
  403: 'forbidden',
  404: 'notFound',
  412: 'conditionNotMet',
  429: 'rateLimitExceeded',
  500: 'backendError',
  503: 'backendError',
};

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, reason?: string, headers: Record<string, string> = {}): void {
  const why = reason ?? REASONS[status] ?? 'error';
  sendJson(res, status, { error: { code: status, message, errors: [{ domain: 'global', reason: why, message }] } }, headers);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Splits a `multipart/related` body into its parts (headers lower-cased, raw content). */
function parseMultipart(body: Buffer, contentType: string): { headers: Record<string, string>; content: Buffer }[] {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match?.[1]) throw new Error('multipart body without boundary');
  const delimiter = Buffer.from(`--${match[1]}`);
  const parts: { headers: Record<string, string>; content: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const afterDelimiter = start + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, afterDelimiter);
    if (next < 0) break;
    let part = body.subarray(afterDelimiter, next);
    if (part.subarray(0, 2).toString() === '\r\n') part = part.subarray(2);
    if (part.subarray(part.length - 2).toString() === '\r\n') part = part.subarray(0, part.length - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headerText = headerEnd < 0 ? '' : part.subarray(0, headerEnd).toString();
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, content: headerEnd < 0 ? part : part.subarray(headerEnd + 4) });
    start = next;
  }
  return parts;
}

function objectResource(bucket: string, obj: StoredObject): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    kind: 'storage#object',
    id: `${bucket}/${obj.name}/${obj.generation}`,
    name: obj.name,
    bucket,
    generation: String(obj.generation),
    metageneration: '1',
    contentType: obj.contentType,
    contentEncoding: obj.contentEncoding,
    size: String(obj.data.length),
    md5Hash: createHash('md5').update(obj.data).digest('base64'),
    crc32c: crc32cBase64(obj.data),
    metadata: Object.keys(obj.metadata).length > 0 ? obj.metadata : undefined,
    timeCreated: now,
    updated: now,
    storageClass: 'STANDARD',
  };
}

/** Options of the test server. */
export interface GcsServerOptions {
  buckets?: readonly string[];
  /** When given, only requests whose `Authorization` header it accepts are served; others get 401. */
  authorize?: (authorization: string | undefined) => boolean;
}

/** GCS's 401: no credentials ("Anonymous caller…") or credentials it does not accept. */
function sendUnauthorized(res: ServerResponse, anonymous: boolean): void {
  const message = anonymous
    ? 'Anonymous caller does not have storage.objects.create access to the Google Cloud Storage object. Permission denied on resource (or it may not exist).'
    : 'Invalid Credentials';
  const body = {
    error: { code: 401, message, errors: [{ message, domain: 'global', reason: anonymous ? 'required' : 'authError', locationType: 'header', location: 'Authorization' }] },
  };
  sendJson(res, 401, body, {
    'www-authenticate': anonymous ? 'Bearer realm="https://accounts.google.com/"' : 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
  });
}

/** Starts a server on 127.0.0.1 with a free port. */
export async function startGcsServer(options: GcsServerOptions = {}): Promise<GcsTestServer> {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const requests: RecordedRequest[] = [];
  const sessions = new Map<string, ResumableSession>();
  let faults: (InjectedFault & { left: number })[] = [];
  let generation = 1_700_000_000_000_000;
  let url = '';

  const store = (bucket: string, object: Omit<StoredObject, 'generation'>): StoredObject => {
    const objects = buckets.get(bucket);
    if (!objects) throw new Error(`no bucket ${bucket}`);
    const stored: StoredObject = { ...object, generation: ++generation };
    objects.set(object.name, stored);
    return stored;
  };

  /** Stores an upload unless the precondition fails; answers the client. */
  const finishUpload = (res: ServerResponse, bucket: string, name: string, resource: Record<string, unknown>, ifGenerationMatch: string | undefined, data: Buffer): void => {
    const objects = buckets.get(bucket);
    if (!objects) return sendError(res, 404, `The specified bucket does not exist.`);
    const existing = objects.get(name);
    if (ifGenerationMatch !== undefined && String(existing?.generation ?? 0) !== ifGenerationMatch) {
      return sendError(res, 412, 'At least one of the pre-conditions you specified did not hold.');
    }
    const metadata = (resource['metadata'] ?? {}) as Record<string, string>;
    const stored = store(bucket, {
      name,
      data,
      contentType: typeof resource['contentType'] === 'string' ? resource['contentType'] : undefined,
      contentEncoding: typeof resource['contentEncoding'] === 'string' ? resource['contentEncoding'] : undefined,
      metadata: { ...metadata },
    });
    sendJson(res, 200, objectResource(bucket, stored));
  };

  const handleUpload = async (req: IncomingMessage, res: ServerResponse, rest: string, query: URLSearchParams): Promise<void> => {
    const m = /^\/b\/([^/]+)\/o$/.exec(rest);
    if (!m?.[1]) return sendError(res, 404, 'Not Found');
    const bucket = decodeURIComponent(m[1]);
    const uploadType = query.get('uploadType');
    const ifGenerationMatch = query.get('ifGenerationMatch') ?? undefined;
    const body = await readBody(req);

    if (req.method === 'POST' && uploadType === 'multipart') {
      const parts = parseMultipart(body, req.headers['content-type'] ?? '');
      const [meta, media] = parts;
      if (!meta || !media) return sendError(res, 400, 'multipart upload needs a metadata part and a media part');
      const resource = JSON.parse(meta.content.toString('utf8')) as Record<string, unknown>;
      if (resource['contentType'] === undefined && media.headers['content-type']) resource['contentType'] = media.headers['content-type'];
      const name = query.get('name') ?? (resource['name'] as string | undefined);
      if (!name) return sendError(res, 400, 'object name is required');
      return finishUpload(res, bucket, name, resource, ifGenerationMatch, media.content);
    }

    if (req.method === 'POST' && uploadType === 'media') {
      const name = query.get('name');
      if (!name) return sendError(res, 400, 'object name is required');
      return finishUpload(res, bucket, name, { contentType: req.headers['content-type'] }, ifGenerationMatch, body);
    }

    if (req.method === 'POST' && uploadType === 'resumable') {
      const resource = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      const name = query.get('name') ?? (resource['name'] as string | undefined);
      if (!name) return sendError(res, 400, 'object name is required');
      const objects = buckets.get(bucket);
      if (!objects) return sendError(res, 404, 'The specified bucket does not exist.');
      const existing = objects.get(name);
      if (ifGenerationMatch !== undefined && String(existing?.generation ?? 0) !== ifGenerationMatch) {
        return sendError(res, 412, 'At least one of the pre-conditions you specified did not hold.');
      }
      const uploadContentType = req.headers['x-upload-content-type'];
      if (resource['contentType'] === undefined && typeof uploadContentType === 'string') resource['contentType'] = uploadContentType;
      const id = randomUUID();
      sessions.set(id, { bucket, name, resource, ifGenerationMatch, chunks: [], received: 0 });
      const location = `${url}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
      res.writeHead(200, { location, 'content-length': 0 });
      res.end();
      return;
    }

    if (req.method === 'PUT' && query.get('upload_id')) {
      const session = sessions.get(query.get('upload_id')!);
      if (!session) return sendError(res, 404, 'No such upload session');
      const range = String(req.headers['content-range'] ?? `bytes 0-*/*`);
      const m2 = /^bytes (\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(range);
      if (!m2) return sendError(res, 400, `invalid Content-Range ${range}`);
      const first = m2[2] === undefined ? undefined : Number(m2[2]);
      if (first !== undefined && body.length > 0) {
        if (first > session.received) return sendError(res, 400, `gap in resumable upload at ${session.received}`);
        const skip = session.received - first;
        if (skip < body.length) {
          session.chunks.push(body.subarray(skip));
          session.received += body.length - skip;
        }
      }
      const total = m2[4] === '*' ? undefined : Number(m2[4]);
      // `bytes 0-*/*` (or a status query without a total) ends the upload when the body is streamed whole.
      const done = total !== undefined ? session.received >= total : m2[3] === '*';
      if (!done) {
        const headers: Record<string, string> = { 'content-length': '0' };
        if (session.received > 0) headers['range'] = `bytes=0-${session.received - 1}`;
        res.writeHead(308, headers);
        res.end();
        return;
      }
      sessions.delete(query.get('upload_id')!);
      return finishUpload(res, session.bucket, session.name, session.resource, session.ifGenerationMatch, Buffer.concat(session.chunks));
    }

    return sendError(res, 400, `unsupported upload ${req.method} uploadType=${uploadType ?? ''}`);
  };

  const handleJson = async (req: IncomingMessage, res: ServerResponse, rest: string, query: URLSearchParams): Promise<void> => {
    await readBody(req);
    const bucketMatch = /^\/b\/([^/]+)(\/o(?:\/(.+))?)?$/.exec(rest);
    if (!bucketMatch?.[1]) return sendError(res, 404, 'Not Found');
    const bucket = decodeURIComponent(bucketMatch[1]);
    const objects = buckets.get(bucket);
    if (!objects) return sendError(res, 404, 'The specified bucket does not exist.');
    if (bucketMatch[2] === undefined) {
      if (req.method !== 'GET') return sendError(res, 405, 'method not allowed');
      return sendJson(res, 200, { kind: 'storage#bucket', id: bucket, name: bucket, location: 'EU', storageClass: 'STANDARD' });
    }
    if (bucketMatch[3] === undefined) {
      if (req.method !== 'GET') return sendError(res, 405, 'method not allowed');
      const prefix = query.get('prefix') ?? '';
      const delimiter = query.get('delimiter') ?? '';
      const maxResults = Number(query.get('maxResults') ?? '1000') || 1000;
      const pageToken = query.get('pageToken') ?? '';
      const names = [...objects.keys()].filter((n) => n.startsWith(prefix)).sort();
      const entries: { name: string; prefix: boolean }[] = [];
      const seen = new Set<string>();
      for (const name of names) {
        const restOfName = name.slice(prefix.length);
        const cut = delimiter ? restOfName.indexOf(delimiter) : -1;
        if (cut >= 0) {
          const p = prefix + restOfName.slice(0, cut + delimiter.length);
          if (!seen.has(p)) {
            seen.add(p);
            entries.push({ name: p, prefix: true });
          }
        } else {
          entries.push({ name, prefix: false });
        }
      }
      const startAt = pageToken ? entries.findIndex((e) => e.name > Buffer.from(pageToken, 'base64url').toString()) : 0;
      const page = startAt < 0 ? [] : entries.slice(startAt, startAt + maxResults);
      const more = startAt >= 0 && startAt + maxResults < entries.length;
      const last = page[page.length - 1];
      return sendJson(res, 200, {
        kind: 'storage#objects',
        items: page.filter((e) => !e.prefix).map((e) => objectResource(bucket, objects.get(e.name)!)),
        prefixes: page.filter((e) => e.prefix).map((e) => e.name),
        nextPageToken: more && last ? Buffer.from(last.name).toString('base64url') : undefined,
      });
    }
    const name = decodeURIComponent(bucketMatch[3]);
    const obj = objects.get(name);
    if (!obj) return sendError(res, 404, `No such object: ${bucket}/${name}`);
    if (req.method === 'DELETE') {
      objects.delete(name);
      res.writeHead(204);
      res.end();
      return;
    }
    if (req.method !== 'GET') return sendError(res, 405, 'method not allowed');
    if (query.get('alt') === 'media') {
      const headers: Record<string, string> = {
        'content-length': String(obj.data.length),
        'x-goog-hash': `crc32c=${crc32cBase64(obj.data)},md5=${createHash('md5').update(obj.data).digest('base64')}`,
        'x-goog-generation': String(obj.generation),
        'x-goog-stored-content-length': String(obj.data.length),
        'content-type': obj.contentType ?? 'application/octet-stream',
      };
      if (obj.contentEncoding) headers['x-goog-stored-content-encoding'] = obj.contentEncoding;
      res.writeHead(200, headers);
      res.end(obj.data);
      return;
    }
    return sendJson(res, 200, objectResource(bucket, obj));
  };

  const server: Server = createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://localhost');
    const query = parsed.searchParams;
    const method = req.method ?? 'GET';
    requests.push({
      method,
      path: parsed.pathname,
      query: Object.fromEntries(query),
      uploadType: parsed.pathname.startsWith('/upload/') ? (query.get('uploadType') ?? undefined) : undefined,
      authorization: req.headers.authorization !== undefined,
    });
    if (options.authorize !== undefined && !options.authorize(req.headers.authorization)) {
      req.resume();
      sendUnauthorized(res, req.headers.authorization === undefined);
      return;
    }
    const fault = faults.find((f) => f.left > 0 && (f.method === undefined || f.method === method) && (f.pathIncludes === undefined || parsed.pathname.includes(f.pathIncludes)));
    if (fault) {
      fault.left--;
      req.resume();
      sendError(res, fault.status, `injected ${fault.status}`, fault.reason, fault.headers);
      return;
    }
    const run = async (): Promise<void> => {
      const path = parsed.pathname;
      if (path.startsWith('/upload/storage/v1/')) return handleUpload(req, res, path.slice('/upload/storage/v1'.length), query);
      const rest = path.startsWith('/storage/v1/') ? path.slice('/storage/v1'.length) : path;
      return handleJson(req, res, rest, query);
    };
    run().catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const b of options.buckets ?? []) buckets.set(b, new Map());

  return {
    url,
    buckets,
    requests,
    createBucket: (name) => void buckets.set(name, buckets.get(name) ?? new Map()),
    putObject: store,
    inject: (fault) => void faults.push({ ...fault, left: fault.times ?? Infinity }),
    clearFaults: () => {
      faults = [];
    },
    reset: (names = []) => {
      buckets.clear();
      sessions.clear();
      requests.length = 0;
      faults = [];
      for (const b of names) buckets.set(b, new Map());
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
