/**
 * JSON text safe to write as one NDJSON line. `JSON.stringify` leaves U+2028 LINE SEPARATOR and
 * U+2029 PARAGRAPH SEPARATOR raw (JSON allows them inside strings), but line readers split on
 * them: Node's `readline`, Python's `str.splitlines`, many editors and log shippers. An event
 * message carrying one would come back as two broken lines. Inside JSON text they can only occur
 * in strings, where `\u2028`/`\u2029` escapes mean the same characters, so the line stays the
 * same JSON value.
 */

/**
 * `json` with U+2028/U+2029 escaped (`json` itself, not a copy, when it has none: the common case
 * costs two `includes` scans).
 */
export function escapeLineSeparators(json: string): string {
  if (!json.includes('\u2028') && !json.includes('\u2029')) return json;
  return json.replace(LINE_SEPARATORS, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}
const LINE_SEPARATORS = /[\u2028\u2029]/g;

/** `value` as one NDJSON line, `\n` included (`indent` as for `JSON.stringify`, for human-facing output). */
export function toNdjsonLine(value: unknown, indent?: number): string {
  return `${escapeLineSeparators(JSON.stringify(value, null, indent))}\n`;
}
