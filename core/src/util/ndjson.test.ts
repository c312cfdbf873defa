import { describe, expect, it } from 'vitest';
import { escapeLineSeparators, toNdjsonLine } from './ndjson.js';

describe('NDJSON lines', () => {
  it('escape U+2028 and U+2029: the same JSON value, on one line for every line reader', () => {
    const value = { message: 'a\u2028b\u2029c', note: ['\u2028\u2028'], '\u2029key': 1 };
    const line = toNdjsonLine(value);
    expect(line).toBe('{"message":"a\\u2028b\\u2029c","note":["\\u2028\\u2028"],"\\u2029key":1}\n');
    expect(line.split(/\r\n|[\n\r\u2028\u2029]/)).toEqual([line.slice(0, -1), '']); // what readline / splitlines cut on
    expect(JSON.parse(line)).toEqual(value);
  });

  it('pretty-prints with an indent, still escaped', () => {
    expect(toNdjsonLine({ m: '\u2028' }, 2)).toBe('{\n  "m": "\\u2028"\n}\n');
  });

  it('returns the very text when there is nothing to escape', () => {
    const json = JSON.stringify({ message: 'Größe ✓ 🚀 "q" \\ \n' });
    expect(escapeLineSeparators(json)).toBe(json);
  });
});
