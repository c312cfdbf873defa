/**
 * Durations in milliseconds: a plain number of milliseconds, or one or more number-unit pairs
 * with the units `ms`, `s`, `m`, `h`, `d` (case-insensitive): `250ms`, `30s`, `5m`, `1h`,
 * `1.5s`, `1h30m`.
 */
import { K8streamError } from '../errors.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const WHOLE = /^(?:(?:\d+(?:\.\d+)?|\.\d+)\s*(?:ms|s|m|h|d)\s*)+$/i;
const PART = /(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)/gi;
const PLAIN = /^(\d+(?:\.\d+)?|\.\d+)$/;

/** A regular expression (source) that matches the string forms, for JSON Schema. */
export const DURATION_PATTERN = '^\\s*((\\d+(\\.\\d+)?|\\.\\d+)\\s*([mM][sS]|[sSmMhHdD])\\s*)+$|^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*$';

/** What a duration may look like, for messages. */
export const DURATION_FORMS = 'a number of milliseconds, or a string such as 250ms, 30s, 5m or 1h';

/** Milliseconds (rounded to an integer) for a duration, or undefined when `value` is not one. */
export function tryParseDuration(value: unknown): number | undefined {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    ms = value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (PLAIN.test(text)) ms = Number(text);
    else if (WHOLE.test(text)) {
      ms = 0;
      for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNITS[unit!.toLowerCase()]!;
    } else return undefined;
  } else return undefined;
  const rounded = Math.round(ms);
  return Number.isSafeInteger(rounded) ? rounded : undefined;
}

/** Milliseconds for a duration; throws a K8streamError (CONFIG_INVALID) naming the bad value otherwise. */
export function parseDuration(value: string | number): number {
  const ms = tryParseDuration(value);
  if (ms === undefined) {
    throw new K8streamError('CONFIG_INVALID', `invalid duration ${JSON.stringify(value)}: expected ${DURATION_FORMS}`);
  }
  return ms;
}

const ORDER: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** A short form of a duration that `parseDuration` reads back: `30s`, `1h30m`, `250ms`, `0ms`. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  if (rest <= 0) return '0ms';
  let out = '';
  for (const [unit, size] of ORDER) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
