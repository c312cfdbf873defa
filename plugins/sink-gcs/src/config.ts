/**
 * Configuration of the GCS sink: one definition validates it, documents it and gives its type
 * (`GcsSinkConfig`), so each field is declared once.
 */
import { keyTemplateSchema, parseConfig, schema as s } from '@k8stream/core';

/** Default object key: Hive-style partitions that BigQuery external tables and DuckDB read. */
export const DEFAULT_KEY_TEMPLATE = '{prefix}/cluster={cluster}/dt={yyyy}-{MM}-{dd}/hour={HH}/{batchId}{ext}';

/** Bodies at or above this size use a resumable upload; smaller ones a single multipart request. */
export const DEFAULT_RESUMABLE_THRESHOLD = 8 * 1024 * 1024;

/** Bucket names: 3-63 characters (up to 222 with dots), lower-case letters, digits, `-`, `_`, `.`. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/** The GCS sink's `config` block. */
export const gcsSinkConfigSchema = s.object({
  bucket: s.string().nonEmpty().pattern(BUCKET_NAME, 'a GCS bucket name (lower-case letters, digits, "-", "_", ".")').describe('Bucket the objects are written to.'),
  prefix: s.string().default('').describe('Key prefix, used by the {prefix} placeholder; may contain "/".'),
  key: keyTemplateSchema(DEFAULT_KEY_TEMPLATE, ['prefix']).describe(
    'Object key of each batch. Placeholders: {prefix} {cluster} {sink} {batchId} {ext} {yyyy} {MM} {dd} {HH} {mm} {date} (UTC, from the earliest event of the batch). Must contain {batchId}.',
  ),
  projectId: s.string().nonEmpty().optional().describe('Google Cloud project id. Default: from Application Default Credentials.'),
  keyFilename: s
    .string()
    .nonEmpty()
    .optional()
    .describe(
      'Service account key file (relative to the config file). Its token_uri is honoured. Default: Application Default Credentials (workload identity, GOOGLE_APPLICATION_CREDENTIALS, gcloud).',
    ),
  apiEndpoint: s
    .string()
    .pattern(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'an http(s) URL')
    .map((url) => url.replace(/\/+$/, ''))
    .optional()
    .describe(
      'Storage API endpoint, for private endpoints, emulators and test servers (credentials are sent to it when keyFilename is set, see useAuthWithCustomEndpoint). Default: https://storage.googleapis.com.',
    ),
  useAuthWithCustomEndpoint: s
    .boolean()
    .optional()
    .describe('Send credentials to a custom apiEndpoint. Default: true when keyFilename is set, false otherwise (an emulator without auth).'),
  resumableThreshold: s.size().min(0).default('8MiB').describe('Batches whose body is at least this size use a resumable upload; smaller ones one multipart request.'),
  storageClass: s
    .enumOf(['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE'] as const)
    .optional()
    .describe('Storage class of the written objects. Default: the bucket default.'),
});

/** The validated GCS sink config (a custom `apiEndpoint` without trailing slashes). */
export type GcsSinkConfig = s.Output<typeof gcsSinkConfigSchema>;

/** Validates the user's `config` block: every problem at once, with its path. Pure. */
export function validateGcsSinkConfig(raw: unknown): GcsSinkConfig {
  return parseConfig(gcsSinkConfigSchema, raw, { plugin: 'gcs' });
}
