/**
 * The `token_uri` of a service-account key file. google-auth-library (11.x) sends every
 * service-account token request to Google's endpoint whatever the key file says; this module
 * finds a key file that names another endpoint (a private or test token server) and gives the
 * client a transport that sends token requests there. The JWT assertion itself is unchanged.
 */
import { readFileSync } from 'node:fs';
import type { StorageOptions } from '@google-cloud/storage';

/** Google's OAuth 2.0 token endpoint, where the client library posts service-account grants. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** The `transporterOptions` of those client option types that have them (an `AuthClient` has none). */
type TransportOf<U> = U extends unknown ? ('transporterOptions' extends keyof U ? U['transporterOptions' & keyof U] : never) : never;
type TransporterOptions = NonNullable<TransportOf<NonNullable<StorageOptions['clientOptions']>>>;

/**
 * The key file's `token_uri` when the file is a service-account key naming an http(s) endpoint
 * other than Google's; otherwise undefined (an unreadable or other kind of file is left to the
 * client library, which reports it).
 */
export function customTokenUri(keyFile: string): string | undefined {
  let key: unknown;
  try {
    key = JSON.parse(readFileSync(keyFile, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof key !== 'object' || key === null) return undefined;
  const { type, token_uri: tokenUri } = key as { type?: unknown; token_uri?: unknown };
  if (type !== 'service_account' || typeof tokenUri !== 'string' || !/^https?:\/\/\S+$/.test(tokenUri)) return undefined;
  return tokenUri === GOOGLE_TOKEN_URL ? undefined : tokenUri;
}

/** Transport options that send requests for Google's token endpoint to `tokenUri`, and every other request unchanged. */
export function tokenUriTransport(tokenUri: string): TransporterOptions {
  return {
    adapter: (options, next) => next(String(options.url) === GOOGLE_TOKEN_URL ? { ...options, url: new URL(tokenUri) } : options),
  };
}
