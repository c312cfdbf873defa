/**
 * A small regular-expression engine for AssemblyScript (which has no RegExp).
 *
 * Syntax (JavaScript flavour): literals, `.`, classes `[a-z0-9_]` and `[^…]`, escapes
 * `\d \D \w \W \s \S \b \B \n \r \t \f \v \0 \xHH \uHHHH` and escaped punctuation, quantifiers
 * `* + ? {m} {m,} {m,n}` (greedy, or lazy with a trailing `?`), alternation `|`, groups `( )`,
 * non-capturing `(?: )` and named `(?<name> )` groups, anchors `^ $`. Flags: `i` (ASCII
 * case-insensitive), `m` (`^ $` match at line breaks), `s` (`.` matches line breaks too),
 * given as the `flags` argument or as a leading inline group such as `(?i)`.
 * Not supported (a compile error, never a silent mismatch): lookaround, backreferences,
 * Unicode property escapes.
 *
 * Matching is leftmost-first like JavaScript and runs in time linear in
 * `program size × text length` (a backtracker that never revisits a state), so no pattern can
 * blow up on hostile input. Text is UTF-16 as AssemblyScript strings are; `.` and negated
 * classes consume a whole surrogate pair, so a match never splits an emoji.
 */

// ---------------------------------------------------------------- program

const OP_CHAR: i32 = 0;
const OP_CHAR_I: i32 = 1;
const OP_ANY: i32 = 2;
const OP_ANY_NL: i32 = 3;
const OP_CLASS: i32 = 4;
const OP_SPLIT: i32 = 5;
const OP_JMP: i32 = 6;
const OP_SAVE: i32 = 7;
const OP_BOL: i32 = 8;
const OP_EOL: i32 = 9;
const OP_WORDB: i32 = 10;
const OP_NWORDB: i32 = 11;
const OP_MATCH: i32 = 12;

/** Largest count allowed in `{m,n}`. */
const MAX_REPEAT: i32 = 1000;
/** Largest compiled program (instructions). */
const MAX_PROGRAM: i32 = 20000;
/** Deepest group nesting. */
const MAX_DEPTH: i32 = 200;

/** A character class: an ASCII bitmap plus sorted, merged ranges above ASCII. */
class CharClass {
  ascii: StaticArray<u32> = new StaticArray<u32>(4);
  /** Pairs lo, hi (inclusive), code points ≥ 0x80. */
  ranges: i32[] = [];
  negated: bool = false;

  addAscii(c: i32): void {
    unchecked(this.ascii[c >> 5] |= 1 << (c & 31));
  }

  addRange(lo: i32, hi: i32): void {
    for (let c = lo; c <= hi && c < 0x80; c++) this.addAscii(c);
    if (hi >= 0x80) {
      this.ranges.push(lo < 0x80 ? 0x80 : lo);
      this.ranges.push(hi);
    }
  }

  addClass(other: CharClass): void {
    for (let i = 0; i < 4; i++) unchecked(this.ascii[i] |= other.ascii[i]);
    for (let i = 0; i < other.ranges.length; i++) this.ranges.push(other.ranges[i]);
  }

  /** Adds every code point of `other`'s complement (used for \D \W \S inside a class). */
  addComplementOf(other: CharClass): void {
    for (let i = 0; i < 4; i++) unchecked(this.ascii[i] |= ~other.ascii[i]);
    let next = 0x80;
    const r = sortedRanges(other.ranges);
    for (let i = 0; i < r.length; i += 2) {
      if (r[i] > next) {
        this.ranges.push(next);
        this.ranges.push(r[i] - 1);
      }
      if (r[i + 1] + 1 > next) next = r[i + 1] + 1;
    }
    if (next <= 0x10ffff) {
      this.ranges.push(next);
      this.ranges.push(0x10ffff);
    }
  }

  /** Makes ASCII letters match in both cases. */
  foldAscii(): void {
    for (let c = 0x41; c <= 0x5a; c++) {
      if (this.hasAscii(c) || this.hasAscii(c + 32)) {
        this.addAscii(c);
        this.addAscii(c + 32);
      }
    }
  }

  finish(): void {
    this.ranges = sortedRanges(this.ranges);
  }

  @inline hasAscii(c: i32): bool {
    return (unchecked(this.ascii[c >> 5]) & (1 << (c & 31))) != 0;
  }

  /** Whether code point `c` is in the class (before negation). */
  contains(c: i32): bool {
    if (c < 0x80) return this.hasAscii(c);
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (c < unchecked(r[i])) return false;
      if (c <= unchecked(r[i + 1])) return true;
    }
    return false;
  }

  @inline matches(c: i32): bool {
    return this.contains(c) != this.negated;
  }
}

/** Sorts and merges range pairs. */
function sortedRanges(r: i32[]): i32[] {
  const n = r.length >> 1;
  if (n <= 1) return r.slice(0);
  const idx: i32[] = [];
  for (let i = 0; i < n; i++) idx.push(i);
  // insertion sort by lo: classes are small
  for (let i = 1; i < n; i++) {
    const k = idx[i];
    let j = i - 1;
    while (j >= 0 && r[idx[j] * 2] > r[k * 2]) {
      idx[j + 1] = idx[j];
      j--;
    }
    idx[j + 1] = k;
  }
  const out: i32[] = [];
  for (let i = 0; i < n; i++) {
    const lo = r[idx[i] * 2];
    const hi = r[idx[i] * 2 + 1];
    const m = out.length;
    if (m > 0 && lo <= out[m - 1] + 1) {
      if (hi > out[m - 1]) out[m - 1] = hi;
    } else {
      out.push(lo);
      out.push(hi);
    }
  }
  return out;
}

function digitClass(): CharClass {
  const c = new CharClass();
  c.addRange(0x30, 0x39);
  return c;
}

function wordClass(): CharClass {
  const c = new CharClass();
  c.addRange(0x30, 0x39);
  c.addRange(0x41, 0x5a);
  c.addRange(0x61, 0x7a);
  c.addAscii(0x5f);
  return c;
}

/** JavaScript's `\s`: ASCII whitespace plus the Unicode space separators and BOM. */
function spaceClass(): CharClass {
  const c = new CharClass();
  c.addRange(0x09, 0x0d);
  c.addAscii(0x20);
  c.addRange(0xa0, 0xa0);
  c.addRange(0x1680, 0x1680);
  c.addRange(0x2000, 0x200a);
  c.addRange(0x2028, 0x2029);
  c.addRange(0x202f, 0x202f);
  c.addRange(0x205f, 0x205f);
  c.addRange(0x3000, 0x3000);
  c.addRange(0xfeff, 0xfeff);
  c.finish();
  return c;
}

// ---------------------------------------------------------------- syntax tree

const N_EMPTY: i32 = 0;
const N_CHAR: i32 = 1;
const N_ANY: i32 = 2;
const N_CLASS: i32 = 3;
const N_CONCAT: i32 = 4;
const N_ALT: i32 = 5;
const N_GROUP: i32 = 6;
const N_REPEAT: i32 = 7;
const N_ASSERT: i32 = 8;

class Node {
  kind: i32;
  /** N_CHAR: the code unit; N_ASSERT: the opcode; N_GROUP: capture index or -1. */
  value: i32 = 0;
  min: i32 = 0;
  max: i32 = 0;
  greedy: bool = true;
  cls: CharClass | null = null;
  children: Node[] = [];

  constructor(kind: i32) {
    this.kind = kind;
  }
}

class Parser {
  src: string;
  pos: i32 = 0;
  error: string = "";
  errorAt: i32 = 0;
  icase: bool = false;
  multiline: bool = false;
  dotAll: bool = false;
  groups: i32 = 0;
  names: string[] = [];
  nameIndex: i32[] = [];

  constructor(src: string) {
    this.src = src;
  }

  fail(message: string, at: i32 = -1): Node | null {
    if (this.error.length == 0) {
      this.error = message;
      this.errorAt = at >= 0 ? at : this.pos;
    }
    return null;
  }

  @inline more(): bool {
    return this.pos < this.src.length;
  }

  @inline peek(): i32 {
    return this.pos < this.src.length ? this.src.charCodeAt(this.pos) : -1;
  }

  @inline peekAt(k: i32): i32 {
    const p = this.pos + k;
    return p < this.src.length ? this.src.charCodeAt(p) : -1;
  }

  setFlag(f: i32): bool {
    if (f == 0x69) this.icase = true;
    else if (f == 0x6d) this.multiline = true;
    else if (f == 0x73) this.dotAll = true;
    else return false;
    return true;
  }

  /** Leading inline flag groups: `(?i)`, `(?ms)`. */
  inlineFlags(): bool {
    while (this.peek() == 0x28 && this.peekAt(1) == 0x3f) {
      let k = 2;
      let c = this.peekAt(k);
      if (!(c == 0x69 || c == 0x6d || c == 0x73)) return true; // not a flag group
      while (c == 0x69 || c == 0x6d || c == 0x73) c = this.peekAt(++k);
      if (c != 0x29) return true; // e.g. (?i:…) handled as a group error later
      for (let j = 2; j < k; j++) this.setFlag(this.peekAt(j));
      this.pos += k + 1;
    }
    return true;
  }

  parse(): Node | null {
    this.inlineFlags();
    const n = this.alternation(0);
    if (n === null) return null;
    if (this.more()) {
      if (this.peek() == 0x29) return this.fail("unmatched ')'");
      return this.fail("unexpected character");
    }
    return n;
  }

  alternation(depth: i32): Node | null {
    if (depth > MAX_DEPTH) return this.fail("groups nested too deeply");
    const first = this.sequence(depth);
    if (first === null) return null;
    if (this.peek() != 0x7c) return first;
    const alt = new Node(N_ALT);
    alt.children.push(first);
    while (this.peek() == 0x7c) {
      this.pos++;
      const next = this.sequence(depth);
      if (next === null) return null;
      alt.children.push(next);
    }
    return alt;
  }

  sequence(depth: i32): Node | null {
    const seq = new Node(N_CONCAT);
    while (this.more()) {
      const c = this.peek();
      if (c == 0x7c || c == 0x29) break;
      const atomStart = this.pos;
      const atom = this.atom(depth);
      if (atom === null) return null;
      const q = this.quantifier(atom, atomStart);
      if (q === null) return null;
      seq.children.push(q);
    }
    if (seq.children.length == 0) return new Node(N_EMPTY);
    if (seq.children.length == 1) return seq.children[0];
    return seq;
  }

  /** Parses `{m}`, `{m,}`, `{m,n}` at pos; returns false (pos unchanged) when it is not one. */
  braces(out: i32[]): bool {
    let p = this.pos + 1;
    const s = this.src;
    let m = 0;
    let digits = 0;
    while (p < s.length && isDigit(s.charCodeAt(p))) {
      if (m <= 100000) m = m * 10 + (s.charCodeAt(p) - 0x30);
      p++;
      digits++;
    }
    if (digits == 0) return false;
    let n = m;
    if (p < s.length && s.charCodeAt(p) == 0x2c) {
      p++;
      n = -1;
      let d2 = 0;
      let v = 0;
      while (p < s.length && isDigit(s.charCodeAt(p))) {
        if (v <= 100000) v = v * 10 + (s.charCodeAt(p) - 0x30);
        p++;
        d2++;
      }
      if (d2 > 0) n = v;
    }
    if (p >= s.length || s.charCodeAt(p) != 0x7d) return false;
    out.push(m);
    out.push(n);
    this.pos = p + 1;
    return true;
  }

  quantifier(atom: Node, atomStart: i32): Node | null {
    const c = this.peek();
    let min = 0;
    let max = 0;
    const start = this.pos;
    if (c == 0x2a) {
      min = 0;
      max = -1;
      this.pos++;
    } else if (c == 0x2b) {
      min = 1;
      max = -1;
      this.pos++;
    } else if (c == 0x3f) {
      min = 0;
      max = 1;
      this.pos++;
    } else if (c == 0x7b) {
      const mn: i32[] = [];
      if (!this.braces(mn)) return atom; // a literal '{' follows
      min = mn[0];
      max = mn[1];
      if (max >= 0 && min > max) return this.fail("numbers out of order in {} quantifier", start);
      if (min > MAX_REPEAT || max > MAX_REPEAT) {
        return this.fail("repetition count above " + MAX_REPEAT.toString(), start);
      }
    } else {
      return atom;
    }
    if (atom.kind == N_ASSERT || atom.kind == N_EMPTY) return this.fail("nothing to repeat", start);
    const rep = new Node(N_REPEAT);
    rep.min = min;
    rep.max = max;
    if (this.peek() == 0x3f) {
      rep.greedy = false;
      this.pos++;
    }
    rep.children.push(atom);
    const nc = this.peek();
    if (nc == 0x2a || nc == 0x2b || nc == 0x3f) return this.fail("nothing to repeat");
    if (nc == 0x7b) {
      const probe: i32[] = [];
      const save = this.pos;
      if (this.braces(probe)) {
        this.pos = save;
        return this.fail("nothing to repeat");
      }
    }
    return rep;
  }

  atom(depth: i32): Node | null {
    const c = this.peek();
    const start = this.pos;
    if (c == 0x28) return this.group(depth);
    if (c == 0x5b) return this.charClass();
    if (c == 0x2e) {
      this.pos++;
      return new Node(N_ANY);
    }
    if (c == 0x5e) {
      this.pos++;
      const n = new Node(N_ASSERT);
      n.value = OP_BOL;
      return n;
    }
    if (c == 0x24) {
      this.pos++;
      const n = new Node(N_ASSERT);
      n.value = OP_EOL;
      return n;
    }
    if (c == 0x2a || c == 0x2b || c == 0x3f) return this.fail("nothing to repeat");
    if (c == 0x7b) {
      const probe: i32[] = [];
      if (this.braces(probe)) {
        this.pos = start;
        return this.fail("nothing to repeat");
      }
      this.pos++;
      return charNode(c);
    }
    if (c == 0x5c) return this.escape();
    this.pos++;
    if (c >= 0xd800 && c <= 0xdbff) {
      // a literal astral character is one atom: a quantifier repeats the whole pair
      const d = this.peek();
      if (d >= 0xdc00 && d <= 0xdfff) {
        this.pos++;
        const pair = new Node(N_CONCAT);
        pair.children.push(charNode(c));
        pair.children.push(charNode(d));
        return pair;
      }
    }
    return charNode(c);
  }

  group(depth: i32): Node | null {
    const open = this.pos;
    this.pos++; // (
    let capture = -1;
    if (this.peek() == 0x3f) {
      const k = this.peekAt(1);
      if (k == 0x3a) {
        this.pos += 2;
      } else if (k == 0x3d || k == 0x21) {
        return this.fail("lookahead is not supported", open);
      } else if (k == 0x3c && (this.peekAt(2) == 0x3d || this.peekAt(2) == 0x21)) {
        return this.fail("lookbehind is not supported", open);
      } else if (k == 0x3c || (k == 0x50 && this.peekAt(2) == 0x3c)) {
        this.pos += k == 0x50 ? 3 : 2;
        const nameStart = this.pos;
        while (this.more() && isWordChar(this.peek())) this.pos++;
        if (this.pos == nameStart || this.peek() != 0x3e) return this.fail("invalid group name", nameStart);
        const name = this.src.substring(nameStart, this.pos);
        for (let i = 0; i < this.names.length; i++) {
          if (this.names[i] == name) return this.fail("duplicate group name", nameStart);
        }
        this.pos++; // >
        capture = ++this.groups;
        this.names.push(name);
        this.nameIndex.push(capture);
      } else {
        return this.fail("unsupported group syntax (inline flags are allowed only at the start)", open);
      }
    } else {
      capture = ++this.groups;
    }
    const inner = this.alternation(depth + 1);
    if (inner === null) return null;
    if (this.peek() != 0x29) return this.fail("missing ')'", open);
    this.pos++;
    const g = new Node(N_GROUP);
    g.value = capture;
    g.children.push(inner);
    return g;
  }

  /** An escape outside a class. */
  escape(): Node | null {
    const start = this.pos;
    this.pos++; // backslash
    if (!this.more()) return this.fail("pattern ends with a backslash", start);
    const e = this.peek();
    if (e == 0x62 || e == 0x42) {
      this.pos++;
      const n = new Node(N_ASSERT);
      n.value = e == 0x62 ? OP_WORDB : OP_NWORDB;
      return n;
    }
    const shorthand = this.shorthand(e);
    if (shorthand !== null) {
      this.pos++;
      const n = new Node(N_CLASS);
      n.cls = shorthand;
      return n;
    }
    if (e >= 0x31 && e <= 0x39) return this.fail("backreferences are not supported", start);
    if (e == 0x6b && this.peekAt(1) == 0x3c) return this.fail("backreferences are not supported", start);
    if (e == 0x70 || e == 0x50) return this.fail("Unicode property escapes are not supported", start);
    const ch = this.escapedChar(false);
    if (ch < 0) return null;
    return charNode(ch);
  }

  /** `\d \D \w \W \s \S` as a class (pos at the letter), else null. */
  shorthand(e: i32): CharClass | null {
    let base: CharClass | null = null;
    if (e == 0x64 || e == 0x44) base = digitClass();
    else if (e == 0x77 || e == 0x57) base = wordClass();
    else if (e == 0x73 || e == 0x53) base = spaceClass();
    else return null;
    if (e == 0x44 || e == 0x57 || e == 0x53) {
      const neg = new CharClass();
      neg.addComplementOf(base);
      neg.finish();
      return neg;
    }
    base.finish();
    return base;
  }

  /** The character of a simple escape (pos at the char after the backslash); -1 on error. */
  escapedChar(inClass: bool): i32 {
    const start = this.pos - 1;
    const e = this.peek();
    this.pos++;
    if (e == 0x6e) return 0x0a;
    if (e == 0x72) return 0x0d;
    if (e == 0x74) return 0x09;
    if (e == 0x66) return 0x0c;
    if (e == 0x76) return 0x0b;
    if (e == 0x30 && !isDigit(this.peek())) return 0;
    if (inClass && e == 0x62) return 0x08;
    if (e == 0x78) {
      const h1 = hexVal(this.peek());
      const h2 = hexVal(this.peekAt(1));
      if (h1 < 0 || h2 < 0) {
        this.fail("invalid \\x escape", start);
        return -1;
      }
      this.pos += 2;
      return (h1 << 4) | h2;
    }
    if (e == 0x75) {
      let v = 0;
      for (let k = 0; k < 4; k++) {
        const h = hexVal(this.peekAt(k));
        if (h < 0) {
          this.fail("invalid \\u escape", start);
          return -1;
        }
        v = (v << 4) | h;
      }
      this.pos += 4;
      return v;
    }
    if (e == 0x63) {
      const l = this.peek();
      if ((l >= 0x41 && l <= 0x5a) || (l >= 0x61 && l <= 0x7a)) {
        this.pos++;
        return l & 31;
      }
      this.fail("invalid \\c escape", start);
      return -1;
    }
    if (isWordChar(e)) {
      this.fail("unknown escape \\" + String.fromCharCode(e), start);
      return -1;
    }
    return e;
  }

  charClass(): Node | null {
    const open = this.pos;
    this.pos++; // [
    const cls = new CharClass();
    if (this.peek() == 0x5e) {
      cls.negated = true;
      this.pos++;
    }
    let first = true;
    while (true) {
      if (!this.more()) return this.fail("missing ']'", open);
      let c = this.peek();
      if (c == 0x5d && !first) {
        this.pos++;
        break;
      }
      if (c == 0x5d && first) {
        // `[]` matches nothing and `[^]` anything, as in JavaScript
        this.pos++;
        break;
      }
      first = false;
      const lo = this.classAtom(cls);
      if (lo == -2) return null;
      if (lo == -1) continue; // a shorthand was added
      // range?
      if (this.peek() == 0x2d && this.peekAt(1) != 0x5d && this.peekAt(1) >= 0) {
        const dash = this.pos;
        this.pos++;
        const hi = this.classAtom(cls);
        if (hi == -2) return null;
        if (hi == -1) return this.fail("invalid class range", dash);
        if (hi < lo) return this.fail("class range out of order", dash);
        cls.addRange(lo, hi);
      } else {
        cls.addRange(lo, lo);
      }
    }
    if (this.icase) cls.foldAscii();
    cls.finish();
    const n = new Node(N_CLASS);
    n.cls = cls;
    return n;
  }

  /** One class member: returns its code unit, -1 after adding a shorthand class, -2 on error. */
  classAtom(cls: CharClass): i32 {
    const c = this.peek();
    if (c == 0x5c) {
      this.pos++;
      if (!this.more()) {
        this.fail("pattern ends with a backslash");
        return -2;
      }
      const e = this.peek();
      const sh = this.shorthand(e);
      if (sh !== null) {
        this.pos++;
        cls.addClass(sh);
        return -1;
      }
      if (e >= 0x31 && e <= 0x39) {
        this.fail("backreferences are not supported", this.pos - 1);
        return -2;
      }
      const ch = this.escapedChar(true);
      return ch < 0 ? -2 : ch;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = this.peekAt(1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        this.fail("characters outside the Basic Multilingual Plane are not supported in classes");
        return -2;
      }
    }
    this.pos++;
    return c;
  }
}

function charNode(c: i32): Node {
  const n = new Node(N_CHAR);
  n.value = c;
  return n;
}

@inline function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

@inline function isWordChar(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
}

function hexVal(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

@inline function isLineBreak(c: i32): bool {
  return c == 0x0a || c == 0x0d || c == 0x2028 || c == 0x2029;
}

// ---------------------------------------------------------------- compiler

class Compiler {
  ops: i32[] = [];
  args: i32[] = [];
  args2: i32[] = [];
  classes: CharClass[] = [];
  icase: bool;
  multiline: bool;
  dotAll: bool;
  tooBig: bool = false;

  constructor(icase: bool, multiline: bool, dotAll: bool) {
    this.icase = icase;
    this.multiline = multiline;
    this.dotAll = dotAll;
  }

  emit(op: i32, a: i32 = 0, b: i32 = 0): i32 {
    const pc = this.ops.length;
    if (pc >= MAX_PROGRAM) {
      this.tooBig = true;
      return pc;
    }
    this.ops.push(op);
    this.args.push(a);
    this.args2.push(b);
    return pc;
  }

  @inline pc(): i32 {
    return this.ops.length;
  }

  patch(at: i32, a: i32, b: i32): void {
    if (at < this.args.length) {
      this.args[at] = a;
      this.args2[at] = b;
    }
  }

  node(n: Node): void {
    if (this.tooBig) return;
    switch (n.kind) {
      case N_EMPTY:
        break;
      case N_CHAR: {
        const c = n.value;
        if (this.icase && ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) this.emit(OP_CHAR_I, c | 0x20);
        else this.emit(OP_CHAR, c);
        break;
      }
      case N_ANY:
        this.emit(this.dotAll ? OP_ANY_NL : OP_ANY);
        break;
      case N_CLASS: {
        const cls = n.cls!;
        if (this.icase) cls.foldAscii();
        this.classes.push(cls);
        this.emit(OP_CLASS, this.classes.length - 1);
        break;
      }
      case N_ASSERT:
        this.emit(n.value, n.value == OP_BOL || n.value == OP_EOL ? (this.multiline ? 1 : 0) : 0);
        break;
      case N_CONCAT:
        for (let i = 0; i < n.children.length; i++) this.node(n.children[i]);
        break;
      case N_GROUP: {
        if (n.value > 0) this.emit(OP_SAVE, n.value * 2);
        this.node(n.children[0]);
        if (n.value > 0) this.emit(OP_SAVE, n.value * 2 + 1);
        break;
      }
      case N_ALT: {
        // SPLIT L1, next; L1: a; JMP end; next: SPLIT L2, next2; …; last
        const jumps: i32[] = [];
        const count = n.children.length;
        for (let i = 0; i < count; i++) {
          if (i < count - 1) {
            const split = this.emit(OP_SPLIT);
            this.node(n.children[i]);
            jumps.push(this.emit(OP_JMP));
            this.patch(split, split + 1, this.pc());
          } else {
            this.node(n.children[i]);
          }
        }
        const end = this.pc();
        for (let i = 0; i < jumps.length; i++) this.patch(jumps[i], end, 0);
        break;
      }
      case N_REPEAT:
        this.repeat(n);
        break;
    }
  }

  repeat(n: Node): void {
    const child = n.children[0];
    const min = n.min;
    const max = n.max;
    for (let i = 0; i < min; i++) this.node(child);
    if (max == -1) {
      // x*: L: SPLIT body, end; body: x; JMP L; end:
      const loop = this.emit(OP_SPLIT);
      this.node(child);
      this.emit(OP_JMP, loop);
      const end = this.pc();
      if (n.greedy) this.patch(loop, loop + 1, end);
      else this.patch(loop, end, loop + 1);
      return;
    }
    // (max - min) nested optionals: SPLIT body, end; body: x; SPLIT body2, end; …
    const splits: i32[] = [];
    for (let i = min; i < max; i++) {
      splits.push(this.emit(OP_SPLIT));
      this.node(child);
    }
    const end = this.pc();
    for (let i = 0; i < splits.length; i++) {
      const s = splits[i];
      if (n.greedy) this.patch(s, s + 1, end);
      else this.patch(s, end, s + 1);
    }
  }
}

// ---------------------------------------------------------------- matcher state (shared)

// One module instance runs one call at a time, so the matcher's scratch space is shared by
// every Regex and reused across calls.
//
// `visited` has one bit per (position, instruction) state of the current search, position-major.
// Only the words a search dirtied are cleared before the next one (listed in `dirty`), so a
// search costs what it explores, not the size of the bitmap (which matters when a long text is
// searched again after every match).
let visited = new StaticArray<u32>(0);
let dirty = new StaticArray<i32>(256);
let dirtyCount = 0;
let stack = new StaticArray<i32>(256);

function resetVisited(words: i32): void {
  if (visited.length < words) {
    let n = visited.length < 64 ? 64 : visited.length;
    while (n < words) n <<= 1;
    visited = new StaticArray<u32>(n); // zeroed
    dirtyCount = 0;
    return;
  }
  for (let i = 0; i < dirtyCount; i++) unchecked((visited[unchecked(dirty[i])] = 0));
  dirtyCount = 0;
}

function markDirty(word: i32): void {
  if (dirtyCount == dirty.length) {
    const bigger = new StaticArray<i32>(dirty.length * 2);
    memory.copy(changetype<usize>(bigger), changetype<usize>(dirty), <usize>dirtyCount << 2);
    dirty = bigger;
  }
  unchecked((dirty[dirtyCount++] = word));
}

// ---------------------------------------------------------------- public API

/** One match: where it is and what its groups captured. */
export class RegexMatch {
  /** The searched text. */
  input: string;
  /** Pairs start, end per group (group 0 is the whole match); -1 when a group did not take part. */
  slots: StaticArray<i32>;
  private names: string[];
  private nameIndex: i32[];

  constructor(input: string, slots: StaticArray<i32>, names: string[], nameIndex: i32[]) {
    this.input = input;
    this.slots = slots;
    this.names = names;
    this.nameIndex = nameIndex;
  }

  /** Start offset (UTF-16 code units) of the match. */
  get start(): i32 {
    return unchecked(this.slots[0]);
  }

  /** End offset (exclusive) of the match. */
  get end(): i32 {
    return unchecked(this.slots[1]);
  }

  /** The matched text. */
  get text(): string {
    return this.input.substring(this.start, this.end);
  }

  /** Number of capturing groups in the pattern. */
  get groupCount(): i32 {
    return (this.slots.length >> 1) - 1;
  }

  /** Start of group `i` (0 = whole match), or -1. */
  groupStart(i: i32): i32 {
    if (i < 0 || i > this.groupCount) return -1;
    return this.slots[i * 2];
  }

  /** End of group `i`, or -1. */
  groupEnd(i: i32): i32 {
    if (i < 0 || i > this.groupCount) return -1;
    return this.slots[i * 2 + 1];
  }

  /** Text of group `i` (0 = whole match), or null when it did not take part. */
  group(i: i32): string | null {
    const s = this.groupStart(i);
    const e = this.groupEnd(i);
    if (s < 0 || e < 0) return null;
    return this.input.substring(s, e);
  }

  /** Index of the named group `name`, or -1. */
  groupIndex(name: string): i32 {
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i] == name) return this.nameIndex[i];
    }
    return -1;
  }

  /** Text of the named group `name`, or null. */
  named(name: string): string | null {
    const i = this.groupIndex(name);
    return i < 0 ? null : this.group(i);
  }
}

/** A compiled regular expression. Build with {@link Regex.compile}; check {@link Regex.ok}. */
export class Regex {
  /** The pattern as given. */
  readonly source: string;
  /** The flags as given. */
  readonly flags: string;
  /** Empty when the pattern compiled; otherwise what is wrong and where. */
  error: string = "";

  private ops: StaticArray<i32> = new StaticArray<i32>(0);
  private args: StaticArray<i32> = new StaticArray<i32>(0);
  private args2: StaticArray<i32> = new StaticArray<i32>(0);
  private classes: CharClass[] = [];
  private groups: i32 = 0;
  private names: string[] = [];
  private nameIndex: i32[] = [];
  /** First-character filter: ASCII bitmap + whether non-ASCII can start a match. */
  private first: StaticArray<u32> = new StaticArray<u32>(4);
  private firstNonAscii: bool = true;
  private usePrefilter: bool = false;

  private constructor(source: string, flags: string) {
    this.source = source;
    this.flags = flags;
  }

  /**
   * Compiles `pattern` with `flags` (any of `i`, `m`, `s`). Never traps: on a syntax error the
   * result has `ok == false` and `error` says why.
   */
  static compile(pattern: string, flags: string = ""): Regex {
    const re = new Regex(pattern, flags);
    const p = new Parser(pattern);
    for (let i = 0; i < flags.length; i++) {
      if (!p.setFlag(flags.charCodeAt(i))) {
        re.error = 'invalid regex flags "' + flags + '": unknown flag "' + flags.charAt(i) + '"';
        return re;
      }
    }
    const tree = p.parse();
    if (tree === null) {
      re.error = "invalid regex /" + clip(pattern) + "/: " + p.error + " at offset " + p.errorAt.toString();
      return re;
    }
    const c = new Compiler(p.icase, p.multiline, p.dotAll);
    c.emit(OP_SAVE, 0);
    c.node(tree);
    c.emit(OP_SAVE, 1);
    c.emit(OP_MATCH);
    if (c.tooBig) {
      re.error = "invalid regex /" + clip(pattern) + "/: pattern too large (over " + MAX_PROGRAM.toString() + " instructions)";
      return re;
    }
    const n = c.ops.length;
    re.ops = new StaticArray<i32>(n);
    re.args = new StaticArray<i32>(n);
    re.args2 = new StaticArray<i32>(n);
    for (let i = 0; i < n; i++) {
      unchecked((re.ops[i] = c.ops[i]));
      unchecked((re.args[i] = c.args[i]));
      unchecked((re.args2[i] = c.args2[i]));
    }
    re.classes = c.classes;
    re.groups = p.groups;
    re.names = p.names;
    re.nameIndex = p.nameIndex;
    re.computeFirst();
    return re;
  }

  /** Whether the pattern compiled. */
  get ok(): bool {
    return this.error.length == 0;
  }

  /** Number of capturing groups. */
  get groupCount(): i32 {
    return this.groups;
  }

  /** Whether the pattern matches anywhere in `text`. */
  test(text: string): bool {
    return this.exec(text) !== null;
  }

  /** The leftmost match at or after `from`, or null. */
  exec(text: string, from: i32 = 0): RegexMatch | null {
    if (!this.ok || from < 0 || from > text.length) return null;
    const slots = new StaticArray<i32>((this.groups + 1) * 2);
    if (!this.search(text, from, slots)) return null;
    return new RegexMatch(text, slots, this.names, this.nameIndex);
  }

  /** Every non-overlapping match, left to right. */
  matchAll(text: string): RegexMatch[] {
    const out: RegexMatch[] = [];
    let from = 0;
    while (from <= text.length) {
      const m = this.exec(text, from);
      if (m === null) break;
      out.push(m);
      from = m.end > m.start ? m.end : nextPosition(text, m.end);
    }
    return out;
  }

  /**
   * Replaces every match with `replacement`, expanding `$&` (the match), `$1`…`$99`,
   * `$<name>`, `` $` `` (text before), `$'` (text after) and `$$` (a dollar sign).
   */
  replace(text: string, replacement: string): string {
    const parts: string[] = [];
    let last = 0;
    let from = 0;
    let any = false;
    while (from <= text.length) {
      const m = this.exec(text, from);
      if (m === null) break;
      any = true;
      parts.push(text.substring(last, m.start));
      parts.push(expand(replacement, m));
      last = m.end;
      from = m.end > m.start ? m.end : nextPosition(text, m.end);
    }
    if (!any) return text;
    parts.push(text.substring(last));
    return parts.join("");
  }

  /** Replaces every match with what `fn` returns for it. */
  replaceWith(text: string, fn: (m: RegexMatch) => string): string {
    const parts: string[] = [];
    let last = 0;
    let from = 0;
    let any = false;
    while (from <= text.length) {
      const m = this.exec(text, from);
      if (m === null) break;
      any = true;
      parts.push(text.substring(last, m.start));
      parts.push(fn(m));
      last = m.end;
      from = m.end > m.start ? m.end : nextPosition(text, m.end);
    }
    if (!any) return text;
    parts.push(text.substring(last));
    return parts.join("");
  }

  // ---- internals

  private computeFirst(): void {
    // Walk the epsilon closure of pc 0 and collect the instructions that consume a character.
    const n = this.ops.length;
    const seen = new StaticArray<bool>(n);
    const work: i32[] = [0];
    let nullable = false;
    let usable = true;
    const first = this.first;
    let nonAscii = false;
    while (work.length > 0) {
      const pc = work.pop();
      if (pc >= n || seen[pc]) continue;
      seen[pc] = true;
      const op = this.ops[pc];
      const a = this.args[pc];
      if (op == OP_CHAR) {
        if (a < 0x80) unchecked((first[a >> 5] |= 1 << (a & 31)));
        else nonAscii = true;
      } else if (op == OP_CHAR_I) {
        unchecked((first[a >> 5] |= 1 << (a & 31)));
        const up = a & ~0x20;
        unchecked((first[up >> 5] |= 1 << (up & 31)));
      } else if (op == OP_ANY || op == OP_ANY_NL) {
        usable = false;
      } else if (op == OP_CLASS) {
        const cls = this.classes[a];
        for (let c = 0; c < 0x80; c++) {
          if (cls.matches(c)) unchecked((first[c >> 5] |= 1 << (c & 31)));
        }
        if (cls.negated || cls.ranges.length > 0) nonAscii = true;
      } else if (op == OP_SPLIT) {
        work.push(this.args2[pc]);
        work.push(a);
      } else if (op == OP_JMP) {
        work.push(a);
      } else if (op == OP_MATCH) {
        nullable = true;
      } else {
        work.push(pc + 1); // SAVE and assertions do not consume
      }
    }
    this.firstNonAscii = nonAscii;
    this.usePrefilter = usable && !nullable;
  }

  @inline private canStart(c: i32): bool {
    if (c < 0x80) return (unchecked(this.first[c >> 5]) & (1 << (c & 31))) != 0;
    return this.firstNonAscii;
  }

  /** Unanchored search from `from`; fills `slots` and returns true on a match. */
  private search(text: string, from: i32, slots: StaticArray<i32>): bool {
    const len = text.length;
    const nInst = this.ops.length;
    const bits = <i64>nInst * <i64>(len - from + 1);
    resetVisited(<i32>((bits + 31) >> 5));
    const base = changetype<usize>(text);
    for (let s = from; s <= len; s++) {
      if (this.usePrefilter) {
        while (s < len && !this.canStart(<i32>load<u16>(base + (<usize>s << 1)))) s++;
        if (s >= len) return false;
      }
      if (s > 0 && s < len) {
        // never start inside a surrogate pair
        const c = <i32>load<u16>(base + (<usize>s << 1));
        const p = <i32>load<u16>(base + (<usize>(s - 1) << 1));
        if (c >= 0xdc00 && c <= 0xdfff && p >= 0xd800 && p <= 0xdbff) continue;
      }
      for (let i = 0; i < slots.length; i++) unchecked((slots[i] = -1));
      if (this.run(text, s, from, slots)) return true;
    }
    return false;
  }

  private run(text: string, start: i32, from: i32, slots: StaticArray<i32>): bool {
    const len = text.length;
    const nInst = <usize>this.ops.length;
    const base = changetype<usize>(text);
    const ops = this.ops;
    const args = this.args;
    const args2 = this.args2;
    let sp = 0;
    // push(0, start)
    sp = push(sp, 0, start);
    while (sp > 0) {
      sp -= 2;
      let pc = unchecked(stack[sp]);
      let pos = unchecked(stack[sp + 1]);
      if (pc < 0) {
        // restore a capture slot on backtrack
        unchecked((slots[-pc - 1] = pos));
        continue;
      }
      while (true) {
        const bit = <usize>(pos - from) * nInst + <usize>pc;
        const wordPtr = changetype<usize>(visited) + ((bit >> 5) << 2);
        const word = load<u32>(wordPtr);
        const mask: u32 = 1 << <u32>(bit & 31);
        if (word & mask) break;
        if (word == 0) markDirty(<i32>(bit >> 5));
        store<u32>(wordPtr, word | mask);
        const op = unchecked(ops[pc]);
        if (op == OP_CHAR) {
          if (pos < len && <i32>load<u16>(base + (<usize>pos << 1)) == unchecked(args[pc])) {
            pc++;
            pos++;
            continue;
          }
          break;
        } else if (op == OP_CHAR_I) {
          if (pos < len) {
            let c = <i32>load<u16>(base + (<usize>pos << 1));
            if (c >= 0x41 && c <= 0x5a) c |= 0x20;
            if (c == unchecked(args[pc])) {
              pc++;
              pos++;
              continue;
            }
          }
          break;
        } else if (op == OP_CLASS) {
          if (pos >= len) break;
          let c = <i32>load<u16>(base + (<usize>pos << 1));
          let adv = 1;
          if (c >= 0xd800 && c <= 0xdbff && pos + 1 < len) {
            const d = <i32>load<u16>(base + (<usize>(pos + 1) << 1));
            if (d >= 0xdc00 && d <= 0xdfff) {
              c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
              adv = 2;
            }
          }
          if (!unchecked(this.classes[unchecked(args[pc])]).matches(c)) break;
          pc++;
          pos += adv;
          continue;
        } else if (op == OP_ANY || op == OP_ANY_NL) {
          if (pos >= len) break;
          const c = <i32>load<u16>(base + (<usize>pos << 1));
          if (op == OP_ANY && isLineBreak(c)) break;
          pos++;
          if (c >= 0xd800 && c <= 0xdbff && pos < len) {
            const d = <i32>load<u16>(base + (<usize>pos << 1));
            if (d >= 0xdc00 && d <= 0xdfff) pos++;
          }
          pc++;
          continue;
        } else if (op == OP_SPLIT) {
          sp = push(sp, unchecked(args2[pc]), pos);
          pc = unchecked(args[pc]);
          continue;
        } else if (op == OP_JMP) {
          pc = unchecked(args[pc]);
          continue;
        } else if (op == OP_SAVE) {
          const slot = unchecked(args[pc]);
          sp = push(sp, -slot - 1, unchecked(slots[slot]));
          unchecked((slots[slot] = pos));
          pc++;
          continue;
        } else if (op == OP_BOL) {
          if (pos == 0 || (unchecked(args[pc]) != 0 && isLineBreak(<i32>load<u16>(base + (<usize>(pos - 1) << 1))))) {
            pc++;
            continue;
          }
          break;
        } else if (op == OP_EOL) {
          if (pos == len || (unchecked(args[pc]) != 0 && isLineBreak(<i32>load<u16>(base + (<usize>pos << 1))))) {
            pc++;
            continue;
          }
          break;
        } else if (op == OP_WORDB || op == OP_NWORDB) {
          const before = pos > 0 && isWordChar(<i32>load<u16>(base + (<usize>(pos - 1) << 1)));
          const after = pos < len && isWordChar(<i32>load<u16>(base + (<usize>pos << 1)));
          if ((before != after) == (op == OP_WORDB)) {
            pc++;
            continue;
          }
          break;
        } else {
          // OP_MATCH
          return true;
        }
      }
    }
    return false;
  }
}

/** Pushes a (pc, pos) job onto the shared stack, growing it; returns the new stack pointer. */
function push(sp: i32, pc: i32, pos: i32): i32 {
  if (sp + 2 > stack.length) {
    const bigger = new StaticArray<i32>(stack.length * 2);
    memory.copy(changetype<usize>(bigger), changetype<usize>(stack), <usize>sp << 2);
    stack = bigger;
  }
  unchecked((stack[sp] = pc));
  unchecked((stack[sp + 1] = pos));
  return sp + 2;
}

/** The position after `pos`, stepping over a whole surrogate pair. */
function nextPosition(text: string, pos: i32): i32 {
  if (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c >= 0xd800 && c <= 0xdbff && pos + 1 < text.length) {
      const d = text.charCodeAt(pos + 1);
      if (d >= 0xdc00 && d <= 0xdfff) return pos + 2;
    }
  }
  return pos + 1;
}

/** Expands `$…` references in a replacement string. */
function expand(replacement: string, m: RegexMatch): string {
  if (replacement.indexOf("$") < 0) return replacement;
  const parts: string[] = [];
  let last = 0;
  const n = replacement.length;
  for (let i = 0; i < n; i++) {
    if (replacement.charCodeAt(i) != 0x24 || i + 1 >= n) continue;
    const c = replacement.charCodeAt(i + 1);
    let sub: string | null = null;
    let used = 0;
    if (c == 0x24) {
      sub = "$";
      used = 2;
    } else if (c == 0x26) {
      sub = m.text;
      used = 2;
    } else if (c == 0x60) {
      sub = m.input.substring(0, m.start);
      used = 2;
    } else if (c == 0x27) {
      sub = m.input.substring(m.end);
      used = 2;
    } else if (isDigit(c)) {
      let g = c - 0x30;
      used = 2;
      if (i + 2 < n && isDigit(replacement.charCodeAt(i + 2))) {
        const g2 = g * 10 + (replacement.charCodeAt(i + 2) - 0x30);
        if (g2 >= 1 && g2 <= m.groupCount) {
          g = g2;
          used = 3;
        }
      }
      if (g >= 1 && g <= m.groupCount) {
        const t = m.group(g);
        sub = t === null ? "" : t;
      } else {
        used = 0;
      }
    } else if (c == 0x3c) {
      const close = replacement.indexOf(">", i + 2);
      if (close > 0) {
        const gi = m.groupIndex(replacement.substring(i + 2, close));
        if (gi >= 0) {
          const t = m.group(gi);
          sub = t === null ? "" : t;
          used = close - i + 1;
        }
      }
    }
    if (used > 0 && sub !== null) {
      parts.push(replacement.substring(last, i));
      parts.push(sub);
      last = i + used;
      i += used - 1;
    }
  }
  parts.push(replacement.substring(last));
  return parts.join("");
}

function clip(s: string): string {
  return s.length <= 120 ? s : s.substring(0, 117) + "...";
}

/** `s` with every regex metacharacter escaped, to match it literally. */
export function escapeRegex(s: string): string {
  const parts: string[] = [];
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // \ ^ $ . | ? * + ( ) [ ] { } /
    if (
      c == 0x5c || c == 0x5e || c == 0x24 || c == 0x2e || c == 0x7c || c == 0x3f || c == 0x2a ||
      c == 0x2b || c == 0x28 || c == 0x29 || c == 0x5b || c == 0x5d || c == 0x7b || c == 0x7d || c == 0x2f
    ) {
      parts.push(s.substring(last, i));
      parts.push("\\");
      last = i;
    }
  }
  parts.push(s.substring(last));
  return parts.join("");
}
