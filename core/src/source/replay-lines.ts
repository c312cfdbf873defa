/**
 * Splits a text stream into lines on `\n` only (a trailing `\r` is removed), for NDJSON.
 *
 * Not `node:readline`: it also breaks lines at U+2028 and U+2029 (and at a lone `\r`), which
 * JSON allows raw inside strings (jq and Python's json module write them unescaped), so a
 * valid NDJSON line holding one would be cut in two. Memory stays bounded by the longest line
 * plus one chunk of the stream.
 */

/** The lines of `chunks` (text pieces cut anywhere), without their `\n` / `\r\n` ends. */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of chunks) {
    let nl = chunk.indexOf('\n');
    if (nl === -1) {
      rest += chunk;
      continue;
    }
    yield stripCr(rest + chunk.slice(0, nl));
    let start = nl + 1;
    while ((nl = chunk.indexOf('\n', start)) !== -1) {
      yield stripCr(chunk.slice(start, nl));
      start = nl + 1;
    }
    rest = chunk.slice(start);
  }
  // The last line of a file need not end with a newline.
  if (rest !== '') yield stripCr(rest);
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
