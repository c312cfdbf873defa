/** Pure validation of a raw (already interpolated) config object. */
import { ValidationError } from '../errors.js';
import { k8streamrc } from './definition.js';
import { validate } from '../schema/index.js';
import type { Issue } from '../schema/index.js';
import type { K8streamConfig } from './types.js';

/** Every problem with `raw` as a `.k8streamrc`, or none. Pure; never throws. */
export function checkConfig(raw: unknown): readonly Issue[] {
  return validate(k8streamrc, raw).issues;
}

/**
 * Validates `raw` (a parsed, interpolated `.k8streamrc`) and returns the resolved config with
 * every default applied. Throws one ValidationError (CONFIG_INVALID) listing every issue with its
 * path; `source` (the file) is named in the message. Pure: no IO, no environment.
 */
export function validateConfig(raw: unknown, options: { source?: string } = {}): K8streamConfig {
  const result = validate(k8streamrc, raw);
  if (!result.ok) {
    throw new ValidationError('CONFIG_INVALID', result.issues, options.source !== undefined ? { source: options.source, path: options.source } : {});
  }
  return result.value;
}
