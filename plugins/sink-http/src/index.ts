/**
 * `@k8stream/sink-http`: sends each batch in one HTTP request: the encoded batch as is, a Loki
 * push request, an Elasticsearch/OpenSearch `_bulk` request, or an OTLP/HTTP logs export. 2xx acknowledges; 429/5xx are
 * retried (honouring `Retry-After`); other statuses dead-letter the batch. Credentials come from
 * environment variables named in the config and never appear in messages.
 *
 * ```yaml
 * sinks:
 *   - use: http
 *     config: { url: https://collector.example/events, bearerTokenEnv: COLLECTOR_TOKEN }
 * ```
 */
import { createHttpSink } from './sink.js';

export { classifyResponse, createHttpSink, createHttpSinkInstance, otlpLogsUrl, requestBody } from './sink.js';
export type { HttpSinkOptions, OtlpBodyContext, PartialSuccess, ResponseContext } from './sink.js';
export { DEFAULT_INDEX_TEMPLATE, httpSinkConfigSchema, validateHttpSinkConfig } from './config.js';
export type { BodyMode, HttpSinkConfig } from './config.js';
export { buildLokiPush, lokiLabels } from './loki.js';
export type { LokiPush, LokiStream } from './loki.js';
export { buildBulkBody, bulkOutcome } from './elasticsearch.js';
export { attributesOf, buildOtlpLogs, EVENT_NAME, isoToUnixNano, occurrenceTime, otlpJsonRequest, resourceOf, SEVERITY, severityOf } from './otlp.js';
export type { OtlpAttributes, OtlpLogRecord, OtlpResourceLogs, OtlpScope, OtlpValue } from './otlp.js';
export type { BulkOutcome } from './elasticsearch.js';
export { INDEX_PLACEHOLDERS, renderIndex, validateIndexTemplate } from './index-template.js';
export { resolveAuth, safeUrl } from './auth.js';
export type { ResolvedAuth } from './auth.js';

/** The HTTP sink plugin. */
export default createHttpSink();
