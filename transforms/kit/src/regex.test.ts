// The kit's regex engine (assembly/regex.ts), compiled to wasm and driven through Extism.
// Results are compared with JavaScript's RegExp where the syntax overlaps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransformHandle } from '../testing.js';
import { openHarness } from './harness.fixture.js';

interface Case {
  p: string;
  f?: string;
  t?: string;
  op?: 'exec' | 'all' | 'replace' | 'test' | 'named';
  r?: string;
  from?: number;
}

type Result = { error: string } | { m: number[] | null } | { all: number[][] } | { out: string } | { test: boolean } | { named: string | null };

let regex: TransformHandle;
let glob: TransformHandle;
let escape: TransformHandle;
let replaceAll: TransformHandle;

beforeAll(async () => {
  regex = await openHarness('regex');
  glob = await openHarness('glob');
  escape = await openHarness('escape');
  replaceAll = await openHarness('replace_all');
});

afterAll(async () => {
  await Promise.all([regex?.close(), glob?.close(), escape?.close(), replaceAll?.close()]);
});

async function run(cases: Case[]): Promise<Result[]> {
  return JSON.parse(await regex.callRaw(cases)) as Result[];
}

async function one(c: Case): Promise<Result> {
  return (await run([c]))[0]!;
}

/** JavaScript's answer as slots [start, end, g1start, g1end, …] (-1 for unset groups). */
/** `u` (code-point mode) only where astral characters appear: it also makes the syntax stricter. */
function jsFlags(p: string, f: string, t: string): string {
  return /[\ud800-\udfff]/.test(p + t) ? `${f}dgu` : `${f}dg`;
}

function jsExec(p: string, f: string, t: string, from = 0): number[] | null {
  const re = new RegExp(p, jsFlags(p, f, t));
  re.lastIndex = from;
  const m = re.exec(t);
  if (!m) return null;
  const slots: number[] = [];
  for (const pair of m.indices!) {
    if (pair) slots.push(pair[0], pair[1]);
    else slots.push(-1, -1);
  }
  return slots;
}

function jsAll(p: string, f: string, t: string): number[][] {
  return [...t.matchAll(new RegExp(p, jsFlags(p, f, t)))].map((m) => m.indices!.flatMap((pair) => (pair ? [pair[0], pair[1]] : [-1, -1])));
}

describe('regex: syntax and semantics', () => {
  it('matches like JavaScript on a table of patterns', async () => {
    const table: [string, string, string][] = [
      ['abc', '', 'xxabcxx'],
      ['a.c', '', 'a-c'],
      ['a.c', '', 'a\nc'],
      ['a.c', 's', 'a\nc'],
      ['a.c', '', 'a\u2028c'],
      ['[a-c]+', '', 'xxbcaz'],
      ['[^a-c]+', '', 'abcxyzabc'],
      ['[a-]+', '', 'b-a-c'],
      ['[-a]+', '', 'b-a-c'],
      ['[\\]\\[]+', '', 'x[]]y'],
      ['[\\w.-]+@[\\w-]+\\.[a-z]{2,}', '', 'mail bob.smith-x@ex-ample.org now'],
      ['\\d+', '', 'abc 12345 def'],
      ['\\D+', '', '123abc456'],
      ['\\w+', '', '  hello_world42 '],
      ['\\W+', '', 'ab, cd'],
      ['\\s+', '', 'a \t\n\u00a0\u3000b'],
      ['\\S+', '', '   xyz   '],
      ['[\\s\\d]+', '', 'ab 1 2 3cd'],
      ['[^\\s]+', '', '  tok  '],
      ['[\\S]+', '', '  tok  '],
      ['\\bcat\\b', '', 'concat cat category'],
      ['\\Bcat\\B', '', 'cat concatenate'],
      ['^abc', '', 'abc abc'],
      ['^abc', '', 'xabc'],
      ['abc$', '', 'abc abc'],
      ['^b$', 'm', 'a\nb\nc'],
      ['^b$', '', 'a\nb\nc'],
      ['a*', '', 'aaa'],
      ['a*?', '', 'aaa'],
      ['a+?', '', 'aaa'],
      ['a??b', '', 'ab'],
      ['a{3}', '', 'aaaaa'],
      ['a{2,}', '', 'aaaaa'],
      ['a{2,3}', '', 'aaaaa'],
      ['a{2,3}?', '', 'aaaaa'],
      ['a{0}b', '', 'ab'],
      ['(a|ab)(c|bcd)(d*)', '', 'abcd'],
      ['(?:ab)+', '', 'ababab'],
      ['(a)(b)?(c)', '', 'ac'],
      ['(?<user>\\w+)@(?<host>\\w+)', '', 'to: bob@example'],
      ['cat|dog|bird', '', 'a bird and a dog'],
      ['(?:x|y|)z', '', 'z'],
      ['HeLLo', 'i', 'say hello'],
      ['[a-z]+', 'i', '123 ABC def'],
      ['[^a-z]+', 'i', 'ABC 123'],
      ['\\x41\\u0042', '', 'xABy'],
      ['\\t\\n', '', 'a\t\nb'],
      ['a\\.b\\*c\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\\\/', '', 'a.b*c+?()[]{}|^$\\/'],
      ['ü+', '', 'grüüße'],
      ['[é-ü]+', '', 'xéöüy'],
      ['', '', 'abc'],
      ['.+', '', 'a😀b'],
      ['[^a]', '', 'a😀'],
      ['😀+', '', 'x😀😀y'],
      ['a{,2}', '', 'a{,2}'],
    ];
    const results = await run(table.map(([p, f, t]) => ({ p, f, t })));
    table.forEach(([p, f, t], i) => {
      expect({ p, f, t, result: results[i] }).toEqual({ p, f, t, result: { m: jsExec(p, f, t) } });
    });
  });

  it('finds every non-overlapping match like String#matchAll, including empty ones', async () => {
    const table: [string, string, string][] = [
      ['\\d+', '', 'a1b22c333'],
      ['', '', 'abc'],
      ['x*', '', 'axxbx'],
      ['\\b', '', 'ab cd'],
      ['.', '', 'a😀b'],
      ['(\\w)(\\d)?', '', 'a1 b c3'],
    ];
    const results = await run(table.map(([p, f, t]) => ({ p, f, t, op: 'all' as const })));
    table.forEach(([p, f, t], i) => expect(results[i]).toEqual({ all: jsAll(p, f, t) }));
  });

  it('searches from an offset', async () => {
    expect(await one({ p: 'a', t: 'a_a_a', from: 1 })).toEqual({ m: [2, 3] });
    expect(await one({ p: 'a', t: 'a_a_a', from: 5 })).toEqual({ m: null });
    expect(await one({ p: '$', t: 'ab', from: 2 })).toEqual({ m: [2, 2] });
  });

  it("replaces every match and expands $&, $1, $<name>, $`, $' and $$", async () => {
    const cases: [string, string, string][] = [
      ['(\\w+)@(\\w+)', 'x bob@ex y', '[$2:$1:$&:$$]'],
      ['(?<k>\\w+)=(?<v>\\w+)', 'a=1 b=2', '$<v>=$<k>'],
      ['b', 'abc', "<$`|$'>"],
      ['x*', 'ab', '-'],
      ['(a)|(b)', 'ab', '[$1$2]'],
      ['a', 'aaa', '$0$9$'],
      ['(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)', 'abcdefghijk', '$11-$10-$1'],
    ];
    const results = await run(cases.map(([p, t, r]) => ({ p, t, r, op: 'replace' as const })));
    cases.forEach(([p, t, r], i) => expect(results[i]).toEqual({ out: t.replace(new RegExp(p, 'g'), r) }));
    expect(await one({ p: 'x', t: 'none here', r: 'y', op: 'replace' })).toEqual({ out: 'none here' });
  });

  it('reads named groups', async () => {
    expect(await one({ p: '(?<user>\\w+)@(?<host>\\w+)', t: 'bob@ex', op: 'named', r: 'host' })).toEqual({ named: 'ex' });
    expect(await one({ p: '(?<user>\\w+)@(?<host>\\w+)', t: 'bob@ex', op: 'named', r: 'nope' })).toEqual({ named: null });
  });

  it('takes flags from the flags argument or a leading inline group', async () => {
    expect(await one({ p: '(?i)secret', t: 'my SECRET', op: 'test' })).toEqual({ test: true });
    expect(await one({ p: '(?im)^secret$', t: 'x\nSecret\ny', op: 'test' })).toEqual({ test: true });
    expect(await one({ p: '(?s)a.b', t: 'a\nb', op: 'test' })).toEqual({ test: true });
    expect(await one({ p: 'secret', f: 'i', t: 'SeCrEt', op: 'test' })).toEqual({ test: true });
    expect(await one({ p: 'secret', t: 'SECRET', op: 'test' })).toEqual({ test: false });
  });

  it('stays linear on patterns that make backtracking engines explode', async () => {
    const text = `${'a'.repeat(5000)}!`;
    const started = performance.now();
    const results = await run([
      { p: '(a*)*b', t: text, op: 'test' },
      { p: '(a|aa)+$', t: text, op: 'test' },
      { p: '(?:a+)+b', t: text, op: 'test' },
      { p: '^(\\w+\\s?)*$', t: text, op: 'test' },
      { p: '(x+x+)+y', t: 'x'.repeat(5000), op: 'test' },
    ]);
    // (JavaScript's own backtracking engine takes minutes on the first three.)
    expect(results).toEqual([{ test: false }, { test: false }, { test: false }, { test: false }, { test: false }]);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('replaces thousands of matches in a long text quickly', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `host-${i} at 10.${i % 250}.${i % 7}.${i % 200} ok`).join('\n');
    const p = '\\b(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\b';
    const started = performance.now();
    const [result] = await run([{ p, t: text, r: 'IP', op: 'replace' }]);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(result).toEqual({ out: text.replace(new RegExp(p, 'g'), 'IP') });
  });

  it('never splits a surrogate pair', async () => {
    expect(await one({ p: '.', t: '😀', op: 'all' })).toEqual({ all: [[0, 2]] });
    expect(await one({ p: '[^x]', t: '😀x', op: 'all' })).toEqual({ all: [[0, 2]] });
    expect(await one({ p: '\\S', t: '😀', op: 'all' })).toEqual({ all: [[0, 2]] });
    expect(await one({ p: '\\s', t: '😀', op: 'all' })).toEqual({ all: [] });
    expect(await one({ p: 'x*', t: '😀', r: '-', op: 'replace' })).toEqual({ out: '-😀-' });
  });
});

describe('regex: errors are reported, never trapped', () => {
  const errors: [string, string, string][] = [
    ['(', '', "invalid regex /(/: missing ')' at offset 0"],
    ['a)', '', "invalid regex /a)/: unmatched ')' at offset 1"],
    ['[abc', '', "invalid regex /[abc/: missing ']' at offset 0"],
    ['*a', '', 'invalid regex /*a/: nothing to repeat at offset 0'],
    ['a**', '', 'invalid regex /a**/: nothing to repeat at offset 2'],
    ['a{2}{3}', '', 'invalid regex /a{2}{3}/: nothing to repeat at offset 4'],
    ['^*', '', 'invalid regex /^*/: nothing to repeat at offset 1'],
    ['a{3,2}', '', 'invalid regex /a{3,2}/: numbers out of order in {} quantifier at offset 1'],
    ['a{1001}', '', 'invalid regex /a{1001}/: repetition count above 1000 at offset 1'],
    ['[z-a]', '', 'invalid regex /[z-a]/: class range out of order at offset 2'],
    ['(?=a)', '', 'invalid regex /(?=a)/: lookahead is not supported at offset 0'],
    ['(?<=a)b', '', 'invalid regex /(?<=a)b/: lookbehind is not supported at offset 0'],
    ['(a)\\1', '', 'invalid regex /(a)\\1/: backreferences are not supported at offset 3'],
    ['\\p{L}', '', 'invalid regex /\\p{L}/: Unicode property escapes are not supported at offset 0'],
    ['\\q', '', 'invalid regex /\\q/: unknown escape \\q at offset 0'],
    ['\\x4', '', 'invalid regex /\\x4/: invalid \\x escape at offset 0'],
    ['a\\', '', 'invalid regex /a\\/: pattern ends with a backslash at offset 1'],
    ['(?<n>a)(?<n>b)', '', 'invalid regex /(?<n>a)(?<n>b)/: duplicate group name at offset 10'],
    ['(?i:a)', '', 'invalid regex /(?i:a)/: unsupported group syntax (inline flags are allowed only at the start) at offset 0'],
    ['[😀]', '', 'invalid regex /[😀]/: characters outside the Basic Multilingual Plane are not supported in classes at offset 1'],
    ['a', 'g', 'invalid regex flags "g": unknown flag "g"'],
    ['(?:a{1000}){1000}', '', 'invalid regex /(?:a{1000}){1000}/: pattern too large (over 20000 instructions)'],
  ];
  it.each(errors)('%s', async (p, f, message) => {
    expect(await one({ p, f, t: 'x' })).toEqual({ error: message });
  });
});

describe('regex: differential check against JavaScript on generated patterns', () => {
  // A deterministic generator over a syntax where both engines agree (no nullable bodies under
  // quantifiers, capturing groups only at the top level, ASCII text).
  let seed = 20260102;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const atoms = ['a', 'b', 'c', '.', '[ab]', '[^a]', '[a-c]', '\\d', '\\w', '\\s', '\\S', 'A', '1', ' '];
  const quants: [string, boolean][] = [
    ['*', true],
    ['+', false],
    ['?', true],
    ['{1,2}', false],
    ['{2}', false],
    ['*?', true],
    ['+?', false],
    ['??', true],
    ['{0,2}?', true],
  ];
  type Piece = { src: string; nullable: boolean };
  const atom = (depth: number): Piece => {
    const k = rnd(10);
    if (k < 6 || depth > 2) return { src: pick(atoms), nullable: false };
    if (k < 8) {
      const a = seq(depth + 1);
      const b = seq(depth + 1);
      return { src: `(?:${a.src}|${b.src})`, nullable: a.nullable || b.nullable };
    }
    const a = seq(depth + 1);
    return { src: `(?:${a.src})`, nullable: a.nullable };
  };
  // Quantifiers only apply to pieces that cannot match empty: JavaScript rejects empty
  // iterations of a quantified group, the kit (like RE2) does not.
  const seq = (depth: number): Piece => {
    const n = 1 + rnd(3);
    let src = '';
    let nullable = true;
    for (let i = 0; i < n; i++) {
      const a = atom(depth);
      if (!a.nullable && rnd(3) === 0) {
        const [q, qNullable] = pick(quants);
        src += a.src + q;
        nullable &&= qNullable;
      } else {
        src += a.src;
        nullable &&= a.nullable;
      }
    }
    return { src, nullable };
  };
  const pattern = (): string => {
    const parts: string[] = [];
    const n = 1 + rnd(3);
    for (let i = 0; i < n; i++) {
      const r = rnd(8);
      if (r === 0) parts.push('\\b');
      else if (r === 1) parts.push(`(${seq(0).src})`);
      else parts.push(seq(0).src);
    }
    let p = parts.join('');
    if (rnd(6) === 0) p = `^${p}`;
    if (rnd(6) === 0) p = `${p}$`;
    if (rnd(5) === 0) p = `${p}|${seq(0).src}`;
    return p;
  };
  const text = (): string => {
    const alphabet = 'abcA1 \n-';
    let s = '';
    const n = rnd(14);
    for (let i = 0; i < n; i++) s += alphabet[rnd(alphabet.length)];
    return s;
  };

  it('agrees on 1500 generated (pattern, flags, text) triples', async () => {
    const cases: Required<Pick<Case, 'p' | 'f' | 't'>>[] = [];
    for (let i = 0; i < 1500; i++) cases.push({ p: pattern(), f: pick(['', '', 'i', 'm', 's']), t: text() });
    const execs = await run(cases.map((c) => ({ ...c, op: 'exec' as const })));
    const alls = await run(cases.map((c) => ({ ...c, op: 'all' as const })));
    const mismatches: unknown[] = [];
    cases.forEach((c, i) => {
      const want = { m: jsExec(c.p, c.f, c.t) };
      const wantAll = { all: jsAll(c.p, c.f, c.t) };
      if (JSON.stringify(execs[i]) !== JSON.stringify(want) || JSON.stringify(alls[i]) !== JSON.stringify(wantAll)) {
        mismatches.push({ ...c, got: [execs[i], alls[i]], want: [want, wantAll] });
      }
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});

describe('globMatch', () => {
  it('matches * and ? over whole names', async () => {
    const cases: [string, string, boolean][] = [
      ['kube-*', 'kube-system', true],
      ['kube-*', 'kube-', true],
      ['kube-*', 'kubeflow', false],
      ['*-system', 'kube-system', true],
      ['*', '', true],
      ['', '', true],
      ['', 'a', false],
      ['a?c', 'abc', true],
      ['a?c', 'ac', false],
      ['*a*b*', 'xxaxxbxx', true],
      ['*a*b*', 'xxbxxaxx', false],
      ['prod', 'prod', true],
      ['prod', 'production', false],
      ['a*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
    ];
    const out = JSON.parse(await glob.callRaw(cases.map(([p, t]) => ({ p, t })))) as boolean[];
    expect(out).toEqual(cases.map((c) => c[2]));
  });
});

describe('escapeRegex', () => {
  it('escapes every metacharacter so the text matches literally', async () => {
    const inputs = ['a.b*c', '(x)[y]{z}', '^$|?+\\/', 'plain'];
    const out = JSON.parse(await escape.callRaw(inputs)) as string[];
    expect(out).toEqual(['a\\.b\\*c', '\\(x\\)\\[y\\]\\{z\\}', '\\^\\$\\|\\?\\+\\\\\\/', 'plain']);
    const matches = await run(out.map((p, i) => ({ p, t: `>>${inputs[i]}<<` })));
    expect(matches).toEqual(inputs.map((s) => ({ m: [2, 2 + s.length] })));
  });
});

describe('replaceAllText', () => {
  it('replaces every occurrence, including replacements far longer than the text', async () => {
    // AssemblyScript 0.28's String#replaceAll corrupts the heap on the last two.
    const cases: [string, string, string][] = [
      ['a-b-c', '-', '+'],
      ['[REDACTED:{kind}]', '{kind}', 'aws-access-key'],
      ['{kind}', '{kind}', 'a-very-long-detector-kind-name'],
      ['x/{name}', '{name}', 'web-7d9f8c6b5-x2x4q-with-a-long-suffix'],
      ['none here', '{x}', 'y'],
      ['aaa', 'a', 'aa'],
      ['abc', '', 'x'],
    ];
    const out = JSON.parse(await replaceAll.callRaw(cases.map(([t, s, r]) => ({ t, s, r })))) as string[];
    expect(out).toEqual(cases.map(([t, s, r]) => (s === '' ? t : t.split(s).join(r))));
  });
});
