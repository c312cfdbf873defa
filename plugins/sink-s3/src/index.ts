/**
 * `@k8stream/sink-s3`: writes each batch as one object to Amazon S3 or an S3-compatible store
 * (MinIO, Ceph, R2), under hive-style partitions by default
 * (`{prefix}/cluster={cluster}/dt={date}/hour={HH}/{batchId}{ext}`). The key derives from the
 * batch's deterministic id, so a retried batch overwrites its own object. Large bodies go up as
 * multipart uploads.
 *
 * ```yaml
 * sinks:
 *   - use: s3
 *     config: { bucket: my-bucket, region: eu-west-1, prefix: events }
 * ```
 */
import { createS3Sink } from './sink.js';

export { createS3Sink, clientConfigFor, healthcheckKey, objectKeyFor, s3ClientFor, s3Location, HEALTHCHECK_OBJECT } from './sink.js';
export { s3ArchiveReader } from './archive.js';
export type { S3ArchiveOptions } from './archive.js';
export type { S3SinkOptions } from './sink.js';
export { DEFAULT_KEY_TEMPLATE, STORAGE_CLASSES, s3SinkConfigSchema, validateS3SinkConfig } from './config.js';
export type { S3SinkConfig, StorageClass } from './config.js';
export { classifySdkError, describeSdkError, PERMANENT_CODES, THROTTLING_CODES, TRANSIENT_CODES, toHealthError, toSendError } from './errors.js';

/** The S3 sink plugin. */
export default createS3Sink();
