/** RS256 JSON Web Tokens for the credential doubles: signing (an identity provider) and checking. */
import { createSign, createVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export type Claims = Record<string, unknown>;

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** A compact RS256 JWT of `claims`. */
export function signJwt(claims: Claims, privateKey: KeyObject | string, kid?: string): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...(kid !== undefined ? { kid } : {}) }));
  const body = b64url(JSON.stringify(claims));
  const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(privateKey);
  return `${head}.${body}.${b64url(signature)}`;
}

/** The claims of a JWT, unverified (to find whose key checks it); null when it is not one. */
export function peekClaims(token: string): Claims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Claims) : null;
  } catch {
    return null;
  }
}

/**
 * Checks an RS256 JWT's signature against `publicKey` and its time claims (`exp` in the future,
 * `iat` not ahead of now, at most `maxLifetimeS` apart). Returns the claims or why it fails.
 */
export function verifyJwt(token: string, publicKey: KeyObject | string, options: { maxLifetimeS?: number; now?: number } = {}): { claims: Claims } | { error: string } {
  const [head, body, signature] = token.split('.');
  if (head === undefined || body === undefined || signature === undefined) return { error: 'not a JWT' };
  let header: { alg?: unknown };
  try {
    header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: unknown };
  } catch {
    return { error: 'malformed header' };
  }
  if (header.alg !== 'RS256') return { error: `algorithm ${String(header.alg)} not accepted` };
  if (!createVerify('RSA-SHA256').update(`${head}.${body}`).verify(publicKey, Buffer.from(signature, 'base64url'))) return { error: 'invalid signature' };
  const claims = peekClaims(token);
  if (claims === null) return { error: 'malformed claims' };
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const { exp, iat } = claims;
  if (typeof exp !== 'number' || typeof iat !== 'number') return { error: 'exp and iat are required' };
  if (exp <= now) return { error: 'expired' };
  if (iat > now + 60) return { error: 'issued in the future' };
  if (exp - iat > (options.maxLifetimeS ?? 3600)) return { error: 'lifetime too long' };
  return { claims };
}
