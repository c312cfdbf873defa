/**
 * Configuration of the S3 sink: one definition validates it, documents it and gives its type
 * (`S3SinkConfig`), so each field is declared once.
 */
import { keyTemplateSchema, parseConfig, schema as s } from '@k8stream/core';

/** Default object key: hive-style partitions that Athena, Glue and DuckDB read as columns. */
export const DEFAULT_KEY_TEMPLATE = '{prefix}/cluster={cluster}/dt={date}/hour={HH}/{batchId}{ext}';

/** S3 storage classes accepted by PutObject / CreateMultipartUpload. */
export const STORAGE_CLASSES = [
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'GLACIER_IR',
  'OUTPOSTS',
  'SNOW',
  'EXPRESS_ONEZONE',
] as const;

/** One S3 storage class. */
export type StorageClass = (typeof STORAGE_CLASSES)[number];

const MIN_PART = 5 * 1024 * 1024;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The S3 sink's `config` block. */
export const s3SinkConfigSchema = s
  .object({
    bucket: s
      .string()
      .nonEmpty()
      .pattern(BUCKET_NAME, 'a bucket name (3-63 characters: lowercase letters, digits, "." and "-")')
      .describe('Bucket the batches are written to. It must exist: k8stream never creates buckets.'),
    region: s.string().nonEmpty().optional().describe("AWS region of the bucket (eu-west-1). Default: the SDK chain (AWS_REGION, the profile's region)."),
    prefix: s.string().default('').describe('Key prefix, the `{prefix}` placeholder of `key` (may contain "/").'),
    key: keyTemplateSchema(DEFAULT_KEY_TEMPLATE, ['prefix']).describe(
      'Object key template. Placeholders: {prefix} {cluster} {sink} {batchId} {ext} {yyyy} {MM} {dd} {HH} {mm} {date} (UTC, from the earliest event). Must contain {batchId}.',
    ),
    endpoint: s
      .string()
      .pattern(/^https?:\/\/[^\s/]+/, 'an http(s) URL such as "https://minio.example:9000"')
      .optional()
      .describe('Endpoint of an S3-compatible store (MinIO, Ceph, R2). Default: AWS S3 for the region.'),
    forcePathStyle: s.boolean().default(false).describe('Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key` (MinIO and Ceph usually need it).'),
    profile: s.string().nonEmpty().optional().describe('Shared config/credentials profile to use (like AWS_PROFILE).'),
    storageClass: s.enumOf(STORAGE_CLASSES).optional().describe('Storage class of the objects. Default: the bucket default (STANDARD).'),
    serverSideEncryption: s
      .enumOf(['AES256', 'aws:kms'] as const)
      .optional()
      .describe('Server-side encryption: AES256 (SSE-S3) or aws:kms (SSE-KMS). Default: the bucket default.'),
    kmsKeyId: s.string().nonEmpty().optional().describe('KMS key id or ARN for SSE-KMS (needs serverSideEncryption: aws:kms).'),
    multipartThreshold: s.size().min(MIN_PART).default('8MiB').describe('Bodies at least this large are uploaded in parts (multipart upload).'),
    partSize: s.size().min(MIN_PART).default('8MiB').describe('Size of each part of a multipart upload.'),
    queueSize: s.integer().min(1).max(64).default(4).describe('Parts of one multipart upload sent in parallel.'),
    maxAttempts: s.integer().min(1).max(10).default(3).describe("Attempts the AWS SDK makes per request before the core's own retry/backoff takes over."),
  })
  .refine((config, ctx) => {
    if (config.kmsKeyId !== undefined && config.serverSideEncryption !== 'aws:kms') {
      ctx.issue('requires serverSideEncryption: aws:kms', 'kmsKeyId');
    }
  });

/** The validated S3 sink config (sizes in bytes). */
export type S3SinkConfig = s.Output<typeof s3SinkConfigSchema>;

/** Validates the user's `config` block: every problem at once, with its path. Pure. */
export function validateS3SinkConfig(raw: unknown): S3SinkConfig {
  return parseConfig(s3SinkConfigSchema, raw, { plugin: 's3' });
}
