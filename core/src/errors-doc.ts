/**
 * Renders docs/errors.md's table of error codes from the doc comments of `ErrorCode` in
 * errors.ts (read as source text: comments do not survive compilation), so the documentation
 * cannot drift from the code. Regenerate with `npm run docs`; errors-doc.test.ts fails while
 * the table is stale or a code has no comment.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** errors.ts, from core/src (tests) and from core/dist (the built generator) alike. */
export const ERRORS_SOURCE = fileURLToPath(new URL('../src/errors.ts', import.meta.url));
export const ERRORS_DOC = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));
export const ERRORS_START = '<!-- error-codes:start (generated from core/src/errors.ts by `npm run docs`) -->';
export const ERRORS_END = '<!-- error-codes:end -->';

export interface ErrorCodeDoc {
  code: string;
  /** The `// heading` comment above it in the union. */
  group: string;
  /** Its `/** … *\/` comment, on one line; '' when it has none. */
  doc: string;
}

/** The members of `export type ErrorCode = …;`, in order, with their group and doc comment. */
export function parseErrorCodes(source: string): ErrorCodeDoc[] {
  const start = source.indexOf('export type ErrorCode =');
  if (start < 0) throw new Error('no `export type ErrorCode =` in errors.ts');
  // The union ends at the `;` after its last member (doc comments may contain semicolons).
  const last = /'[A-Z0-9_]+'\s*;/.exec(source.slice(start));
  if (!last) throw new Error('no end of `ErrorCode` in errors.ts');
  const body = source.slice(start, start + last.index + last[0].length);
  const out: ErrorCodeDoc[] = [];
  let group = '';
  let doc = '';
  for (const match of body.matchAll(/\/\/ *(.*)|\/\*\*([\s\S]*?)\*\/|\|\s*'([A-Z0-9_]+)'/g)) {
    if (match[1] !== undefined) group = match[1].trim();
    else if (match[2] !== undefined)
      doc = match[2]
        .split('\n')
        .map((l) => l.replace(/^\s*\*?\s?/, '').trim())
        .filter(Boolean)
        .join(' ');
    else {
      out.push({ code: match[3]!, group, doc });
      doc = '';
    }
  }
  const literals = body.match(/'[A-Z0-9_]+'/g) ?? [];
  if (literals.length !== out.length) throw new Error(`ErrorCode has ${literals.length} members but ${out.length} were parsed`);
  return out;
}

/** The Markdown tables, one per group; throws when a code has no doc comment. */
export function renderErrorCodes(codes: readonly ErrorCodeDoc[]): string {
  const missing = codes.filter((c) => !c.doc).map((c) => c.code);
  if (missing.length > 0) throw new Error(`ErrorCode members without a doc comment in core/src/errors.ts: ${missing.join(', ')}`);
  const out: string[] = [];
  let group: string | null = null;
  for (const c of codes) {
    if (c.group !== group) {
      group = c.group;
      if (out.length > 0) out.push('');
      out.push(`### ${group ? group[0]!.toUpperCase() + group.slice(1) : 'Other'}`, '', '| code | meaning |', '| --- | --- |');
    }
    out.push(`| \`${c.code}\` | ${c.doc.replace(/\|/g, '\\|')} |`);
  }
  return out.join('\n');
}

/** The generated block as it should read, from the current errors.ts. */
export async function renderErrorCodesDoc(): Promise<string> {
  return renderErrorCodes(parseErrorCodes(await readFile(ERRORS_SOURCE, 'utf8')));
}

/** Replace the generated block of docs/errors.md; returns true when the file changed. */
export async function writeErrorCodesDoc(file = ERRORS_DOC): Promise<boolean> {
  const text = await readFile(file, 'utf8');
  const start = text.indexOf(ERRORS_START);
  const end = text.indexOf(ERRORS_END);
  if (start < 0 || end < start) throw new Error(`${file} has no ${ERRORS_START} … ${ERRORS_END} block`);
  const next = `${text.slice(0, start + ERRORS_START.length)}\n${await renderErrorCodesDoc()}\n${text.slice(end)}`;
  if (next === text) return false;
  await writeFile(file, next);
  return true;
}
