/**
 * A small typed schema DSL. One definition validates a raw value (every issue at once, with
 * paths such as `sinks[1].batch.maxEvents`; defaults applied; the typed value returned) and
 * emits JSON Schema (draft 2020-12) with descriptions and defaults.
 *
 * Sink plugins use it for their `validate(raw)`:
 * ```ts
 * import { parseConfig, schema as s } from '@k8stream/core';
 * const config = s.object({
 *   bucket: s.string().nonEmpty().describe('Bucket name'),
 *   partSize: s.size().min(5 * 1024 * 1024).default('8MiB'),
 * });
 * export default defineSink({ ..., validate: (raw) => parseConfig(config, raw, { plugin: 's3' }) });
 * ```
 */
import { ValidationError } from '../errors.js';
import { INVALID, ParseContext } from './core.js';
import type { AnySchema, Issue, JsonSchema, Output, ParseOptions } from './core.js';

export { describeValue, formatPath, INVALID, isPlainObject, joinPath, ParseContext, Schema } from './core.js';
export type { AnySchema, EmitOptions, Input, Invalid, Issue, JsonSchema, Output, ParseOptions, Path, PathSegment, RefineContext } from './core.js';
export { any, boolean, BooleanSchema, enumOf, EnumSchema, integer, number, NumberSchema, string, StringSchema } from './primitives.js';
export { array, ArraySchema, object, ObjectSchema, oneOf, record, RecordSchema, union, UnionSchema } from './composite.js';
export type { ObjectInput, ObjectOptions, ObjectOutput, Shape } from './composite.js';
export { duration, DurationSchema, size, SizeSchema } from './units.js';
export { didYouMean, editDistance } from './suggest.js';

/** The outcome of `validate`. */
export type ValidationResult<T> = { ok: true; value: T; issues: readonly [] } | { ok: false; issues: readonly Issue[] };

/** Validates `raw` against `schema`, collecting every issue. Pure: never throws for bad input. */
export function validate<S extends AnySchema>(schema: S, raw: unknown, options: ParseOptions = {}): ValidationResult<Output<S>> {
  const ctx = new ParseContext(options);
  const value = schema.parse(raw, [], ctx) as Output<S> | typeof INVALID;
  if (value === INVALID || ctx.issues.length > 0) return { ok: false, issues: ctx.issues };
  return { ok: true, value, issues: [] };
}

export interface ParseConfigOptions extends ParseOptions {
  /** Plugin the config belongs to; named in the error. */
  plugin?: string;
  /** File or place the config came from, named in the error message. */
  source?: string;
  /** @default 'PLUGIN_CONFIG_INVALID' */
  code?: 'PLUGIN_CONFIG_INVALID' | 'CONFIG_INVALID';
}

/**
 * Validates `raw` against `schema` and returns the typed value, or throws one ValidationError
 * (code PLUGIN_CONFIG_INVALID unless `code` says otherwise) listing every issue with its path.
 */
export function parseConfig<S extends AnySchema>(schema: S, raw: unknown, options: ParseConfigOptions = {}): Output<S> {
  const result = validate(schema, raw, options);
  if (!result.ok) {
    const { plugin, source, code = 'PLUGIN_CONFIG_INVALID' } = options;
    throw new ValidationError(code, result.issues, {
      ...(plugin !== undefined ? { plugin } : {}),
      ...(source !== undefined ? { source } : plugin !== undefined ? { source: `the config of plugin "${plugin}"` } : {}),
    });
  }
  return result.value;
}

export interface JsonSchemaDocumentOptions {
  /** `$id` of the document. */
  id?: string;
  title?: string;
  /** Replaces the root schema's own description. */
  description?: string;
  /**
   * Also accept `${VAR}` strings where numbers, booleans or enums are expected, for files that
   * are interpolated before validation.
   * @default false
   */
  interpolation?: boolean;
}

/** The interpolation placeholder accepted by `interpolation: true` documents. */
export const INTERPOLATED_DEF: JsonSchema = {
  type: 'string',
  pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}',
  description: 'Replaced before validation by an environment variable: ${VAR} or ${VAR:-default}.',
};

/** A standalone JSON Schema (draft 2020-12) document for `schema`. */
export function toJsonSchema(schema: AnySchema, options: JsonSchemaDocumentOptions = {}): JsonSchema {
  const interpolation = options.interpolation ?? false;
  const body = schema.toJsonSchema({ interpolation });
  const doc: JsonSchema = { $schema: 'https://json-schema.org/draft/2020-12/schema' };
  if (options.id !== undefined) doc.$id = options.id;
  if (options.title !== undefined) doc.title = options.title;
  Object.assign(doc, body);
  if (options.description !== undefined) doc.description = options.description;
  if (interpolation) doc.$defs = { interpolated: INTERPOLATED_DEF };
  return doc;
}
