/** The S3 sink config: its type comes from the schema, and the schema documents every field. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { s3SinkConfigSchema, validateS3SinkConfig } from './config.js';
import type { S3SinkConfig, StorageClass } from './config.js';

describe('S3 sink config', () => {
  it('has the type derived from its schema', () => {
    expectTypeOf<S3SinkConfig>().toEqualTypeOf<{
      bucket: string;
      region?: string;
      prefix: string;
      key: string;
      endpoint?: string;
      forcePathStyle: boolean;
      profile?: string;
      storageClass?: StorageClass;
      serverSideEncryption?: 'AES256' | 'aws:kms';
      kmsKeyId?: string;
      multipartThreshold: number;
      partSize: number;
      queueSize: number;
      maxAttempts: number;
    }>();
    expectTypeOf(validateS3SinkConfig).returns.toEqualTypeOf<S3SinkConfig>();
  });

  it('returns exactly the schema output: defaults applied, unset optional fields absent', () => {
    expect(validateS3SinkConfig({ bucket: 'events' })).toStrictEqual({
      bucket: 'events',
      prefix: '',
      key: '{prefix}/cluster={cluster}/dt={date}/hour={HH}/{batchId}{ext}',
      forcePathStyle: false,
      multipartThreshold: 8 * 1024 * 1024,
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
      maxAttempts: 3,
    });
  });

  it('documents every field in the JSON Schema (the single doc)', () => {
    const { properties } = s3SinkConfigSchema.toJsonSchema() as { properties: Record<string, { description?: string }> };
    for (const [key, field] of Object.entries(properties)) expect(field.description, key).toMatch(/\S/);
  });
});
