/**
 * Helpers to report JSON syntax errors by line and column. V8's `JSON.parse` messages carry a
 * position for most mistakes but not all (e.g. `[1,]` or a comment only say "Unexpected token"
 * and quote the input), so the location comes from a small scanner run on the failure path.
 */

/** Where a JSON text first stops being valid (1-based line and column). */
export interface JsonErrorLocation {
  offset: number;
  line: number;
  column: number;
}

/** The reason part of a `JSON.parse` error, without the input snippet or V8's own position. */
export function jsonErrorReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (
    message
      // V8 quotes (part of) the input: `, "…" is not valid JSON`, with `...` before or after when cut.
      .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '')
      .trim()
  );
}

/** Offset, line and column of the first syntax error in `text`, or null when `text` is valid JSON. */
export function locateJsonError(text: string): JsonErrorLocation | null {
  let offset: number | null;
  try {
    offset = new Scanner(text).run();
  } catch {
    return null; // nesting deeper than the stack allows: give up on a location
  }
  if (offset === null) return null;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

class SyntaxAt {
  constructor(readonly offset: number) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** Minimal recursive-descent JSON recogniser: returns the offset of the first error, or null. */
class Scanner {
  private pos = 0;
  constructor(private readonly text: string) {}

  run(): number | null {
    try {
      this.ws();
      this.value();
      this.ws();
      if (this.pos < this.text.length) throw new SyntaxAt(this.pos);
      return null;
    } catch (err) {
      if (err instanceof SyntaxAt) return err.offset;
      throw err;
    }
  }

  private ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  private value(): void {
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === 't') return this.literal('true');
    if (c === 'f') return this.literal('false');
    if (c === 'n') return this.literal('null');
    NUMBER.lastIndex = this.pos;
    if (NUMBER.test(this.text)) {
      this.pos = NUMBER.lastIndex;
      return;
    }
    throw new SyntaxAt(this.pos);
  }

  private object(): void {
    this.pos++;
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') throw new SyntaxAt(this.pos);
      this.string();
      this.ws();
      if (this.text[this.pos] !== ':') throw new SyntaxAt(this.pos);
      this.pos++;
      this.ws();
      this.value();
      this.ws();
      const c = this.text[this.pos];
      this.pos++;
      if (c === '}') return;
      if (c !== ',') throw new SyntaxAt(this.pos - 1);
      this.ws();
    }
  }

  private array(): void {
    this.pos++;
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.value();
      this.ws();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ']') return;
      if (c !== ',') throw new SyntaxAt(this.pos - 1);
      this.ws();
    }
  }

  private string(): void {
    const t = this.text;
    this.pos++;
    while (this.pos < t.length) {
      const c = t[this.pos] as string;
      if (c === '"') {
        this.pos++;
        return;
      }
      if (c.charCodeAt(0) < 0x20) throw new SyntaxAt(this.pos);
      if (c === '\\') {
        const e = t[this.pos + 1];
        if (e === 'u') {
          if (!HEX4.test(t.slice(this.pos + 2, this.pos + 6))) throw new SyntaxAt(this.pos);
          this.pos += 6;
          continue;
        }
        if (e === undefined || !ESCAPES.has(e)) throw new SyntaxAt(this.pos);
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
    throw new SyntaxAt(this.pos);
  }

  private literal(word: string): void {
    if (!this.text.startsWith(word, this.pos)) throw new SyntaxAt(this.pos);
    this.pos += word.length;
  }
}
