/** Scalar schemas: string, enum, boolean, number, integer, and "anything". */
import { describeValue, INVALID, Schema } from './core.js';
import type { EmitOptions, Invalid, JsonSchema, ParseContext, Path } from './core.js';
import { didYouMean } from './suggest.js';

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A number from a number, or (when coercing) from a numeric string such as `"10"` or `" 2.5 "`. */
export function coerceNumber(raw: unknown, ctx: ParseContext): number | undefined {
  if (typeof raw === 'number') return raw;
  if (ctx.coerce && typeof raw === 'string' && NUMERIC.test(raw.trim())) return Number(raw.trim());
  return undefined;
}

/** A string. */
export class StringSchema extends Schema<string> {
  private minLength = 0;
  private patternRe: RegExp | undefined;
  private patternName: string | undefined;

  get expected(): string {
    if (this.patternName !== undefined) return this.patternName;
    return this.minLength > 0 ? 'a non-empty string' : 'a string';
  }

  /** Rejects the empty string. */
  nonEmpty(): this {
    const copy = this.with({});
    copy.minLength = 1;
    return copy;
  }

  /** Requires a match of `re`; `name` says what that is in messages (`a DNS-1123 label`). */
  pattern(re: RegExp, name: string): this {
    const copy = this.with({});
    copy.patternRe = re;
    copy.patternName = name;
    return copy;
  }

  protected check(raw: unknown, path: Path, ctx: ParseContext): string | Invalid {
    if (typeof raw !== 'string' || raw.length < this.minLength || (this.patternRe && !this.patternRe.test(raw))) {
      ctx.report(path, `expected ${this.expected}, got ${describeValue(raw)}`);
      return INVALID;
    }
    return raw;
  }

  protected emit(): JsonSchema {
    const schema: JsonSchema = { type: 'string' };
    if (this.minLength > 0) schema.minLength = this.minLength;
    if (this.patternRe) schema.pattern = this.patternRe.source;
    return schema;
  }
}

/** One of a fixed set of strings. */
export class EnumSchema<T extends string> extends Schema<T> {
  constructor(readonly values: readonly T[]) {
    super();
    if (values.length === 0) throw new Error('enumOf() needs at least one value');
  }

  get expected(): string {
    if (this.values.length === 1) return JSON.stringify(this.values[0]);
    return `one of ${this.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }

  protected override get interpolatable(): boolean {
    return true;
  }

  protected check(raw: unknown, path: Path, ctx: ParseContext): T | Invalid {
    if (typeof raw === 'string' && (this.values as readonly string[]).includes(raw)) return raw as T;
    const hint = typeof raw === 'string' ? didYouMean(raw, this.values) : undefined;
    ctx.report(path, `expected ${this.expected}, got ${describeValue(raw)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
    return INVALID;
  }

  protected emit(): JsonSchema {
    return { enum: [...this.values] };
  }
}

/** A boolean: true or false (also `"true"`/`"false"` when coercing). */
export class BooleanSchema extends Schema<boolean> {
  get expected(): string {
    return 'a boolean';
  }

  protected override get interpolatable(): boolean {
    return true;
  }

  protected check(raw: unknown, path: Path, ctx: ParseContext): boolean | Invalid {
    if (typeof raw === 'boolean') return raw;
    if (ctx.coerce && typeof raw === 'string') {
      const text = raw.trim().toLowerCase();
      if (text === 'true') return true;
      if (text === 'false') return false;
    }
    ctx.report(path, `expected ${this.expected}, got ${describeValue(raw)}`);
    return INVALID;
  }

  protected emit(): JsonSchema {
    return { type: 'boolean' };
  }
}

interface Bounds {
  min: number | undefined;
  max: number | undefined;
  /** `min` is exclusive. */
  exclusiveMin: boolean;
}

/** Words for a bounded quantity: `a positive integer`, `an integer from 1 to 10`. */
export function boundedPhrase(noun: string, bounds: Bounds, show: (n: number) => string = String): string {
  const article = /^[aeiou]/.test(noun) ? 'an' : 'a';
  const { min, max, exclusiveMin } = bounds;
  if (min === 0 && max === undefined) return exclusiveMin ? `a positive ${noun}` : `a non-negative ${noun}`;
  if (min === 1 && max === undefined && noun === 'integer' && !exclusiveMin) return 'a positive integer';
  if (min !== undefined && max !== undefined) return `${article} ${noun} from ${show(min)} to ${show(max)}`;
  if (min !== undefined) return `${article} ${noun} ${exclusiveMin ? '>' : '>='} ${show(min)}`;
  if (max !== undefined) return `${article} ${noun} <= ${show(max)}`;
  return `${article} ${noun}`;
}

/** Whether `n` lies within `bounds`. */
export function inBounds(n: number, bounds: Bounds): boolean {
  if (bounds.min !== undefined && (bounds.exclusiveMin ? n <= bounds.min : n < bounds.min)) return false;
  if (bounds.max !== undefined && n > bounds.max) return false;
  return true;
}

/** JSON Schema keywords for `bounds` (for integers, `> n` is written `>= n + 1`). */
export function boundsKeywords(bounds: Bounds, integer = false): JsonSchema {
  const out: JsonSchema = {};
  if (bounds.min !== undefined && bounds.exclusiveMin && integer && Number.isInteger(bounds.min)) out.minimum = bounds.min + 1;
  else if (bounds.min !== undefined) out[bounds.exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = bounds.min;
  if (bounds.max !== undefined) out.maximum = bounds.max;
  return out;
}

/** Base for numeric schemas with bounds. */
export abstract class BoundedSchema<Out, In = Out> extends Schema<Out, In> {
  protected bounds: Bounds = { min: undefined, max: undefined, exclusiveMin: false };

  private bounded(patch: Partial<Bounds>): this {
    const copy = this.with({});
    copy.bounds = { ...this.bounds, ...patch };
    return copy;
  }

  /** At least `n`. */
  min(n: number): this {
    return this.bounded({ min: n, exclusiveMin: false });
  }

  /** At most `n`. */
  max(n: number): this {
    return this.bounded({ max: n });
  }

  /** Greater than zero. */
  positive(): this {
    return this.bounded({ min: 0, exclusiveMin: true });
  }

  /** Zero or more. */
  nonNegative(): this {
    return this.min(0);
  }
}

/** A finite number (an integer when `integer` is set). */
export class NumberSchema extends BoundedSchema<number> {
  constructor(private readonly integerOnly: boolean) {
    super();
  }

  get expected(): string {
    if (this.integerOnly && this.bounds.exclusiveMin && this.bounds.min === 0 && this.bounds.max === undefined) {
      return 'a positive integer';
    }
    return boundedPhrase(this.integerOnly ? 'integer' : 'number', this.bounds);
  }

  protected override get interpolatable(): boolean {
    return true;
  }

  protected check(raw: unknown, path: Path, ctx: ParseContext): number | Invalid {
    const n = coerceNumber(raw, ctx);
    const ok = n !== undefined && Number.isFinite(n) && (!this.integerOnly || Number.isSafeInteger(n)) && inBounds(n, this.bounds);
    if (!ok) {
      ctx.report(path, `expected ${this.expected}, got ${describeValue(raw)}`);
      return INVALID;
    }
    return n;
  }

  protected emit(_options: EmitOptions): JsonSchema {
    return { type: this.integerOnly ? 'integer' : 'number', ...boundsKeywords(this.bounds, this.integerOnly) };
  }
}

/** Anything at all (plugin-specific config checked elsewhere). */
export class AnySchema extends Schema<unknown> {
  get expected(): string {
    return 'any value';
  }

  protected check(raw: unknown): unknown {
    return raw;
  }

  protected emit(): JsonSchema {
    return {};
  }
}

/** A string. Chain `.nonEmpty()` or `.pattern(re, name)`. */
export function string(): StringSchema {
  return new StringSchema();
}

/** One of the given strings: `enumOf(['ndjson', 'json'])`. Unknown values get a did-you-mean hint. */
export function enumOf<const T extends string>(values: readonly T[]): EnumSchema<T> {
  return new EnumSchema(values);
}

/** true or false. */
export function boolean(): BooleanSchema {
  return new BooleanSchema();
}

/** A finite number. Chain `.min(n)`, `.max(n)`, `.positive()`. */
export function number(): NumberSchema {
  return new NumberSchema(false);
}

/** A safe integer. Chain `.min(n)`, `.max(n)`, `.positive()`. */
export function integer(): NumberSchema {
  return new NumberSchema(true);
}

/** Any value, unchecked. */
export function any(): AnySchema {
  return new AnySchema();
}
