/** The GCS sink config: its type comes from the schema, and the schema documents every field. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { gcsSinkConfigSchema, validateGcsSinkConfig } from './config.js';
import type { GcsSinkConfig } from './config.js';

describe('GCS sink config', () => {
  it('has the type derived from its schema', () => {
    expectTypeOf<GcsSinkConfig>().toEqualTypeOf<{
      bucket: string;
      prefix: string;
      key: string;
      projectId?: string;
      keyFilename?: string;
      apiEndpoint?: string;
      useAuthWithCustomEndpoint?: boolean;
      resumableThreshold: number;
      storageClass?: 'STANDARD' | 'NEARLINE' | 'COLDLINE' | 'ARCHIVE';
    }>();
    expectTypeOf(validateGcsSinkConfig).returns.toEqualTypeOf<GcsSinkConfig>();
  });

  it('trims trailing slashes off apiEndpoint in the schema, and its JSON Schema stays the plain URL string', () => {
    expect(validateGcsSinkConfig({ bucket: 'events', apiEndpoint: 'http://localhost:4443//' }).apiEndpoint).toBe('http://localhost:4443');
    expect(validateGcsSinkConfig({ bucket: 'events' })).not.toHaveProperty('apiEndpoint');
    const { properties } = gcsSinkConfigSchema.toJsonSchema() as { properties: Record<string, { description?: string }> };
    expect(properties.apiEndpoint).toEqual({ description: expect.any(String), type: 'string', pattern: expect.any(String) });
    for (const [key, field] of Object.entries(properties)) expect(field.description, key).toMatch(/\S/);
  });
});
