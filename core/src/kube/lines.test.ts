import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines.js';

describe('LineSplitter', () => {
  it('splits lines across chunks and skips blank lines', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('{"a":1}\n{"b"'))).toEqual(['{"a":1}']);
    expect(s.push(Buffer.from(':2}\n\n\n{"c":3}'))).toEqual(['{"b":2}']);
    expect(s.end()).toEqual(['{"c":3}']);
  });

  it('keeps multi-byte characters split between chunks intact', () => {
    const bytes = Buffer.from('{"m":"héllo ✓"}\n');
    const s = new LineSplitter();
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...s.push(bytes.subarray(i, i + 1)));
    out.push(...s.end());
    expect(out).toEqual(['{"m":"héllo ✓"}']);
  });

  it('accepts CRLF line ends', () => {
    const s = new LineSplitter();
    expect(s.push('a\r\nb\r\n')).toEqual(['a', 'b']);
    expect(s.end()).toEqual([]);
  });
});
