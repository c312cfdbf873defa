/**
 * `@k8stream/sink-gcs`: writes each batch to its own Google Cloud Storage object, under a
 * Hive-partitioned key (`{prefix}/cluster={cluster}/dt={yyyy}-{MM}-{dd}/hour={HH}/{batchId}{ext}`).
 * Objects are created with `ifGenerationMatch: 0`, so a retry never overwrites another object,
 * and a retry of a batch that already landed is acknowledged (idempotent).
 *
 * ```yaml
 * sinks:
 *   - use: gcs
 *     config: { bucket: my-bucket, prefix: events }
 * ```
 */
import { createGcsSink } from './sink.js';

export { BATCH_ID_METADATA, batchObjectKey, createGcsSink, storageOptions } from './sink.js';
export type { GcsSinkOptions } from './sink.js';
export { gcsArchiveReader, gcsLocation } from './archive.js';
export type { GcsArchiveOptions } from './archive.js';
export { DEFAULT_KEY_TEMPLATE, DEFAULT_RESUMABLE_THRESHOLD, gcsSinkConfigSchema, validateGcsSinkConfig } from './config.js';
export type { GcsSinkConfig } from './config.js';
export { classifyGcsError, httpStatusOf } from './errors.js';

/** The GCS sink plugin. */
export default createGcsSink();
