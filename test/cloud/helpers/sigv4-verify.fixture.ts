/**
 * What S3 decides about a request's credentials: for known access keys (and the session token
 * of temporary ones), accept the request or name the S3 error it gets, in the order S3 checks:
 * anonymous, malformed header, unknown key, session token, scope (region, service), clock
 * skew, payload hash, signature.
 */
import { timingSafeEqual } from 'node:crypto';
import { expectedSignature, parseAuthorization, payloadMatches, canonicalRequest } from './sigv4.fixture.js';
import type { ReceivedRequest } from './sigv4.fixture.js';

/** One access key the server knows. */
export interface KnownKey {
  secretAccessKey: string;
  /** Temporary credentials: the session token every request must carry and sign. */
  sessionToken?: string;
}

/** The S3 error a rejected request gets. */
export interface Rejection {
  status: number;
  code: string;
  message: string;
  /** Extra XML elements of the error body, as S3 adds them. */
  details: Record<string, string>;
}

export type Verdict = { ok: true; accessKeyId: string } | { ok: false; accessKeyId: string | undefined; rejection: Rejection };

const MAX_SKEW_MS = 15 * 60_000;

function reject(accessKeyId: string | undefined, status: number, code: string, message: string, details: Record<string, string> = {}): Verdict {
  return { ok: false, accessKeyId, rejection: { status, code, message, details } };
}

function header(req: ReceivedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** `20261207T215403Z` → epoch ms; NaN when malformed. */
function amzDateMs(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Verifies one request against the known keys, for the store's region and service (`s3`). */
export function verifyRequest(req: ReceivedRequest, keys: ReadonlyMap<string, KnownKey>, options: { region: string; service?: string; now?: number }): Verdict {
  const service = options.service ?? 's3';
  const authorization = header(req, 'authorization');
  if (authorization === undefined) return reject(undefined, 403, 'AccessDenied', 'Access Denied');
  const auth = parseAuthorization(authorization);
  if (auth === null) return reject(undefined, 400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
  const { accessKeyId } = auth;
  const key = keys.get(accessKeyId);
  if (key === undefined) {
    return reject(accessKeyId, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });
  }
  const token = header(req, 'x-amz-security-token');
  if (key.sessionToken !== token || (token !== undefined && !auth.signedHeaders.includes('x-amz-security-token'))) {
    return token === undefined
      ? reject(accessKeyId, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId })
      : reject(accessKeyId, 400, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
  }
  if (auth.region !== options.region) {
    return reject(accessKeyId, 400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${auth.region}' is wrong; expecting '${options.region}'`, {
      Region: options.region,
    });
  }
  if (auth.service !== service || !auth.signedHeaders.includes('host') || !auth.signedHeaders.includes('x-amz-date')) {
    return reject(accessKeyId, 400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; the credential scope or signed headers are wrong.');
  }
  const amzDate = header(req, 'x-amz-date') ?? '';
  const at = amzDateMs(amzDate);
  if (Number.isNaN(at) || !amzDate.startsWith(auth.date)) return reject(accessKeyId, 403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  if (Math.abs(at - (options.now ?? Date.now())) > MAX_SKEW_MS) {
    return reject(accessKeyId, 403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  }
  if (!payloadMatches(req)) return reject(accessKeyId, 400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  const expected = expectedSignature(req, auth, key.secretAccessKey, options.region, service);
  if (!sameHex(expected, auth.signature)) {
    return reject(
      accessKeyId,
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      // Like S3, the body echoes the key id and the canonical request (session token included).
      { AWSAccessKeyId: accessKeyId, CanonicalRequest: canonicalRequest(req, auth.signedHeaders) },
    );
  }
  return { ok: true, accessKeyId };
}

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** S3's XML error body for a rejection. */
export function errorXml(rejection: Rejection, requestId: string): string {
  const details = Object.entries(rejection.details)
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${rejection.code}</Code><Message>${xmlEscape(rejection.message)}</Message>${details}<RequestId>${requestId}</RequestId></Error>`;
}
