/** The file sink config: its type comes from the schema, and the schema documents every field. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { fileSinkConfigSchema, validateFileSinkConfig } from './config.js';
import type { FileSinkConfig } from './config.js';

describe('file sink config', () => {
  it('has the type derived from its schema: mode is the number chmod takes', () => {
    expectTypeOf<FileSinkConfig>().toEqualTypeOf<{ dir: string; path: string; fsync: boolean; mode?: number }>();
    expectTypeOf(validateFileSinkConfig).returns.toEqualTypeOf<FileSinkConfig>();
  });

  it('turns every accepted octal spelling into the mode number, in the schema itself', () => {
    for (const mode of ['0640', '640', '0o640']) expect(validateFileSinkConfig({ dir: 'd', mode }).mode).toBe(0o640);
    expect(validateFileSinkConfig({ dir: 'd' })).toStrictEqual({ dir: 'd', path: '{cluster}/{yyyy}/{MM}/{dd}/{HH}/{batchId}{ext}', fsync: true });
  });

  it('documents every field, and its default, in the JSON Schema (the single doc)', () => {
    const { properties } = fileSinkConfigSchema.toJsonSchema() as { properties: Record<string, { description?: string; default?: unknown }> };
    for (const [key, field] of Object.entries(properties)) expect(field.description, key).toMatch(/\S/);
    expect(properties.fsync!.default).toBe(true);
    expect(properties.mode).toEqual({ description: expect.any(String), type: 'string', pattern: expect.any(String) });
  });
});
