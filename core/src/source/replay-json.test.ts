import { describe, expect, it } from 'vitest';
import { jsonErrorReason, locateJsonError } from './replay-json.js';

function reasonOf(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return jsonErrorReason(err);
  }
  throw new Error('expected invalid JSON');
}

describe('locateJsonError', () => {
  it('returns null for valid JSON', () => {
    for (const text of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"]} ', '"s"', '0']) {
      expect(locateJsonError(text)).toBeNull();
    }
  });

  it.each([
    ['{"a":1,}', 1, 8],
    ['[1,]', 1, 4],
    ['// c\n{}', 1, 1],
    ['{\n  "a": tru\n}', 2, 8],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3],
    ['{"a": "multi\nline"}', 1, 13],
    ['{"a": "\\x"}', 1, 8],
    ['{"a": "\\u12"}', 1, 8],
    ['{"a": 1} x', 1, 10],
    ['{"a": ', 1, 7],
    ['{"a": "open', 1, 12],
    ['{"a": 01}', 1, 8],
    ['', 1, 1],
  ])('%j → line %i column %i', (text, line, column) => {
    expect(locateJsonError(text)).toMatchObject({ line, column });
  });

  it('agrees with V8 where V8 reports a position', () => {
    const text = '{\n "a": 1,\n "b": [1, 2,\n  {"c": 3 "d": 4}]\n}';
    let v8 = '';
    try {
      JSON.parse(text);
    } catch (err) {
      v8 = (err as Error).message;
    }
    const loc = locateJsonError(text);
    expect(v8).toContain(`(line ${loc?.line} column ${loc?.column})`);
  });
});

describe('jsonErrorReason', () => {
  it('drops the quoted input and the position, in every form V8 uses', () => {
    expect(reasonOf('x')).toBe("Unexpected token 'x'");
    expect(reasonOf('// a long comment that V8 will cut\n{}')).toBe("Unexpected token '/'");
    expect(reasonOf('[' + '1,'.repeat(40) + ']')).toBe("Unexpected token ']'");
    expect(reasonOf('{"a":1,}')).toBe('Expected double-quoted property name');
    expect(reasonOf('[1')).toBe("Expected ',' or ']' after array element");
    expect(reasonOf('')).toBe('Unexpected end of JSON input');
  });

  it('never includes the input', () => {
    const secret = 'token=abcdef0123456789';
    expect(reasonOf(`{"a": "${secret}" x}`)).not.toContain(secret);
    expect(reasonOf(`x${secret}`)).not.toContain(secret);
  });
});
