/**
 * The HTTP `Retry-After` header (RFC 9110 §10.2.3), one contract for the core and every sink:
 *
 *   Retry-After = HTTP-date / delay-seconds        delay-seconds = 1*DIGIT
 *
 * `parseRetryAfter(value, now)` returns the wait in MILLISECONDS, or `undefined` when the value
 * is absent, empty or not one of those forms. Invariants:
 * - delay-seconds are whole seconds only (`1.5`, `-5`, `+5`, `1e3` are invalid, as the grammar says);
 * - an HTTP-date is read in all three forms recipients must accept (§5.6.7): IMF-fixdate
 *   (`Sun, 06 Nov 1994 08:49:37 GMT`), rfc850-date (`Sunday, 06-Nov-94 08:49:37 GMT`, a
 *   two-digit year more than 50 years ahead means the century before) and asctime-date
 *   (`Sun Nov  6 08:49:37 1994`, in UTC); names match case-insensitively, the day-name is not
 *   cross-checked, impossible dates (`31 Feb`) are invalid. No `Date.parse` guessing: `2026-10-21`
 *   or `soon` are not dates;
 * - a date in the past gives 0; the result is never negative and never above
 *   {@link MAX_RETRY_AFTER_MS} (longer waits would overflow Node timers into a 1 ms retry loop).
 */

/** The longest wait `parseRetryAfter` returns (2^31 − 1 ms, the longest Node timer, ~24.8 days). */
export const MAX_RETRY_AFTER_MS = 2 ** 31 - 1;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const DAY_LONG = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
const RFC850_DATE = new RegExp(`^${DAY_LONG}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`, 'i');

/**
 * Milliseconds to wait according to a `Retry-After` value, measured from `now` for an
 * HTTP-date; `undefined` when absent or invalid. See the module comment for the contract.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Number(text) * 1000);
  const at = parseHttpDate(text, now);
  if (at === undefined) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now));
}

/** An RFC 9110 HTTP-date as ms since the epoch, or undefined. `now` resolves rfc850 two-digit years. */
export function parseHttpDate(text: string, now: number = Date.now()): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) return utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850_DATE.exec(text);
  if (m !== null) return utc(fullYear(Number(m[3]), now), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = ASCTIME_DATE.exec(text);
  if (m !== null) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return undefined;
}

/** RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the previous century. */
function fullYear(yy: number, now: number): number {
  const current = new Date(now).getUTCFullYear();
  let year = Math.floor(current / 100) * 100 + yy;
  if (year > current + 50) year -= 100;
  else if (year <= current - 50) year += 100;
  return year;
}

function utc(year: number, month: string, day: number, hh: string, mm: string, ss: string): number | undefined {
  const mon = MONTHS.indexOf(month.toLowerCase());
  const [h, mi, s] = [Number(hh), Number(mm), Number(ss)];
  if (h > 23 || mi > 59 || s > 60) return undefined;
  const at = Date.UTC(year, mon, day, h, mi, Math.min(s, 59));
  const d = new Date(at);
  // Date.UTC rolls 31 Feb over into March: such a date does not exist.
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== mon || d.getUTCDate() !== day) return undefined;
  return at;
}
