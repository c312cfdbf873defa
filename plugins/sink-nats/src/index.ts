/**
 * `@k8stream/sink-nats`: publishes each record (or each batch) to a NATS JetStream subject
 * templated from the record (`k8s.events.{cluster}.{namespace}.{type}`), with `Nats-Msg-Id` set
 * to the record id so JetStream's duplicate window turns the core's at-least-once redelivery
 * into one stored copy. A batch is acked once every publish is acked by the stream.
 *
 * ```yaml
 * sinks:
 *   - use: nats
 *     config: { servers: nats://nats:4222, stream: { create: true } }
 * ```
 */
import { createNatsSink } from './sink.js';

export { BATCH_HEADERS, DEFAULT_STREAM_NAME, connectionOptions, createNatsSink, messageIdOf, messagesFor, safeServers, secretsOf } from './sink.js';
export { natsSinkConfigSchema, validateNatsSinkConfig } from './config.js';
export type { NatsSinkConfig } from './config.js';
export { classifyNatsError, describeNatsError, inspectNatsError, JS_CODES, toHealthError, toSendError } from './errors.js';
export type { NatsErrorShape } from './errors.js';
export {
  BATCH_PLACEHOLDERS,
  DEFAULT_SUBJECT_TEMPLATE,
  SUBJECT_PLACEHOLDERS,
  parseSubjectTemplate,
  renderSubject,
  sanitizeToken,
  streamSubjectsFor,
  subjectCovers,
  validateSubjectTemplate,
  wildcardOf,
} from './subject.js';
export type { SubjectPart, SubjectPlaceholder } from './subject.js';

/** The NATS sink plugin. */
export default createNatsSink();
