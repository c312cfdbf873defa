/**
 * `@k8stream/sink-file`: writes each batch to its own file under a directory, along a
 * partitioned path template (`{cluster}/{yyyy}/{MM}/{dd}/{HH}/{batchId}{ext}` by default).
 * Files are written to a temporary name, fsynced and renamed, so a crash never leaves a half file
 * under the final name, and a retried batch overwrites its own file (idempotent).
 *
 * ```yaml
 * sinks:
 *   - use: file
 *     config: { dir: ./out }
 * ```
 */
import { createFileSink } from './sink.js';

export { createFileSink, checkWritable, batchFilePath, PERMANENT_FS_ERRORS } from './sink.js';
export type { FileSinkOptions } from './sink.js';
export { fileArchiveReader } from './archive.js';
export type { FileArchiveOptions } from './archive.js';
export { DEFAULT_PATH_TEMPLATE, fileSinkConfigSchema, validateFileSinkConfig } from './config.js';
export type { FileSinkConfig } from './config.js';
export { ensureDirectory, fsyncDirectory, isTempFile, nodeFs, writeFileAtomic, TEMP_MARKER } from './atomic-write.js';
export type { AtomicFs, AtomicWriteOptions, WritableHandle } from './atomic-write.js';

/** The file sink plugin. */
export default createFileSink();
