/**
 * Object keys and file paths from a template such as
 * `{cluster}/{yyyy}/{MM}/{dd}/{HH}/{batchId}{ext}`. Shared by the file, S3 and GCS sinks.
 *
 * Placeholders:
 * - `{cluster}`, `{sink}`, `{batchId}`, `{ext}` (the batch's extension, `.ndjson.gz`);
 * - `{yyyy}`, `{MM}`, `{dd}`, `{HH}`, `{mm}`, `{date}` (`yyyy-MM-dd`), in UTC, from the batch's
 *   earliest event timestamp (`minTimestamp`), or from `createdAt` when it has none;
 * - any key of `extra` (`{prefix}` ...), given by the sink from its own config.
 *
 * The result is always a relative, `/`-separated path that stays inside its root: values from the
 * batch never add path levels (`/` and `\` become `_`, `..` becomes `__`), `extra` values may add
 * levels (`prefix: events/raw`) but never `.`/`..` ones, and empty levels collapse (`a//b` → `a/b`).
 */
import { string } from '../schema/primitives.js';
import type { Batch } from './api.js';
import { K8streamError } from '../errors.js';

/** Placeholders every template may use (besides the sink's `extra` keys). */
export const KEY_TEMPLATE_PLACEHOLDERS = ['cluster', 'sink', 'batchId', 'ext', 'yyyy', 'MM', 'dd', 'HH', 'mm', 'date'] as const;

export type KeyTemplatePlaceholder = (typeof KEY_TEMPLATE_PLACEHOLDERS)[number];

type Part = { literal: string } | { name: string };

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Splits a template into literal and placeholder parts; collects syntax problems. */
function parse(template: string): { parts: Part[]; problems: string[] } {
  const parts: Part[] = [];
  const problems: string[] = [];
  let i = 0;
  let literal = '';
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '}') {
      problems.push(`unmatched "}" at position ${i}`);
      i++;
      continue;
    }
    if (ch !== '{') {
      literal += ch;
      i++;
      continue;
    }
    const close = template.indexOf('}', i + 1);
    if (close < 0) {
      problems.push(`unclosed "{" at position ${i}`);
      break;
    }
    const name = template.slice(i + 1, close);
    if (!NAME.test(name)) {
      problems.push(`invalid placeholder "{${name}}" at position ${i}`);
    } else {
      if (literal) parts.push({ literal });
      literal = '';
      parts.push({ name });
    }
    i = close + 1;
  }
  if (literal) parts.push({ literal });
  return { parts, problems };
}

function knownList(extraKeys: readonly string[]): string {
  return [...KEY_TEMPLATE_PLACEHOLDERS, ...extraKeys].map((k) => `{${k}}`).join(', ');
}

/**
 * Config-time check of a key template. Returns every problem found (empty when the template is
 * valid), each a sentence a validator can attach to the template's config path.
 * @param extraKeys placeholders the sink provides besides the built-in ones (`prefix`).
 */
export function validateKeyTemplate(template: string, extraKeys: readonly string[] = []): string[] {
  if (template.trim() === '') return ['must not be empty'];
  const { parts, problems } = parse(template);
  const known = new Set<string>([...KEY_TEMPLATE_PLACEHOLDERS, ...extraKeys]);
  const unknown = parts.flatMap((p) => ('name' in p && !known.has(p.name) ? [p.name] : []));
  if (unknown.length > 0) {
    problems.push(`unknown placeholder${unknown.length === 1 ? '' : 's'} ${unknown.map((n) => `{${n}}`).join(', ')}; known: ${knownList(extraKeys)}`);
  }
  const literalSegments = parts.flatMap((p) => ('literal' in p ? p.literal.split('/') : [])).map((s) => s.trim());
  if (literalSegments.includes('..')) problems.push('must not contain ".." path segments');
  if (template.includes('\\')) problems.push('must use "/" as the separator, not "\\"');
  if (!parts.some((p) => 'name' in p && p.name === 'batchId')) {
    problems.push('must contain {batchId}, or batches overwrite each other');
  }
  return problems;
}

/** Replaces anything that could change the path structure inside one value. */
function sanitizeSegment(value: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = value.replace(/[/\\\u0000-\u001f\u007f]/g, '_').replace(/\.\.+/g, (m) => '_'.repeat(m.length));
  return cleaned === '' || cleaned === '.' ? '_' : cleaned;
}

/** `extra` values may add levels, but each level is sanitised like a batch value. */
function sanitizeMultiSegment(value: string): string {
  return value
    .split(/[/\\]+/)
    .filter((s) => s !== '' && s !== '.')
    .map(sanitizeSegment)
    .join('/');
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The instant a batch is filed under: its earliest event, or when it was closed. */
function batchTime(batch: Batch<unknown>): Date {
  if (batch.minTimestamp) {
    const t = Date.parse(batch.minTimestamp);
    if (!Number.isNaN(t)) return new Date(t);
  }
  return new Date(batch.createdAt);
}

/**
 * Renders `template` for `batch`. Throws `K8streamError('PLUGIN_CONFIG_INVALID')` listing the
 * known placeholders when the template is invalid (validate it at config time with
 * {@link validateKeyTemplate} so this never happens while sending).
 * Built-in placeholders take precedence over `extra` keys of the same name.
 */
export function renderKeyTemplate(template: string, batch: Batch<unknown>, extra: Readonly<Record<string, string>> = {}): string {
  const problems = validateKeyTemplate(template, Object.keys(extra));
  if (problems.length > 0) {
    throw new K8streamError('PLUGIN_CONFIG_INVALID', `invalid key template ${JSON.stringify(template)}: ${problems.join('; ')}`, { plugin: batch.sink });
  }
  const t = batchTime(batch);
  const yyyy = pad(t.getUTCFullYear(), 4);
  const MM = pad(t.getUTCMonth() + 1);
  const dd = pad(t.getUTCDate());
  const builtIn: Record<KeyTemplatePlaceholder, string> = {
    cluster: sanitizeSegment(batch.cluster),
    sink: sanitizeSegment(batch.sink),
    batchId: sanitizeSegment(batch.id),
    ext: batch.extension === '' ? '' : sanitizeSegment(batch.extension),
    yyyy,
    MM,
    dd,
    HH: pad(t.getUTCHours()),
    mm: pad(t.getUTCMinutes()),
    date: `${yyyy}-${MM}-${dd}`,
  };
  const lookup = (name: string): string => {
    if (Object.hasOwn(builtIn, name)) return builtIn[name as KeyTemplatePlaceholder];
    return sanitizeMultiSegment(extra[name] ?? '');
  };
  const rendered = parse(template)
    .parts.map((p) => ('name' in p ? lookup(p.name) : p.literal))
    .join('');
  return rendered
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map((s) => (s === '..' ? '__' : s))
    .join('/');
}

/**
 * Config schema of a key/path template, for sink plugins: a string with `defaultTemplate` as
 * its default, checked by {@link validateKeyTemplate} (every problem reported at its path).
 * Add `.describe(...)` for the plugin's own wording.
 */
export function keyTemplateSchema(defaultTemplate: string, extraKeys: readonly string[] = []) {
  return string()
    .default(defaultTemplate)
    .refine((template, ctx) => {
      for (const problem of validateKeyTemplate(template, extraKeys)) ctx.issue(problem);
    });
}

/**
 * The template parser and the value sanitisers, for readers that invert a template (the
 * forensics commands compute partition prefixes and match keys with the same rules).
 */
export { parse as parseKeyTemplate, sanitizeSegment as sanitizeKeySegment, sanitizeMultiSegment as sanitizeKeyPath };
export type { Part as KeyTemplatePart };
