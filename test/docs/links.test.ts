// Every relative link in the README, docs/*.md and the packages' READMEs points at a file or
// folder that exists, and every #anchor at a heading of the target document (GitHub's ids).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.fixture.js';

const documents = [
  'README.md',
  ...readdirSync(join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
/** The packages' and examples' READMEs, checked the same way. */
const readmes = ['charts', 'core/src', 'examples', 'plugins', 'test', 'transforms'].flatMap((top) =>
  readdirSync(join(REPO, top), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(REPO, top, e.name, 'README.md')))
    .map((e) => `${top}/${e.name}/README.md`),
);

/** The Markdown without its fenced code blocks. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** [text](target) links; images included. */
function links(markdown: string): string[] {
  const out: string[] = [];
  for (const m of withoutFences(markdown).matchAll(/\[(?:[^\]\n]|\][^(])*?\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push(m[1]!);
  return out;
}

/** GitHub's ids of a document's headings. */
function anchors(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of withoutFences(markdown)
    .replace(/`([^`\n]*)`/g, '$1')
    .matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const text = m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

describe('links in the README and docs/', () => {
  it('finds the documents', () => {
    expect(documents).toEqual(expect.arrayContaining(['README.md', 'docs/configuration.md', 'docs/errors.md', 'docs/performance.md']));
    expect(readmes).toEqual(expect.arrayContaining(['charts/k8stream/README.md', 'core/src/transform/README.md', 'examples/demo/README.md', 'plugins/sink-s3/README.md']));
  });

  for (const doc of [...documents, ...readmes]) {
    it(`${doc}: every relative link resolves`, () => {
      const markdown = readFileSync(join(REPO, doc), 'utf8');
      const broken: string[] = [];
      for (const target of links(markdown)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path === '' ? join(REPO, doc) : join(REPO, dirname(doc), decodeURI(path));
        const rel = relative(REPO, file);
        if (rel.startsWith('..') || !existsSync(file)) {
          broken.push(`${target} (no ${rel})`);
          continue;
        }
        if (anchor !== undefined && statSync(file).isFile() && file.endsWith('.md')) {
          if (!anchors(readFileSync(file, 'utf8')).has(anchor)) broken.push(`${target} (no heading #${anchor} in ${rel})`);
        }
      }
      expect(broken).toEqual([]);
    });
  }

  it('the README links every document in docs/', () => {
    const linked = new Set(links(readFileSync(join(REPO, 'README.md'), 'utf8')).map((t) => t.split('#')[0]));
    expect(documents.filter((d) => d !== 'README.md' && !linked.has(d))).toEqual([]);
  });
});

describe('the link checker', () => {
  it('reads links, not code', () => {
    expect(links('See [a](docs/a.md#x), [`b`](b/) and ![c](c.png "title").\n```\n[d](d.md)\n```\n')).toEqual(['docs/a.md#x', 'b/', 'c.png']);
  });

  it("computes GitHub's heading ids", () => {
    const ids = anchors(
      '# The record (`k8stream.event/v1`)\n## Enrichment: pods are cattle, services are pets\n### DuckDB (checked by [`x.ts`](x.ts))\n## Notes\n## Notes\n```\n# not a heading\n```\n',
    );
    expect([...ids]).toEqual(['the-record-k8streameventv1', 'enrichment-pods-are-cattle-services-are-pets', 'duckdb-checked-by-xts', 'notes', 'notes-1']);
  });
});
