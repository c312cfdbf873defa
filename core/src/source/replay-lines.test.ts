import { describe, expect, it } from 'vitest';
import { splitLines } from './replay-lines.js';

async function lines(chunks: string[]): Promise<string[]> {
  const out: string[] = [];
  async function* source(): AsyncGenerator<string> {
    yield* chunks;
  }
  for await (const line of splitLines(source())) out.push(line);
  return out;
}

describe('splitLines', () => {
  it('splits on \\n only: U+2028, U+2029 and a lone \\r stay inside the line', async () => {
    expect(await lines(['{"m":"a\u2028b"}\n{"m":"c\u2029d"}\n', 'x\ry\n'])).toEqual(['{"m":"a\u2028b"}', '{"m":"c\u2029d"}', 'x\ry']);
  });

  it('removes one trailing \\r (CRLF files) and keeps blank lines', async () => {
    expect(await lines(['a\r\n\r\nb\r\r\n'])).toEqual(['a', '', 'b\r']);
  });

  it('joins lines cut across chunks, including a \\r\\n cut in the middle', async () => {
    expect(await lines(['ab', 'c\r', '\nde', 'f\ng', 'h'])).toEqual(['abc', 'def', 'gh']);
  });

  it('yields a last line without newline, and nothing for empty input or a final newline', async () => {
    expect(await lines(['a\nb'])).toEqual(['a', 'b']);
    expect(await lines([])).toEqual([]);
    expect(await lines(['', '\n'])).toEqual(['']);
    expect(await lines(['a\n'])).toEqual(['a']);
  });
});
