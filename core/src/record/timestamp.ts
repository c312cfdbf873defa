/**
 * Kubernetes timestamps to the record's form (`YYYY-MM-DDTHH:mm:ss.sssZ`, UTC).
 *
 * RFC 3339 / ISO-8601 date-times are parsed here rather than by `Date.parse`: ECMAScript reads a
 * date-time without a zone designator in the host's time zone, so the same event would get a
 * different time on a host with `TZ=Asia/Tokyo`. The API server writes UTC, so a zone-less
 * timestamp is read as UTC. Other strings (RFC 2822 and the like, which carry their zone) still
 * go to `Date.parse`.
 */

/**
 * `2026-11-02`, `2026-11-02T09:24:30`, `…30.123456789`, `…Z`, `…+05:30`, `…+0530` (T, t or a space
 * between date and time; `.` or `,` before the fraction).
 */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(?: ?([Zz]|[+-]\d{2}(?::?\d{2})?))?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysIn(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

/**
 * Milliseconds since the epoch of an ISO-8601 date-time string, a zone-less one read as UTC;
 * the fraction is truncated to milliseconds. `NaN` when the string has that shape but names a
 * day or time that does not exist (2026-02-30, 25:00); `undefined` when it is not ISO-shaped.
 */
export function parseIsoUtc(text: string): number | undefined {
  const m = ISO_DATE_TIME.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return NaN;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0–99 to 1900–1999
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime() - offsetMinutes * 60_000;
}

/**
 * Milliseconds since the epoch of a Kubernetes timestamp string, a zone-less one read as UTC
 * (`NaN` when it is no time). One that ends in `Z`, as the API server writes them, goes straight
 * to `Date.parse`, which reads it the same way, so hot paths pay no more than before.
 */
export function parseTimestampMs(text: string): number {
  if (text.charCodeAt(text.length - 1) === 90 /* Z */) return Date.parse(text);
  return parseIsoUtc(text) ?? Date.parse(text);
}

/**
 * Normalises a Kubernetes timestamp (RFC 3339 string, possibly with micro- or nanoseconds or
 * without a zone, or a `Date`) to `YYYY-MM-DDTHH:mm:ss.sssZ`. Returns null for
 * null/undefined/empty string and for strings or dates that are not valid times.
 */
export function normalizeTimestamp(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string') {
    // Events of a burst share their timestamps: remember the last few thousand conversions.
    const hit = timestampCache.get(value);
    if (hit !== undefined) return hit;
    const ms = parseIsoUtc(value) ?? Date.parse(value);
    const iso = Number.isFinite(ms) ? new Date(ms).toISOString() : null;
    if (timestampCache.size >= TIMESTAMP_CACHE_SIZE) timestampCache.clear();
    timestampCache.set(value, iso);
    return iso;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
  }
  return null;
}

const TIMESTAMP_CACHE_SIZE = 4096;
const timestampCache = new Map<string, string | null>();

/**
 * The latest of normalised timestamps (null when all are null). Normalised timestamps have
 * one fixed-width form, so they order as strings.
 */
export function latestTimestamp(...candidates: readonly (string | null)[]): string | null {
  let latest: string | null = null;
  for (const t of candidates) if (t !== null && (latest === null || t > latest)) latest = t;
  return latest;
}
