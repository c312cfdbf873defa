/**
 * Shell-style wildcard matching for names (namespaces, reasons, label values):
 * `*` matches any run of characters (also none), `?` exactly one; everything else is literal.
 * The whole name must match. Linear-time (no backtracking blow-up).
 */
export function globMatch(pattern: string, text: string): bool {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  const pn = pattern.length;
  const tn = text.length;
  while (t < tn) {
    if (p < pn) {
      const c = pattern.charCodeAt(p);
      if (c == 0x2a) {
        starP = p++;
        starT = t;
        continue;
      }
      if (c == 0x3f || c == text.charCodeAt(t)) {
        p++;
        t++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    t = ++starT;
  }
  while (p < pn && pattern.charCodeAt(p) == 0x2a) p++;
  return p == pn;
}

/** Whether `pattern` contains a wildcard (`*` or `?`). */
export function isGlob(pattern: string): bool {
  return pattern.indexOf("*") >= 0 || pattern.indexOf("?") >= 0;
}

/** Whether `text` matches any of `patterns`. */
export function globMatchAny(patterns: string[], text: string): bool {
  for (let i = 0; i < patterns.length; i++) {
    if (globMatch(unchecked(patterns[i]), text)) return true;
  }
  return false;
}
