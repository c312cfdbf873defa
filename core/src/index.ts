/** Public API of @k8stream/core: what sink plugins and embedders import. */
export * from './errors.js';
export * from './record/types.js';
export * from './plugins/api.js';
export type * from './source/types.js';
export type * from './config/types.js';
export type { DispatchItem, DeadLetterRecord } from './dispatch/types.js';
export type { Logger, LogFields, LogLevel } from './util/logger.js';
