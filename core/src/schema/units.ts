/** Sizes (`8MiB`, plain number = bytes) and durations (`30s`, plain number = milliseconds). */
import { DURATION_FORMS, DURATION_PATTERN, formatDuration, tryParseDuration } from './duration.js';
import { formatSize, SIZE_FORMS, SIZE_PATTERN, tryParseSize } from './size.js';
import { describeValue, INVALID } from './core.js';
import type { Invalid, JsonSchema, ParseContext, Path } from './core.js';
import { BoundedSchema, boundedPhrase, boundsKeywords, inBounds } from './primitives.js';

/** A size in bytes, written as a number of bytes or a string such as `8MiB`. */
export class SizeSchema extends BoundedSchema<number, number | string> {
  get expected(): string {
    return `${boundedPhrase('size', this.bounds, formatSize)} (${SIZE_FORMS})`;
  }

  protected override get interpolatable(): boolean {
    return true;
  }

  protected check(raw: unknown, path: Path, ctx: ParseContext): number | Invalid {
    const bytes = tryParseSize(raw);
    if (bytes === undefined || !inBounds(bytes, this.bounds)) {
      ctx.report(path, `expected ${this.expected}, got ${describeValue(raw)}`);
      return INVALID;
    }
    return bytes;
  }

  protected emit(): JsonSchema {
    return {
      anyOf: [
        { type: 'integer', ...boundsKeywords(this.bounds.min === undefined ? { ...this.bounds, min: 0 } : this.bounds, true) },
        { type: 'string', pattern: SIZE_PATTERN },
      ],
    };
  }
}

/** A duration in milliseconds, written as a number of milliseconds or a string such as `30s`. */
export class DurationSchema extends BoundedSchema<number, number | string> {
  get expected(): string {
    return `${boundedPhrase('duration', this.bounds, formatDuration)} (${DURATION_FORMS})`;
  }

  protected override get interpolatable(): boolean {
    return true;
  }

  protected check(raw: unknown, path: Path, ctx: ParseContext): number | Invalid {
    const ms = tryParseDuration(raw);
    if (ms === undefined || !inBounds(ms, this.bounds)) {
      ctx.report(path, `expected ${this.expected}, got ${describeValue(raw)}`);
      return INVALID;
    }
    return ms;
  }

  protected emit(): JsonSchema {
    return {
      anyOf: [
        { type: 'number', ...boundsKeywords(this.bounds.min === undefined ? { ...this.bounds, min: 0 } : this.bounds) },
        { type: 'string', pattern: DURATION_PATTERN },
      ],
    };
  }
}

/** A size in bytes: `8MiB`, `512KB`, `1.5GiB`, or a plain number of bytes. Chain `.min(n)`, `.positive()`. */
export function size(): SizeSchema {
  return new SizeSchema();
}

/** A duration in milliseconds: `250ms`, `30s`, `5m`, `1h`, or a plain number of milliseconds. Chain `.min(n)`, `.positive()`. */
export function duration(): DurationSchema {
  return new DurationSchema();
}
