/**
 * String helpers. `replaceAllText` exists because AssemblyScript 0.28's `String#replaceAll`
 * overruns its output buffer when the replacement is much longer than the text (it grows the
 * buffer only once), corrupting the heap: use this instead.
 */

/** `text` with every occurrence of `search` replaced by `replacement` (an empty search returns `text`). */
export function replaceAllText(text: string, search: string, replacement: string): string {
  if (search.length == 0) return text;
  let at = text.indexOf(search);
  if (at < 0) return text;
  const parts: string[] = [];
  let last = 0;
  while (at >= 0) {
    parts.push(text.substring(last, at));
    parts.push(replacement);
    last = at + search.length;
    at = text.indexOf(search, last);
  }
  parts.push(text.substring(last));
  return parts.join("");
}
