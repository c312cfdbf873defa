/**
 * Sizes in bytes: a plain number of bytes, or a number with a unit. Decimal units (`KB`, `MB`,
 * `GB`, `TB`, and Kubernetes-style `K`, `M`, `G`, `T`) are powers of 1000; binary units (`KiB`,
 * `MiB`, `GiB`, `TiB`, and `Ki`, `Mi`, `Gi`, `Ti`) powers of 1024. Units are case-insensitive and
 * may follow a space: `8MiB`, `512KB`, `1.5GiB`, `64 mi`, `1024`.
 */
import { K8streamError } from '../errors.js';

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

const SIZE = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;

/** A regular expression (source) that matches the string forms, for JSON Schema. */
export const SIZE_PATTERN = '^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*([kKmMgGtT]([iI]?[bB]?)|[bB])?\\s*$';

/** What a size may look like, for messages. */
export const SIZE_FORMS = 'a number of bytes, or a string such as 512KB, 8MiB or 1.5GiB';

/**
 * Bytes for a size, or undefined when `value` is not one. Numbers must be non-negative
 * integers; a unit may make a fraction whole (`1.5KiB` = 1536); what remains is rounded.
 */
export function tryParseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  const multiplier = UNITS[match[2]!.toLowerCase()];
  if (multiplier === undefined) return undefined;
  const amount = Number(match[1]);
  if (multiplier === 1 && !Number.isInteger(amount)) return undefined;
  const bytes = Math.round(amount * multiplier);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Bytes for a size; throws a K8streamError (CONFIG_INVALID) naming the bad value otherwise. */
export function parseSize(value: string | number): number {
  const bytes = tryParseSize(value);
  if (bytes === undefined) {
    throw new K8streamError('CONFIG_INVALID', `invalid size ${JSON.stringify(value)}: expected ${SIZE_FORMS}`);
  }
  return bytes;
}

const BINARY: readonly [string, number][] = [
  ['TiB', 1024 ** 4],
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
];

/** A short form of a byte count that `parseSize` reads back: `8MiB`, `1.5GiB`, `100B`. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of BINARY) {
    if (bytes >= size) {
      const amount = bytes / size;
      const rounded = Math.round(amount * 100) / 100;
      if (Math.round(rounded * size) === bytes) return `${rounded}${unit}`;
    }
  }
  return `${bytes}B`;
}
