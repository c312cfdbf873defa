/**
 * Environment interpolation in config values: `${VAR}`, `${VAR:-default}` (the default applies
 * when VAR is unset or empty, and may itself contain references), and `$${...}` for a literal
 * `${...}`. Every string value is interpolated, at any depth; keys are not. A value that is
 * exactly `${VAR}` stays a string: validation coerces it where a number or boolean is expected.
 */
import { ValidationError } from '../errors.js';
import { formatPath, isPlainObject } from '../schema/core.js';
import type { Issue, Path, PathSegment } from '../schema/core.js';

/** Variables to interpolate from (usually `process.env`). */
export type Env = Readonly<Record<string, string | undefined>>;

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/** Index of the `}` closing the `${` that starts at `open`, allowing nested `${...}`; -1 if none. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text.startsWith('$${', i)) {
      i += 2;
    } else if (text.startsWith('${', i)) {
      depth++;
      i += 1;
    } else if (text[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Interpolates one string; problems are added to `issues` at `path`. */
export function interpolateString(text: string, env: Env, path: Path, issues: Issue[]): string {
  if (!text.includes('$')) return text;
  const where = formatPath(path);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar === -1) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    if (text.startsWith('$${', dollar)) {
      out += '${';
      i = dollar + 3;
      continue;
    }
    if (!text.startsWith('${', dollar)) {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = closingBrace(text, dollar);
    if (close === -1) {
      issues.push({ path: where, message: 'unterminated "${" (write "$${" for a literal "${")' });
      out += text.slice(dollar);
      break;
    }
    const inner = text.slice(dollar + 2, close);
    i = close + 1;
    const match = REFERENCE.exec(inner);
    if (!match) {
      const shown = inner.length > 40 ? `${inner.slice(0, 40)}…` : inner;
      issues.push({ path: where, message: `invalid reference "\${${shown}}": expected \${NAME} or \${NAME:-default}` });
      continue;
    }
    const name = match[1]!;
    const fallback = match[2];
    const value = env[name];
    if (value !== undefined && (value !== '' || fallback === undefined)) out += value;
    else if (fallback !== undefined) out += interpolateString(fallback, env, path, issues);
    else issues.push({ path: where, message: `environment variable ${name} is not set (set it, or give a default: \${${name}:-value})` });
  }
  return out;
}

/**
 * Interpolates every string in `value` (plain objects and arrays are copied, other values are
 * kept as they are). Returns the new value and every problem found, with its path.
 */
export function interpolate(value: unknown, env: Env): { value: unknown; issues: Issue[] } {
  const issues: Issue[] = [];
  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node === 'string') return interpolateString(node, env, path, issues);
    if (Array.isArray(node)) return node.map((item: unknown, index) => walk(item, [...path, index]));
    if (isPlainObject(node)) {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(node)) copy[key] = walk(item, [...path, key]);
      return copy;
    }
    return node;
  };
  const result = walk(value, []);
  return { value: result, issues };
}

/**
 * Interpolates `value` or throws a ValidationError (code CONFIG_INTERPOLATION) listing every
 * problem. Messages name variables, never their values. With `needed`, only the problems at the
 * paths it accepts count; an unset variable elsewhere reads as empty (the forensics commands
 * need a config's sinks, not the kubeconfig of the cluster it streams from).
 */
export function interpolateConfig(value: unknown, env: Env, options: { source?: string; needed?: (path: string) => boolean } = {}): unknown {
  const result = interpolate(value, env);
  const needed = options.needed;
  const issues = needed === undefined ? result.issues : result.issues.filter((issue) => needed(issue.path));
  if (issues.length > 0) {
    throw new ValidationError('CONFIG_INTERPOLATION', issues, {
      ...(options.source !== undefined ? { source: options.source, path: options.source } : {}),
      hint: 'set the variables in the environment, give defaults with ${NAME:-value}, or write $${...} for a literal ${...}',
    });
  }
  return result.value;
}
