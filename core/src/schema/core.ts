/**
 * The heart of the schema DSL: one definition both validates a raw value (collecting every
 * issue with its path, applying defaults, returning the typed value) and emits JSON Schema.
 */
import type { ValidationIssue } from '../errors.js';

/** One problem found while validating: where (`sinks[1].batch.maxEvents`) and what. */
export type Issue = ValidationIssue;
export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/** A JSON Schema (draft 2020-12) document or sub-schema. */
export type JsonSchema = { [keyword: string]: unknown };

/** Options for one validation run. */
export interface ParseOptions {
  /**
   * Accept numeric and boolean strings where a number or boolean is expected (`"10"`, `"true"`),
   * and an empty string as null where null is allowed: what `${VAR}` interpolation produces.
   * @default true
   */
  coerce?: boolean;
}

/** Options for JSON Schema emission. */
export interface EmitOptions {
  /**
   * Also accept a `${VAR}` string wherever a number, boolean or enum is expected (the value is
   * interpolated before validation), referencing `#/$defs/interpolated`.
   */
  interpolation: boolean;
}

/** Marks a failed parse. */
export const INVALID: unique symbol = Symbol('k8stream.schema.invalid');
export type Invalid = typeof INVALID;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['sinks', 1, 'batch', 'maxEvents']` → `sinks[1].batch.maxEvents`; the empty path is `(root)`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** Joins a path prefix and an issue path: `joinPath('sinks[0].config', 'bucket')` → `sinks[0].config.bucket`. */
export function joinPath(prefix: string, path: string): string {
  if (prefix === '' || prefix === '(root)') return path;
  if (path === '' || path === '(root)') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

const MAX_SHOWN = 40;

/** Short description of a received value for messages: `"ten"`, `12`, `null`, `an array`. Long strings are cut. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      return 'an object';
    case 'function':
      return 'a function';
    default:
      return `a ${typeof value}`;
  }
}

/** True for `{}`-like objects (not arrays, dates, class instances). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** State of one validation run: the issues found so far. */
export class ParseContext {
  readonly issues: Issue[] = [];
  readonly coerce: boolean;

  constructor(options: ParseOptions = {}) {
    this.coerce = options.coerce ?? true;
  }

  report(path: Path, message: string): void {
    this.issues.push({ path: formatPath(path), message });
  }
}

/** Handed to `refine` callbacks: report an issue at the refined value or below it. */
export interface RefineContext {
  /** Adds an issue at the value's path, or at `path + at` (`issue('must not exceed maxBackoffMs', 'initialBackoffMs')`). */
  issue(message: string, ...at: PathSegment[]): void;
}

export function refineContext(ctx: ParseContext, path: Path): RefineContext {
  return { issue: (message, ...at) => ctx.report([...path, ...at], message) };
}

type Refiner<T> = (value: T, ctx: RefineContext) => T | void;

interface Flags {
  description: string | undefined;
  optional: boolean;
  nullable: boolean;
  default: { value: unknown } | undefined;
  refiners: readonly Refiner<never>[];
  rawChecks: readonly ((raw: unknown, ctx: RefineContext) => void)[];
  title: string | undefined;
  examples: readonly unknown[] | undefined;
}

/**
 * A schema for values of type `Out`, written by users as `In`. Subclasses implement `check`
 * (a present, non-null value) and `emit` (its JSON Schema); this class handles absence, null,
 * defaults, refinements and descriptions. Modifiers return modified copies.
 */
export abstract class Schema<Out, In = Out> {
  /** Type-level only: the validated value. */
  declare readonly _output: Out;
  /** Type-level only: what users may write. */
  declare readonly _input: In;

  /** @internal */
  protected flags: Flags = {
    description: undefined,
    optional: false,
    nullable: false,
    default: undefined,
    refiners: [],
    rawChecks: [],
    title: undefined,
    examples: undefined,
  };

  /** What this schema expects, for messages: `a positive integer`. */
  abstract get expected(): string;

  /** Validates a present, non-null value. Report issues via `ctx`; return INVALID or the value. */
  protected abstract check(raw: unknown, path: Path, ctx: ParseContext): Out | Invalid;

  /** The JSON Schema of a present, non-null value (without description/default). */
  protected abstract emit(options: EmitOptions): JsonSchema;

  /**
   * Whether an absent value (undefined, or null when not nullable) goes to `check` when this
   * schema itself is neither optional nor defaulted, instead of being reported as required: for
   * wrappers whose inner schema decides about absence (`map`).
   */
  protected get checksAbsence(): boolean {
    return false;
  }

  /** Whether `${VAR}` strings need an explicit JSON Schema alternative (non-string scalars). */
  protected get interpolatable(): boolean {
    return false;
  }

  /** The description shown in messages and in JSON Schema (editor hover). */
  get description(): string | undefined {
    return this.flags.description;
  }

  /** True when the value may be absent (optional or defaulted). */
  get isOptional(): boolean {
    return this.flags.optional || this.flags.default !== undefined;
  }

  /** Validates `raw` at `path`: handles absence, null, defaults and refinements around `check`. */
  parse(raw: unknown, path: Path, ctx: ParseContext): Out | Invalid {
    const { flags } = this;
    const ownsAbsence = flags.optional || flags.default !== undefined;
    if (raw === null && !flags.nullable && ownsAbsence) raw = undefined; // YAML `key:` with no value
    if (raw === undefined) {
      if (flags.default !== undefined) return this.parse(structuredClone(flags.default.value), path, ctx);
      if (flags.optional) return undefined as Out;
      if (!this.checksAbsence) {
        ctx.report(path, 'is required');
        return INVALID;
      }
    }
    if (flags.nullable && (raw === null || (ctx.coerce && raw === ''))) return null as Out;
    const before = ctx.issues.length;
    let value = this.check(raw, path, ctx);
    for (const checkRaw of flags.rawChecks) checkRaw(raw, refineContext(ctx, path));
    if (value === INVALID || ctx.issues.length !== before) return INVALID;
    for (const refine of flags.refiners as unknown as readonly Refiner<Out>[]) {
      const next = refine(value, refineContext(ctx, path));
      if (ctx.issues.length !== before) return INVALID;
      if (next !== undefined) value = next;
    }
    return value;
  }

  /** The JSON Schema of this value, with description, default, and null when allowed. */
  toJsonSchema(options: EmitOptions = { interpolation: false }): JsonSchema {
    const own = this.emit(options);
    const ownKeys = Object.keys(own);
    // Flatten `{ anyOf: [...] }` so extra alternatives do not nest.
    const alternatives = ownKeys.length === 1 && ownKeys[0] === 'anyOf' ? [...(own.anyOf as JsonSchema[])] : [own];
    if (options.interpolation && this.interpolatable) alternatives.push({ $ref: '#/$defs/interpolated' });
    if (this.flags.nullable) alternatives.push({ type: 'null' });
    const schema = alternatives.length === 1 ? alternatives[0]! : { anyOf: alternatives };
    const meta: JsonSchema = {};
    if (this.flags.title !== undefined) meta.title = this.flags.title;
    if (this.flags.description !== undefined) meta.description = this.flags.description;
    if (this.flags.default !== undefined) meta.default = this.jsonDefault(this.flags.default.value);
    if (this.flags.examples !== undefined) meta.examples = [...this.flags.examples];
    return { ...meta, ...schema };
  }

  private jsonDefault(input: unknown): unknown {
    if (typeof input === 'string') return input; // keep `64MiB`, `30s` readable
    const ctx = new ParseContext();
    const value = this.parse(structuredClone(input), [], ctx);
    if (value === INVALID) {
      throw new Error(`schema default does not validate: ${ctx.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    }
    return value === undefined ? null : JSON.parse(JSON.stringify(value));
  }

  /** A copy with some flags changed. */
  protected with(patch: Partial<Flags>): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(copy, this);
    copy.flags = { ...this.flags, ...patch };
    return copy;
  }

  /** Adds a description (shown by editors through the JSON Schema). */
  describe(description: string): this {
    return this.with({ description });
  }

  /** Adds a JSON Schema title. */
  title(title: string): this {
    return this.with({ title });
  }

  /** Adds JSON Schema examples. */
  examples(...examples: In[]): this {
    return this.with({ examples });
  }

  /** The value may be absent (the output is then undefined). */
  optional(): Schema<Out | undefined, In | undefined> {
    return this.with({ optional: true });
  }

  /** The value may be null (an empty string coerces to null). */
  nullable(): Schema<Out | null, In | null> {
    return this.with({ nullable: true });
  }

  /** When absent (or null), `value` is validated in its place: defaults go through the same rules. */
  default(value: NoInfer<In>): Schema<Exclude<Out, undefined>, In | undefined> {
    if (value === undefined) throw new Error('a default cannot be undefined: use optional()');
    return this.with({ default: { value: structuredClone(value) } }) as unknown as Schema<Exclude<Out, undefined>, In | undefined>;
  }

  /**
   * Adds a check (and optionally a rewrite) that runs once the value itself is valid. Report
   * problems with `ctx.issue`; return a new value to replace it.
   */
  refine(fn: (value: Out, ctx: RefineContext) => Out | void): this {
    return this.with({ refiners: [...this.flags.refiners, fn] });
  }

  /**
   * Adds a check of the raw input that runs right after validation, even when parts of it are
   * invalid: for rules across items or fields that must be reported in the same pass (duplicate
   * names, say). It sees unvalidated input, so it must check types itself.
   */
  checkRaw(fn: (raw: unknown, ctx: RefineContext) => void): this {
    return this.with({ rawChecks: [...this.flags.rawChecks, fn] });
  }

  /**
   * A schema validating like this one whose output is `fn(value)`: the validated value's shape
   * can differ from what users write (`"0640"` → `0o640`) while the JSON Schema, the description
   * and the handling of absence (optional, default, nullable) stay this schema's. `fn` only sees
   * valid values, including the `undefined`/`null` this schema lets through.
   */
  map<T>(fn: (value: Out) => T): Schema<T, In> {
    return new MappedSchema(this, fn);
  }
}

/** `schema.map(fn)`. */
class MappedSchema<From, To, In> extends Schema<To, In> {
  constructor(
    private readonly inner: Schema<From, In>,
    private readonly fn: (value: From) => To,
  ) {
    super();
    this.flags = { ...this.flags, description: inner.description };
  }

  get expected(): string {
    return this.inner.expected;
  }

  override get isOptional(): boolean {
    return super.isOptional || this.inner.isOptional;
  }

  protected override get checksAbsence(): boolean {
    return true;
  }

  protected check(raw: unknown, path: Path, ctx: ParseContext): To | Invalid {
    const value = this.inner.parse(raw, path, ctx);
    return value === INVALID ? INVALID : this.fn(value);
  }

  protected emit(options: EmitOptions): JsonSchema {
    const { description: _description, ...rest } = this.inner.toJsonSchema(options);
    return rest;
  }
}

/** Any schema. */
export type AnySchema = Schema<any, any>;
/** The validated type of a schema. */
export type Output<S> = S extends Schema<infer O, any> ? O : never;
/** What users may write for a schema. */
export type Input<S> = S extends Schema<any, infer I> ? I : never;
