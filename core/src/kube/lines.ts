/**
 * Splits a byte stream into newline-delimited text lines (a watch stream is one JSON object
 * per line). UTF-8 sequences and lines may be split across chunks; blank lines are skipped.
 */
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  /** Feeds a chunk; returns the lines it completed. */
  push(chunk: Buffer | string): string[] {
    const text = this.rest + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl).trim();
      if (line !== '') lines.push(line);
      start = nl + 1;
    }
    this.rest = start === 0 ? text : text.slice(start);
    return lines;
  }

  /** Ends the input; returns the last line if it had no trailing newline. */
  end(): string[] {
    const line = (this.rest + this.decoder.end()).trim();
    this.rest = '';
    return line === '' ? [] : [line];
  }
}
