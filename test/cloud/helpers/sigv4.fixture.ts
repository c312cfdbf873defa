/**
 * AWS Signature Version 4, recomputed on the receiving side: from a request as it arrived
 * (method, raw path and query, headers, body) and the secret of the access key it names, the
 * signature the client must have sent. Written from the algorithm: canonical request → string
 * to sign → HMAC-SHA256 key chain. Header-signed requests only (no presigned URLs).
 */
import { createHash, createHmac } from 'node:crypto';

/** The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header. */
export interface ParsedAuthorization {
  accessKeyId: string;
  /** `YYYYMMDD` of the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** A request as the server received it. Header names lower-case (as node:http gives them). */
export interface ReceivedRequest {
  method: string;
  /** Path and query exactly as sent (`/bucket/key%20x?uploads=`). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** Parses the Authorization header; null when it is not a SigV4 header. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | null {
  if (header === undefined || !header.startsWith(`${ALGORITHM} `)) return null;
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const scope = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (scope?.length !== 5 || scope[4] !== 'aws4_request' || !signedHeaders || !signature) return null;
  const [accessKeyId, date, region, service] = scope as [string, string, string, string, string];
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Z a-z 0-9 - _ . ~` as `%XX`. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonical query string: each name and value decoded, re-encoded, sorted by name then value. */
export function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = decodeURIComponent(eq < 0 ? p : p.slice(0, eq));
      const value = eq < 0 ? '' : decodeURIComponent(p.slice(eq + 1).replace(/\+/g, '%20'));
      return [uriEncode(name), uriEncode(value)] as const;
    })
    .filter(([name]) => name !== 'X-Amz-Signature');
  pairs.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

function headerValue(value: string | string[] | undefined): string {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.trim().replace(/\s+/g, ' ');
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The canonical request. S3 signs the path as sent (no double encoding, no normalisation); the
 * payload hash is the `x-amz-content-sha256` header when present (S3 requires it), else the
 * SHA-256 of the body.
 */
export function canonicalRequest(req: ReceivedRequest, signedHeaders: readonly string[]): string {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const headers = signedHeaders.map((name) => `${name}:${headerValue(req.headers[name])}\n`).join('');
  const payload = headerValue(req.headers['x-amz-content-sha256']) || sha256Hex(req.body);
  return [req.method, path || '/', canonicalQuery(query), headers, signedHeaders.join(';'), payload].join('\n');
}

/** The string to sign for a canonical request, its time (`x-amz-date`) and scope. */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

/** The signing key: HMAC chain over date, region, service and `aws4_request`, from `AWS4` + secret. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/** The hex signature of `req` under `secret`, with the scope's date and the given region and service. */
export function expectedSignature(req: ReceivedRequest, auth: ParsedAuthorization, secret: string, region: string, service: string): string {
  const scope = `${auth.date}/${region}/${service}/aws4_request`;
  const toSign = stringToSign(headerValue(req.headers['x-amz-date']), scope, canonicalRequest(req, auth.signedHeaders));
  return createHmac('sha256', signingKey(secret, auth.date, region, service))
    .update(toSign)
    .digest('hex');
}

/** A payload hash that stands for the body itself (not `UNSIGNED-PAYLOAD` or a streaming marker). */
export function isLiteralPayloadHash(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

/** Whether the body matches its declared `x-amz-content-sha256` (markers such as `UNSIGNED-PAYLOAD` pass). */
export function payloadMatches(req: ReceivedRequest): boolean {
  const declared = headerValue(req.headers['x-amz-content-sha256']);
  return !isLiteralPayloadHash(declared) || declared === sha256Hex(req.body);
}
