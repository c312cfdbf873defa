/** The HTTP sink config: its type comes from the schema, and the schema documents every field. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { httpSinkConfigSchema, validateHttpSinkConfig } from './config.js';
import type { BodyMode, HttpSinkConfig } from './config.js';

describe('HTTP sink config', () => {
  it('has the type derived from its schema', () => {
    expectTypeOf<HttpSinkConfig>().toEqualTypeOf<{
      url: string;
      method: 'POST' | 'PUT';
      headers: Record<string, string>;
      bearerTokenEnv?: string;
      basicAuth?: { usernameEnv: string; passwordEnv: string };
      body: 'batch' | 'loki' | 'elasticsearch' | 'otlp';
      compression?: 'none' | 'gzip';
      otlp: { encoding: 'protobuf' | 'json' };
      index: string;
      tls?: { caFile?: string; insecureSkipVerify: boolean };
    }>();
    expectTypeOf<BodyMode>().toEqualTypeOf<'batch' | 'loki' | 'elasticsearch' | 'otlp'>();
    expectTypeOf(validateHttpSinkConfig).returns.toEqualTypeOf<HttpSinkConfig>();
  });

  it('returns fresh headers, auth and tls objects, not the caller’s', () => {
    const raw = { url: 'https://h/x', headers: { 'X-A': '1' }, basicAuth: { usernameEnv: 'U', passwordEnv: 'P' }, tls: {} };
    const config = validateHttpSinkConfig(raw);
    expect(config).toMatchObject({ headers: { 'X-A': '1' }, basicAuth: { usernameEnv: 'U', passwordEnv: 'P' }, tls: { insecureSkipVerify: false } });
    expect(config.headers).not.toBe(raw.headers);
    expect(config.basicAuth).not.toBe(raw.basicAuth);
    expect(config.tls).not.toBe(raw.tls);
  });

  it('documents every field in the JSON Schema (the single doc)', () => {
    const { properties } = httpSinkConfigSchema.toJsonSchema() as { properties: Record<string, { description?: string }> };
    for (const [key, field] of Object.entries(properties)) expect(field.description, key).toMatch(/\S/);
  });
});
