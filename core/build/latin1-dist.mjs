#!/usr/bin/env node
/**
 * Rewrites every character above U+00FF in the compiled JavaScript of the given directories as a
 * `\uXXXX` escape (issue 14, idle RSS).
 *
 * V8 keeps a module's source text for as long as the module lives (it compiles functions lazily
 * from it), one byte per character when every character fits Latin-1 and two bytes per character
 * otherwise: one em dash in a comment doubles the whole file's cost. The escape means the same
 * thing wherever it can stand in JavaScript (a comment, a string, a template's cooked value, a
 * regular expression with or without `u`, an identifier); only a template's raw text (String.raw)
 * would differ, so a file that reads one is left as it is (and named).
 *
 * Usage: node core/build/latin1-dist.mjs <dir>...  (rewrites *.js in place, prints a summary)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Characters above Latin-1 (each UTF-16 unit: a surrogate pair becomes two escapes, as JavaScript reads them). */
const WIDE = /[\u0100-\uffff]/g;

/** The text with every character above U+00FF as an escape. */
export function latin1(text) {
  return text.replace(WIDE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function* jsFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* jsFiles(path);
    else if (entry.name.endsWith('.js')) yield path;
  }
}

export function rewrite(dirs) {
  let files = 0;
  let rewritten = 0;
  const kept = [];
  for (const dir of dirs) {
    for (const file of jsFiles(dir)) {
      files++;
      const text = readFileSync(file, 'utf8');
      WIDE.lastIndex = 0;
      if (!WIDE.test(text)) continue;
      if (/String\.raw/.test(text)) {
        kept.push(file);
        continue;
      }
      writeFileSync(file, latin1(text));
      rewritten++;
    }
  }
  return { files, rewritten, kept };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { files, rewritten, kept } = rewrite(process.argv.slice(2));
  const left = kept.length > 0 ? `; left as they are (a template's raw text): ${kept.join(', ')}` : '';
  console.log(`latin1-dist: ${rewritten} of ${files} files rewritten${left}`);
}
