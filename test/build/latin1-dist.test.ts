// The build's last step (core/build/latin1-dist.mjs): compiled JavaScript keeps only Latin-1
// characters, so V8 holds each module's source one byte per character (issue 14, idle RSS), and
// the escapes mean what the characters meant.
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { latin1, rewrite } from '../../core/build/latin1-dist.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'k8stream-latin1-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WIDE = /[\u0100-\uffff]/;

/** A module using wide characters everywhere they can stand; its default export is what they mean. */
const MODULE = [
  '// a comment — with an em dash',
  'const ŝtato = "…";',
  'const line = `${ŝtato} ─ ≥ 🚀`;',
  'const plain = /→|–/;',
  'const unicode = /^[🚀▶]$/u;',
  "export default { ŝtato, line, plain: plain.test('a → b'), dash: plain.test('–'), rocket: unicode.test('🚀'), arrow: unicode.test('▶'), both: unicode.test('🚀▶'), length: '🚀'.length, café: 'é' };",
].join('\n');

async function evaluate(source: string): Promise<unknown> {
  const mod = (await import(`data:text/javascript,${encodeURIComponent(source)}`)) as { default: unknown };
  return mod.default;
}

function* jsFiles(root: string): Generator<string> {
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) yield* jsFiles(path);
    else if (entry.name.endsWith('.js')) yield path;
  }
}

describe('latin1-dist', () => {
  it('escapes every character above U+00FF, and the module means the same', async () => {
    const escaped = latin1(MODULE);
    expect(escaped).not.toMatch(WIDE);
    expect(escaped).toContain('é'); // Latin-1 stays as it is
    expect(await evaluate(escaped)).toEqual(await evaluate(MODULE));
    expect(await evaluate(escaped)).toMatchObject({ plain: true, dash: true, rocket: true, arrow: true, both: false, length: 2 });
  });

  it('rewrites .js files in place, leaves other files and a String.raw user alone, and names the latter', () => {
    const root = join(dir, 'dist');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'sub', 'a.js'), MODULE);
    writeFileSync(join(root, 'ascii.js'), 'export default 1;\n');
    const raw = 'export const page = String.raw`— ${1}`;\n';
    writeFileSync(join(root, 'raw.js'), raw);
    writeFileSync(join(root, 'a.d.ts'), '/** — */ export {};\n');
    expect(rewrite([root])).toEqual({ files: 3, rewritten: 1, kept: [join(root, 'raw.js')] });
    expect(readFileSync(join(root, 'sub', 'a.js'), 'utf8')).toBe(latin1(MODULE));
    expect(readFileSync(join(root, 'raw.js'), 'utf8')).toBe(raw);
    expect(readFileSync(join(root, 'a.d.ts'), 'utf8')).toMatch(WIDE);
  });

  it('ran on the build: no compiled file of core or the plugins holds a wide character, but for String.raw users', () => {
    const roots = [join(repo, 'core', 'dist'), ...readdirSync(join(repo, 'plugins')).map((p) => join(repo, 'plugins', p, 'dist'))];
    const wide = roots.flatMap((root) => [...jsFiles(root)].filter((f) => WIDE.test(readFileSync(f, 'utf8')) && !readFileSync(f, 'utf8').includes('String.raw')));
    expect(wide).toEqual([]);
    expect([...jsFiles(join(repo, 'core', 'dist'))].length).toBeGreaterThan(100);
  });
});
