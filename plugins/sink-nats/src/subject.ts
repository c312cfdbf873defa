/**
 * Subject templates: `k8s.events.{cluster}.{namespace}.{type}` rendered per record (or per batch).
 *
 * Invariants:
 * - a rendered subject is always a valid NATS publish subject: every placeholder value is one
 *   token, so whitespace, control characters, `.`, `*` and `>` inside it become `_`, and an empty
 *   value (a cluster-scoped event has no namespace) becomes `_`;
 * - a template is parsed once; rendering walks its parts (no regex per record);
 * - `wildcardOf(template)` is the subject filter every rendering matches (each token holding a
 *   placeholder becomes `*`), which the healthcheck and stream creation use.
 */

/** Placeholders a subject template may use, and where each value comes from. */
export const SUBJECT_PLACEHOLDERS = ['cluster', 'sink', 'namespace', 'type', 'reason', 'kind', 'name', 'action'] as const;

/** One placeholder. */
export type SubjectPlaceholder = (typeof SUBJECT_PLACEHOLDERS)[number];

/** Placeholders with one value per batch: the only ones `publish: batch` may use. */
export const BATCH_PLACEHOLDERS: readonly SubjectPlaceholder[] = ['cluster', 'sink'];

/** The default subject: one token each for cluster, namespace and event type. */
export const DEFAULT_SUBJECT_TEMPLATE = 'k8s.events.{cluster}.{namespace}.{type}';

/** A parsed template: literal text and placeholders, in order. */
export type SubjectPart = { literal: string } | { field: SubjectPlaceholder };

const PLACEHOLDER = /\{([^{}]*)\}/g;
/** Characters a placeholder value may not keep inside one token. */
const UNSAFE = /[\s.*>\p{Cc}]/gu;

/** The placeholders a template uses, in order of first use (unknown names included). */
export function placeholdersOf(template: string): string[] {
  const names: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) if (!names.includes(m[1]!)) names.push(m[1]!);
  return names;
}

/**
 * Problems with a template, as messages (empty when it is valid): unknown placeholders, stray
 * braces, empty tokens, wildcards or whitespace in its literal text, and (with `allowed`)
 * placeholders outside that set.
 */
export function validateSubjectTemplate(template: string, allowed: readonly string[] = SUBJECT_PLACEHOLDERS): string[] {
  const problems: string[] = [];
  for (const name of placeholdersOf(template)) {
    if (!(SUBJECT_PLACEHOLDERS as readonly string[]).includes(name)) {
      problems.push(`unknown placeholder {${name}} (known: ${SUBJECT_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
    } else if (!allowed.includes(name)) {
      problems.push(`placeholder {${name}} has no single value per batch: with publish: batch, use only ${allowed.map((p) => `{${p}}`).join(' ')}`);
    }
  }
  const literal = template.replace(PLACEHOLDER, 'x');
  if (/[{}]/.test(literal)) problems.push('unbalanced "{" or "}"');
  if (/[\s\p{Cc}]/u.test(literal)) problems.push('must not contain whitespace');
  if (/[*>]/.test(literal)) problems.push('must not contain the wildcards "*" or ">" (a publish subject is concrete)');
  if (literal.split('.').some((token) => token === '')) problems.push('must not have empty tokens (a leading, trailing or doubled ".")');
  return problems;
}

/** Parses a template (assumed valid) into parts. */
export function parseSubjectTemplate(template: string): SubjectPart[] {
  const parts: SubjectPart[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push({ literal: template.slice(last, m.index) });
    parts.push({ field: m[1] as SubjectPlaceholder });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ literal: template.slice(last) });
  return parts;
}

/** A value made safe as (part of) one subject token: unsafe characters → `_`, empty → `_`. */
export function sanitizeToken(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  return text === '' ? '_' : text.replace(UNSAFE, '_');
}

/** Renders parsed parts with `values` (each sanitised as a token). */
export function renderSubject(parts: readonly SubjectPart[], values: (field: SubjectPlaceholder) => unknown): string {
  let out = '';
  for (const part of parts) out += 'literal' in part ? part.literal : sanitizeToken(values(part.field));
  return out;
}

/** The filter every rendering of `template` matches: each token holding a placeholder becomes `*`. */
export function wildcardOf(template: string): string {
  return template
    .split('.')
    .map((token) => (/\{[^{}]*\}/.test(token) ? '*' : token))
    .join('.');
}

/** The default stream subjects for a template: its literal leading tokens, then `>` (`k8s.events.>`). */
export function streamSubjectsFor(template: string): string {
  const tokens = wildcardOf(template).split('.');
  const fixed: string[] = [];
  for (const token of tokens) {
    if (token === '*') break;
    fixed.push(token);
  }
  if (fixed.length === tokens.length) return fixed.join('.');
  return [...fixed, '>'].join('.');
}

/**
 * Whether the stream subject `filter` (may hold `*` and `>`) matches every subject `pattern`
 * (may hold `*`) matches. `k8s.events.>` covers `k8s.events.*.*.*`; `k8s.events.*.*` does not.
 */
export function subjectCovers(filter: string, pattern: string): boolean {
  const f = filter.split('.');
  const p = pattern.split('.');
  for (let i = 0; i < f.length; i++) {
    const token = f[i]!;
    if (token === '>') return i < p.length;
    if (i >= p.length) return false;
    if (token === '*') continue;
    if (token !== p[i]) return false;
  }
  return f.length === p.length;
}
