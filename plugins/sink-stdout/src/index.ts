/**
 * `@k8stream/sink-stdout`: writes every record as one JSON line to stdout (or indented with
 * `pretty: true`), waiting for the stream to drain so a slow reader slows k8stream down instead
 * of growing memory. The batch's encoding and compression are ignored: records are written as JSON.
 *
 * ```yaml
 * sinks:
 *   - use: stdout
 * ```
 */
import { createStdoutSink } from './sink.js';

export { createStdoutSink, stdoutSinkConfigSchema, validateStdoutSinkConfig } from './sink.js';
export type { OutputStream, StdoutSinkConfig, StdoutSinkOptions } from './sink.js';

/** The stdout sink plugin. */
export default createStdoutSink();
