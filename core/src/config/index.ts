/** Configuration: loading `.k8streamrc`, interpolation, validation, sizes and durations, the JSON Schema. */
export { loadConfig, MODULE_NAME, SEARCH_PLACES } from './load.js';
export type { LoadConfigOptions } from './load.js';
export { checkConfig, validateConfig } from './validate.js';
export { interpolate, interpolateConfig, interpolateString } from './interpolate.js';
export type { Env } from './interpolate.js';
export { k8streamrc, k8streamrcJsonSchema, K8STREAMRC_SCHEMA_FILE, transformNameFromUse } from './definition.js';
export type { K8streamrc } from './definition.js';
export { formatSize, parseSize, tryParseSize } from '../schema/size.js';
export { formatDuration, parseDuration, tryParseDuration } from '../schema/duration.js';
