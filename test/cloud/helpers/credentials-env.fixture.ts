/**
 * Shared pieces of the credential tests: an environment with no ambient cloud credentials, a
 * logger and console that keep every line, and the check that no secret shows in an error or a
 * log line.
 */
import { inspect } from 'node:util';
import { expect, vi } from 'vitest';
import { createLogger } from '../../../core/src/util/logger.js';
import type { Logger } from '../../../core/src/util/logger.js';

/** Environment variables of the AWS and Google credential chains, cleared before each test. */
const AMBIENT = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_SESSION_NAME',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_S3',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'STORAGE_EMULATOR_HOST',
];

/**
 * No ambient credentials: the chain sees only what the test sets. Shared files point at
 * `missingFile` and instance metadata is off (nothing answers 169.254.169.254 here).
 */
export function isolateCredentialEnv(missingFile: string): void {
  for (const name of AMBIENT) vi.stubEnv(name, undefined);
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', missingFile);
  vi.stubEnv('AWS_CONFIG_FILE', missingFile);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('CLOUDSDK_CONFIG', missingFile);
}

/** A debug-level JSON logger keeping its lines, and console output captured too. */
export function captureOutput(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map((a) => inspect(a, { depth: 8 })).join(' ')));
  }
  return { logger: createLogger({ level: 'debug', format: 'json', write: (line) => lines.push(line) }), lines };
}

/** Everything an error shows: message, fields, hint, its cause chain, as inspected deeply. */
export function everythingIn(err: unknown): string {
  return inspect(err, { depth: 10, showHidden: true, getters: true });
}

/** Asserts none of `secrets` appears in the error (deeply) nor in the captured lines. */
export function expectNoSecrets(err: unknown, lines: readonly string[], secrets: readonly string[]): void {
  const text = `${everythingIn(err)}\n${lines.join('\n')}`;
  for (const secret of secrets) expect(text.includes(secret), `a secret (${secret.length} chars) leaked`).toBe(false);
}
