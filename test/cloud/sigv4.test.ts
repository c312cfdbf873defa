// The verifying S3 front is only as good as its SigV4 check: requests signed by the SDK's own
// signer pass, and a change to any signed part (method, path, query, header, body, key, region,
// session token, time) is refused with the error S3 gives.
import { createHash, createHmac } from 'node:crypto';
import type { Hash, Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { uriEncode } from './helpers/sigv4.fixture.js';
import type { ReceivedRequest } from './helpers/sigv4.fixture.js';
import { verifyRequest } from './helpers/sigv4-verify.fixture.js';
import type { KnownKey } from './helpers/sigv4-verify.fixture.js';

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Uint8Array =>
  typeof d === 'string' ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** The hash the signer asks for, on node:crypto. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

const REGION = 'eu-central-1';
const AT = new Date('2026-12-07T21:30:00Z');
const KEY = { id: 'AKIAK8STREAMSIGV4TST', secret: 'sigv4-test-secret/abcdefghijklmnopqrstuv' };
const TEMP = { id: 'ASIAK8STREAMSIGV4TMP', secret: 'sigv4-temp-secret/0123456789abcdefghij', token: 'IQoJb3JpZ2luX2VjSIGV4TESTTOKEN' };
const keys = new Map<string, KnownKey>([
  [KEY.id, { secretAccessKey: KEY.secret }],
  [TEMP.id, { secretAccessKey: TEMP.secret, sessionToken: TEMP.token }],
]);

const body = Buffer.from('{"a":1}\n{"b":2}\n');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Signs a multipart-part PUT with the SDK's signer, as S3 clients do, and returns it as the server receives it. */
async function signed(options: { id?: string; secret?: string; token?: string; region?: string } = {}): Promise<ReceivedRequest> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: options.id ?? KEY.id, secretAccessKey: options.secret ?? KEY.secret, ...(options.token ? { sessionToken: options.token } : {}) },
    region: options.region ?? REGION,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
  const query = { partNumber: '1', uploadId: 'up/load+id=1 2' };
  const request = await signer.sign(
    {
      method: 'PUT',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 9000,
      path: '/bucket/ev%20ents/%C3%BC%2Bx.ndjson',
      query,
      headers: { host: '127.0.0.1:9000', 'content-type': 'application/x-ndjson', 'x-amz-content-sha256': sha(body), 'content-length': String(body.length) },
      body,
    },
    { signingDate: AT },
  );
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  // Sent in another order than the canonical one: the server sorts.
  const qs = Object.entries(query)
    .reverse()
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
    .join('&');
  return { method: request.method, url: `${request.path}?${qs}`, headers, body };
}

const verify = (req: ReceivedRequest, region = REGION) => {
  const verdict = verifyRequest(req, keys, { region, now: AT.getTime() });
  return verdict.ok ? 'ok' : verdict.rejection.code;
};

describe('SigV4 verification of the S3 front', () => {
  it('accepts what the SDK signer signs, with long-term and with temporary credentials', async () => {
    expect(verify(await signed())).toBe('ok');
    expect(verify(await signed({ id: TEMP.id, secret: TEMP.secret, token: TEMP.token }))).toBe('ok');
  });

  it('refuses a change to any signed part of the request', async () => {
    const req = await signed();
    expect(verify({ ...req, method: 'POST' })).toBe('SignatureDoesNotMatch');
    expect(verify({ ...req, url: req.url.replace('ev%20ents', 'events') })).toBe('SignatureDoesNotMatch');
    expect(verify({ ...req, url: req.url.replace('partNumber=1', 'partNumber=2') })).toBe('SignatureDoesNotMatch');
    expect(verify({ ...req, headers: { ...req.headers, 'content-type': 'text/plain' } })).toBe('SignatureDoesNotMatch');
    expect(verify({ ...req, body: Buffer.from('{"a":2}\n{"b":2}\n') })).toBe('XAmzContentSHA256Mismatch');
  });

  it('refuses a wrong secret, an unknown key, a foreign region, a stale clock and a missing or wrong session token', async () => {
    expect(verify(await signed({ secret: 'not-the-secret' }))).toBe('SignatureDoesNotMatch');
    expect(verify(await signed({ id: 'AKIAK8STREAMUNKNOWN0' }))).toBe('InvalidAccessKeyId');
    expect(verify(await signed({ region: 'us-east-1' }))).toBe('AuthorizationHeaderMalformed');
    expect(verifyRequest(await signed(), keys, { region: REGION, now: AT.getTime() + 16 * 60_000 })).toMatchObject({ ok: false, rejection: { code: 'RequestTimeTooSkewed' } });
    expect(verify(await signed({ id: TEMP.id, secret: TEMP.secret }))).toBe('InvalidAccessKeyId');
    expect(verify(await signed({ id: TEMP.id, secret: TEMP.secret, token: 'IQoJb3JpZ2luX2VjFORGED' }))).toBe('InvalidToken');
    expect(verify({ ...(await signed()), headers: {} })).toBe('AccessDenied');
  });
});
