/** Credentials from environment variables, read once at start. */
import { K8streamError } from '@k8stream/core';
import type { HttpSinkConfig } from './config.js';

/** The Authorization header and the secret values to redact from anything the sink reports. */
export interface ResolvedAuth {
  header: string | undefined;
  secrets: string[];
}

function readEnv(env: NodeJS.ProcessEnv, name: string, field: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new K8streamError('PLUGIN_CONFIG_INVALID', `environment variable ${name} (named by ${field} of the http sink) is not set or empty`, {
      plugin: 'http',
      path: field,
      hint: `export ${name} before starting k8stream`,
    });
  }
  return value;
}

/** Reads the credentials the config names; a missing variable is an error naming the variable, never a value. */
export function resolveAuth(config: Pick<HttpSinkConfig, 'bearerTokenEnv' | 'basicAuth'>, env: NodeJS.ProcessEnv): ResolvedAuth {
  if (config.bearerTokenEnv !== undefined) {
    const token = readEnv(env, config.bearerTokenEnv, 'bearerTokenEnv');
    return { header: `Bearer ${token}`, secrets: [token] };
  }
  if (config.basicAuth !== undefined) {
    const user = readEnv(env, config.basicAuth.usernameEnv, 'basicAuth.usernameEnv');
    const password = readEnv(env, config.basicAuth.passwordEnv, 'basicAuth.passwordEnv');
    const encoded = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
    return { header: `Basic ${encoded}`, secrets: [password, encoded] };
  }
  return { header: undefined, secrets: [] };
}

/** The URL without credentials, query or fragment: safe for logs and messages. */
export function safeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
