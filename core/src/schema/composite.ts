/** Composite schemas: strict objects, arrays, records (maps) and unions. */
import { describeValue, INVALID, isPlainObject, ParseContext, refineContext, Schema } from './core.js';
import type { AnySchema, EmitOptions, Input, Invalid, JsonSchema, Output, Path, RefineContext } from './core.js';
import { didYouMean } from './suggest.js';

/** The fields of an object schema. */
export type Shape = { [key: string]: AnySchema };

type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** Keys whose output may be undefined become optional; `unknown` (from `any()`) stays required. */
type OptionalOutKeys<T> = { [K in keyof T]: unknown extends T[K] ? never : undefined extends T[K] ? K : never }[keyof T];
/** Keys users may leave out: optional, defaulted, or `unknown`. */
type OptionalInKeys<T> = { [K in keyof T]: undefined extends T[K] ? K : never }[keyof T];

type OutputMap<S extends Shape> = { [K in keyof S]: Output<S[K]> };
type InputMap<S extends Shape> = { [K in keyof S]: Input<S[K]> };

/** The validated object for a shape. */
export type ObjectOutput<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OptionalOutKeys<OutputMap<S>>>]: Output<S[K]> } & {
    [K in OptionalOutKeys<OutputMap<S>>]?: Exclude<Output<S[K]>, undefined>;
  }
>;

/** What users may write for a shape. */
export type ObjectInput<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OptionalInKeys<InputMap<S>>>]: Input<S[K]> } & {
    [K in OptionalInKeys<InputMap<S>>]?: Input<S[K]>;
  }
>;

export interface ObjectOptions {
  /**
   * Keys that are accepted (and validated) but left out of the output, such as `$schema`, which
   * JSON and YAML files use to point editors at the JSON Schema.
   */
  ignore?: Shape;
}

/** A strict object: unknown keys are errors with a "did you mean" hint. */
export class ObjectSchema<S extends Shape> extends Schema<ObjectOutput<S>, ObjectInput<S>> {
  private partialChecks: readonly ((value: Partial<ObjectOutput<S>>, ctx: RefineContext) => void)[] = [];

  constructor(
    readonly shape: S,
    private readonly options: ObjectOptions = {},
  ) {
    super();
  }

  get expected(): string {
    return 'an object';
  }

  /**
   * Adds a cross-field check that runs even when some fields are invalid: it receives the fields
   * that validated (invalid ones are missing), so it can report every problem in one pass.
   */
  checkPartial(fn: (value: Partial<ObjectOutput<S>>, ctx: RefineContext) => void): this {
    const copy = this.with({});
    copy.partialChecks = [...this.partialChecks, fn];
    return copy;
  }

  protected check(raw: unknown, path: Path, ctx: ParseContext): ObjectOutput<S> | Invalid {
    if (!isPlainObject(raw)) {
      ctx.report(path, `expected ${this.expected}, got ${describeValue(raw)}`);
      return INVALID;
    }
    const ignored = this.options.ignore ?? {};
    const known = [...Object.keys(this.shape), ...Object.keys(ignored)];
    const parsed = new Map<string, unknown>();
    let valid = true;
    // Present keys in the user's order, so issues read top to bottom like the file.
    for (const [key, value] of Object.entries(raw)) {
      const field = Object.hasOwn(this.shape, key) ? this.shape[key] : Object.hasOwn(ignored, key) ? ignored[key] : undefined;
      if (field === undefined) {
        const hint = didYouMean(key, known);
        ctx.report([...path, key], hint ? `unknown key (did you mean "${hint}"?)` : `unknown key (expected one of: ${known.join(', ')})`);
        valid = false;
        continue;
      }
      const out: unknown = field.parse(value, [...path, key], ctx);
      if (out === INVALID) valid = false;
      else if (Object.hasOwn(this.shape, key)) parsed.set(key, out);
    }
    // Then absent keys, in definition order: defaults, or "is required".
    for (const [key, field] of Object.entries(this.shape)) {
      if (Object.hasOwn(raw, key)) continue;
      const out: unknown = field.parse(undefined, [...path, key], ctx);
      if (out === INVALID) valid = false;
      else parsed.set(key, out);
    }
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(this.shape)) {
      const value = parsed.get(key);
      if (value !== undefined) result[key] = value;
    }
    for (const fn of this.partialChecks) fn(result as Partial<ObjectOutput<S>>, refineContext(ctx, path));
    return valid ? (result as ObjectOutput<S>) : INVALID;
  }

  protected emit(options: EmitOptions): JsonSchema {
    const properties: JsonSchema = {};
    const required: string[] = [];
    for (const [key, field] of Object.entries({ ...this.options.ignore, ...this.shape })) {
      properties[key] = field.toJsonSchema(options);
      if (!field.isOptional && Object.hasOwn(this.shape, key)) required.push(key);
    }
    const schema: JsonSchema = { type: 'object', properties };
    if (required.length > 0) schema.required = required;
    schema.additionalProperties = false;
    return schema;
  }
}

/** An array whose items all match one schema. */
export class ArraySchema<I extends AnySchema> extends Schema<Output<I>[], Input<I>[]> {
  private minItems = 0;

  constructor(readonly item: I) {
    super();
  }

  get expected(): string {
    return this.minItems > 0 ? `an array of at least ${this.minItems} item${this.minItems === 1 ? '' : 's'}` : 'an array';
  }

  /** At least `n` items. */
  min(n: number): this {
    const copy = this.with({});
    copy.minItems = n;
    return copy;
  }

  protected check(raw: unknown, path: Path, ctx: ParseContext): Output<I>[] | Invalid {
    if (!Array.isArray(raw) || raw.length < this.minItems) {
      ctx.report(path, `expected ${this.expected}, got ${Array.isArray(raw) ? `${raw.length} item${raw.length === 1 ? '' : 's'}` : describeValue(raw)}`);
      return INVALID;
    }
    const items: Output<I>[] = [];
    let valid = true;
    raw.forEach((value: unknown, index) => {
      const out = this.item.parse(value, [...path, index], ctx) as Output<I> | Invalid;
      if (out === INVALID) valid = false;
      else items.push(out);
    });
    return valid ? items : INVALID;
  }

  protected emit(options: EmitOptions): JsonSchema {
    const schema: JsonSchema = { type: 'array', items: this.item.toJsonSchema(options) };
    if (this.minItems > 0) schema.minItems = this.minItems;
    return schema;
  }
}

/** An object used as a map: any keys, values matching one schema. */
export class RecordSchema<V extends AnySchema> extends Schema<Record<string, Output<V>>, Record<string, Input<V>>> {
  constructor(readonly value: V) {
    super();
  }

  get expected(): string {
    return 'an object';
  }

  protected check(raw: unknown, path: Path, ctx: ParseContext): Record<string, Output<V>> | Invalid {
    if (!isPlainObject(raw)) {
      ctx.report(path, `expected ${this.expected}, got ${describeValue(raw)}`);
      return INVALID;
    }
    const result: Record<string, Output<V>> = {};
    let valid = true;
    for (const [key, value] of Object.entries(raw)) {
      const out = this.value.parse(value, [...path, key], ctx) as Output<V> | Invalid;
      if (out === INVALID) valid = false;
      else if (out !== undefined) result[key] = out;
    }
    return valid ? result : INVALID;
  }

  protected emit(options: EmitOptions): JsonSchema {
    return { type: 'object', additionalProperties: this.value.toJsonSchema(options) };
  }
}

/**
 * The first alternative that validates wins. When none does, the issues of the first
 * alternative of the same basic type are reported (an array gets the array's item issues),
 * or else one issue naming every alternative.
 */
export class UnionSchema<T extends readonly AnySchema[]> extends Schema<Output<T[number]>, Input<T[number]>> {
  constructor(readonly alternatives: T) {
    super();
    if (alternatives.length === 0) throw new Error('union() needs at least one alternative');
  }

  get expected(): string {
    return this.alternatives.map((a) => a.expected).join(' or ');
  }

  protected check(raw: unknown, path: Path, ctx: ParseContext): Output<T[number]> | Invalid {
    let closest: ParseContext | undefined;
    for (const alternative of this.alternatives) {
      const scratch = new ParseContext({ coerce: ctx.coerce });
      const out = alternative.parse(raw, path, scratch) as Output<T[number]> | Invalid;
      if (out !== INVALID) return out;
      if (closest === undefined && sameKind(alternative, raw)) closest = scratch;
    }
    if (closest) ctx.issues.push(...closest.issues);
    else ctx.report(path, `expected ${this.expected}, got ${describeValue(raw)}`);
    return INVALID;
  }

  protected emit(options: EmitOptions): JsonSchema {
    return { anyOf: this.alternatives.map((a) => a.toJsonSchema(options)) };
  }
}

/** Whether `raw` has the basic JSON type a schema is about (so its issues are the relevant ones). */
function sameKind(schema: AnySchema, raw: unknown): boolean {
  if (schema instanceof ArraySchema) return Array.isArray(raw);
  if (schema instanceof ObjectSchema || schema instanceof RecordSchema) return isPlainObject(raw);
  return false;
}

/** A strict object with the given fields. Unknown keys are errors with a "did you mean" hint. */
export function object<S extends Shape>(shape: S, options?: ObjectOptions): ObjectSchema<S> {
  return new ObjectSchema(shape, options);
}

/** An array of `item`. */
export function array<I extends AnySchema>(item: I): ArraySchema<I> {
  return new ArraySchema(item);
}

/** An object with arbitrary keys whose values match `value`. */
export function record<V extends AnySchema>(value: V): RecordSchema<V> {
  return new RecordSchema(value);
}

/** Any one of the alternatives (the first that validates): `union(string(), array(string()))`. */
export function union<const T extends readonly AnySchema[]>(...alternatives: T): UnionSchema<T> {
  return new UnionSchema(alternatives);
}

/** Alias of `union`, named after the JSON Schema keyword. */
export const oneOf = union;
