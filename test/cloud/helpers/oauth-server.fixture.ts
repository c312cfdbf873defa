/**
 * A local OAuth 2.0 token endpoint for Google service accounts: it takes the JWT-bearer grant
 * (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`), checks the
 * assertion as Google does (RS256 signature by the key of the service account named in `iss`,
 * audience the token endpoint, at most an hour long, a scope) and issues an opaque access
 * token. `serviceAccountKey` builds a key file JSON whose `token_uri` points here.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { peekClaims, verifyJwt } from './jwt.fixture.js';

/** The audience Google's client libraries put in the assertion. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface OAuthServer {
  /** The token endpoint (`http://127.0.0.1:PORT/token`), for `token_uri`. */
  tokenUri: string;
  /** Each grant: the service account and the outcome (`ok` or the OAuth error description). */
  readonly grants: { email: string; outcome: string }[];
  /** Every access token issued. */
  readonly issued: string[];
  /** Whether `authorization` is `Bearer <a token issued here and not revoked>`. */
  accepts(authorization: string | undefined): boolean;
  /** Makes every token issued so far invalid (as if expired or revoked). */
  revokeAll(): void;
  /** A new service account: its key file JSON (`token_uri` → here) and the private key in it. */
  serviceAccount(email: string, projectId: string): { keyJson: string; privateKeyPem: string };
  close(): Promise<void>;
}

/** A service-account key file as the Google console downloads it. */
export function serviceAccountKey(email: string, projectId: string, privateKeyPem: string, tokenUri: string): string {
  return JSON.stringify(
    {
      type: 'service_account',
      project_id: projectId,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKeyPem,
      client_email: email,
      client_id: String(100_000_000_000_000_000_000n + BigInt(randomBytes(4).readUInt32BE())),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: tokenUri,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      universe_domain: 'googleapis.com',
    },
    null,
    2,
  );
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startOAuthServer(): Promise<OAuthServer> {
  const accounts = new Map<string, KeyObject>();
  const tokens = new Set<string>();
  const issued: string[] = [];
  const grants: OAuthServer['grants'] = [];
  let tokenUri = '';

  /** The access token for a valid grant, or the `invalid_grant` description. */
  const grant = (form: URLSearchParams): { token: string } | { error: string; description: string } => {
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return { error: 'unsupported_grant_type', description: 'Invalid grant_type.' };
    const assertion = form.get('assertion') ?? '';
    const email = peekClaims(assertion)?.['iss'];
    const key = typeof email === 'string' ? accounts.get(email) : undefined;
    if (key === undefined) return { error: 'invalid_grant', description: 'Invalid grant: account not found' };
    const checked = verifyJwt(assertion, key);
    if ('error' in checked) return { error: 'invalid_grant', description: checked.error === 'invalid signature' ? 'Invalid JWT Signature.' : `Invalid JWT: ${checked.error}` };
    const aud = checked.claims['aud'];
    if (aud !== GOOGLE_TOKEN_URL && aud !== tokenUri) return { error: 'invalid_grant', description: 'Invalid JWT: audience is not the token endpoint' };
    if (typeof checked.claims['scope'] !== 'string' || checked.claims['scope'] === '')
      return { error: 'invalid_scope', description: 'Invalid OAuth scope or ID token audience provided.' };
    const token = `ya29.test-${randomBytes(24).toString('base64url')}`;
    tokens.add(token);
    issued.push(token);
    return { token };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/token') return sendJson(res, 404, { error: 'not_found' });
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const email = String(peekClaims(form.get('assertion') ?? '')?.['iss'] ?? '');
      const result = grant(form);
      grants.push({ email, outcome: 'token' in result ? 'ok' : result.description });
      if ('token' in result) return sendJson(res, 200, { access_token: result.token, expires_in: 3599, token_type: 'Bearer' });
      sendJson(res, 400, { error: result.error, error_description: result.description });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  tokenUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;

  return {
    tokenUri,
    grants,
    issued,
    accepts: (authorization) => authorization !== undefined && authorization.startsWith('Bearer ') && tokens.has(authorization.slice('Bearer '.length)),
    revokeAll: () => tokens.clear(),
    serviceAccount(email, projectId) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      accounts.set(email, publicKey);
      const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      return { keyJson: serviceAccountKey(email, projectId, privateKeyPem, tokenUri), privateKeyPem };
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
