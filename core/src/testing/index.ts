/**
 * `@k8stream/core/testing`: the sink compliance suite and helpers for sink tests.
 * Needs vitest (an optional peer dependency of the core).
 */
export { sinkComplianceSuite } from './compliance.js';
export type { ComplianceEnv, FailureCase, InvalidConfigCase, SinkComplianceOptions } from './compliance.js';
export { ALL_ENCODINGS, decodeBody, encodingForFileName, extensionFor, makeTestBatch, testSendContext, testSinkContext } from './batch.js';
export { classifySinkError } from './classify.js';
export type { SinkErrorClass } from './classify.js';
export { SAMPLE_BASE_TIME, sampleRecord, sampleRecords } from './records.js';
