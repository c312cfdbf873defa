/**
 * A small, strict JSON reader for config values. Unlike json-as (which traps on invalid input),
 * it reports what is wrong and where, so a bad config becomes a clear error instead of a trap.
 */

/** The type of a {@link JsonNode}. */
export enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/** One parsed JSON value. Objects keep their keys in document order. */
export class JsonNode {
  kind: JsonKind = JsonKind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  /** Array items. */
  items: JsonNode[] = [];
  /** Object keys, in document order (a repeated key keeps its last value, at its first place). */
  keys: string[] = [];
  /** Object values, parallel to `keys`. */
  values: JsonNode[] = [];

  /** The value of object key `key`, or null. */
  get(key: string): JsonNode | null {
    for (let i = 0; i < this.keys.length; i++) {
      if (unchecked(this.keys[i]) == key) return unchecked(this.values[i]);
    }
    return null;
  }

  /** `string`, `number`, `boolean`, `null`, `array` or `object`. */
  typeName(): string {
    switch (this.kind) {
      case JsonKind.Null: return "null";
      case JsonKind.Bool: return "boolean";
      case JsonKind.Number: return "number";
      case JsonKind.String: return "string";
      case JsonKind.Array: return "array";
      default: return "object";
    }
  }
}

const MAX_DEPTH = 64;

let lastError = "";

/** Why the last {@link parseJson} returned null. */
export function jsonError(): string {
  return lastError;
}

/** Parses `text` as one JSON value; returns null (see {@link jsonError}) when it is not valid JSON. */
export function parseJson(text: string): JsonNode | null {
  const p = new Parser(text);
  const node = p.value(0);
  if (node === null) {
    lastError = p.error;
    return null;
  }
  p.skipSpace();
  if (p.pos < text.length) {
    lastError = "unexpected text after the JSON value at offset " + p.pos.toString();
    return null;
  }
  return node;
}

class Parser {
  text: string;
  pos: i32 = 0;
  error: string = "";

  constructor(text: string) {
    this.text = text;
  }

  fail(what: string): JsonNode | null {
    if (this.error.length == 0) this.error = what + " at offset " + this.pos.toString();
    return null;
  }

  peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) this.pos++;
      else break;
    }
  }

  value(depth: i32): JsonNode | null {
    if (depth > MAX_DEPTH) return this.fail("JSON nested too deeply");
    this.skipSpace();
    const c = this.peek();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      const n = new JsonNode();
      n.kind = JsonKind.String;
      n.str = s;
      return n;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.word("true")) return boolNode(true);
    if (this.word("false")) return boolNode(false);
    if (this.word("null")) return new JsonNode();
    if (c < 0) return this.fail("unexpected end of JSON");
    return this.fail("unexpected character");
  }

  word(w: string): bool {
    if (this.text.length - this.pos < w.length) return false;
    for (let i = 0; i < w.length; i++) {
      if (this.text.charCodeAt(this.pos + i) != w.charCodeAt(i)) return false;
    }
    this.pos += w.length;
    return true;
  }

  object(depth: i32): JsonNode | null {
    this.pos++; // {
    const n = new JsonNode();
    n.kind = JsonKind.Object;
    this.skipSpace();
    if (this.peek() == 0x7d) {
      this.pos++;
      return n;
    }
    while (true) {
      this.skipSpace();
      if (this.peek() != 0x22) return this.fail("expected a string key");
      const key = this.string();
      if (key === null) return null;
      this.skipSpace();
      if (this.peek() != 0x3a) return this.fail("expected ':'");
      this.pos++;
      const v = this.value(depth + 1);
      if (v === null) return null;
      let replaced = false;
      for (let i = 0; i < n.keys.length; i++) {
        if (unchecked(n.keys[i]) == key) {
          n.values[i] = v;
          replaced = true;
          break;
        }
      }
      if (!replaced) {
        n.keys.push(key);
        n.values.push(v);
      }
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x2c) continue;
      if (c == 0x7d) return n;
      this.pos--;
      return this.fail("expected ',' or '}'");
    }
  }

  array(depth: i32): JsonNode | null {
    this.pos++; // [
    const n = new JsonNode();
    n.kind = JsonKind.Array;
    this.skipSpace();
    if (this.peek() == 0x5d) {
      this.pos++;
      return n;
    }
    while (true) {
      const v = this.value(depth + 1);
      if (v === null) return null;
      n.items.push(v);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x2c) continue;
      if (c == 0x5d) return n;
      this.pos--;
      return this.fail("expected ',' or ']'");
    }
  }

  number(): JsonNode | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    let c = this.peek();
    if (c == 0x30) {
      this.pos++;
    } else if (c >= 0x31 && c <= 0x39) {
      while (isDigit(this.peek())) this.pos++;
    } else {
      return this.fail("invalid number");
    }
    if (this.peek() == 0x2e) {
      this.pos++;
      if (!isDigit(this.peek())) return this.fail("invalid number");
      while (isDigit(this.peek())) this.pos++;
    }
    c = this.peek();
    if (c == 0x65 || c == 0x45) {
      this.pos++;
      c = this.peek();
      if (c == 0x2b || c == 0x2d) this.pos++;
      if (!isDigit(this.peek())) return this.fail("invalid number");
      while (isDigit(this.peek())) this.pos++;
    }
    const n = new JsonNode();
    n.kind = JsonKind.Number;
    n.num = F64.parseFloat(this.text.substring(start, this.pos));
    return n;
  }

  /** Reads a string literal starting at the opening quote; null on error. */
  string(): string | null {
    this.pos++; // "
    const text = this.text;
    let out: string[] | null = null;
    let runStart = this.pos;
    while (true) {
      if (this.pos >= text.length) {
        this.fail("unterminated string");
        return null;
      }
      const c = text.charCodeAt(this.pos);
      if (c == 0x22) {
        const tail = text.substring(runStart, this.pos);
        this.pos++;
        if (out === null) return tail;
        out.push(tail);
        return out.join("");
      }
      if (c < 0x20) {
        this.fail("control character in string");
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      // escape
      if (out === null) out = [];
      out.push(text.substring(runStart, this.pos));
      this.pos++;
      if (this.pos >= text.length) {
        this.fail("unterminated string");
        return null;
      }
      const e = text.charCodeAt(this.pos);
      this.pos++;
      let ch: i32 = -1;
      if (e == 0x22) ch = 0x22;
      else if (e == 0x5c) ch = 0x5c;
      else if (e == 0x2f) ch = 0x2f;
      else if (e == 0x62) ch = 0x08;
      else if (e == 0x66) ch = 0x0c;
      else if (e == 0x6e) ch = 0x0a;
      else if (e == 0x72) ch = 0x0d;
      else if (e == 0x74) ch = 0x09;
      else if (e == 0x75) {
        if (this.pos + 4 > text.length) {
          this.fail("invalid \\u escape");
          return null;
        }
        let v = 0;
        for (let k = 0; k < 4; k++) {
          const h = hexValue(text.charCodeAt(this.pos + k));
          if (h < 0) {
            this.fail("invalid \\u escape");
            return null;
          }
          v = (v << 4) | h;
        }
        this.pos += 4;
        ch = v;
      } else {
        this.pos--;
        this.fail("invalid escape");
        return null;
      }
      out.push(String.fromCharCode(ch));
      runStart = this.pos;
    }
  }
}

function boolNode(b: bool): JsonNode {
  const n = new JsonNode();
  n.kind = JsonKind.Bool;
  n.bool = b;
  return n;
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

/** The value of hex digit `c`, or -1. */
export function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** `s` as a JSON string literal (quotes included), escaping what JSON requires. */
export function jsonQuote(s: string): string {
  const parts: string[] = ['"'];
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    if (c == 0x22) esc = '\\"';
    else if (c == 0x5c) esc = "\\\\";
    else if (c == 0x0a) esc = "\\n";
    else if (c == 0x0d) esc = "\\r";
    else if (c == 0x09) esc = "\\t";
    else if (c == 0x08) esc = "\\b";
    else if (c == 0x0c) esc = "\\f";
    else if (c < 0x20) esc = "\\u00" + hexDigit(c >> 4) + hexDigit(c & 15);
    if (esc !== null) {
      if (i > runStart) parts.push(s.substring(runStart, i));
      parts.push(esc);
      runStart = i + 1;
    }
  }
  if (runStart < s.length) parts.push(s.substring(runStart));
  parts.push('"');
  return parts.join("");
}

function hexDigit(v: i32): string {
  return String.fromCharCode(v < 10 ? 0x30 + v : 0x61 + v - 10);
}
