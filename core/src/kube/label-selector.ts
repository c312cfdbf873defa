/**
 * Kubernetes label selectors (`app=web,tier!=db,env in (prod,staging),!legacy`), parsed once
 * and matched against label maps. Used for `source.labelSelector`, which selects events by
 * the labels of their involved object.
 */
import { K8streamError } from '../errors.js';

export type Requirement = { key: string; op: 'exists' | 'notExists' } | { key: string; op: 'in' | 'notIn'; values: ReadonlySet<string> };

export type LabelMatcher = (labels: Readonly<Record<string, string>>) => boolean;

const KEY = '[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?';
const VALUE = '(?:[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?';
const RE_NOT_EXISTS = new RegExp(`^!\\s*(${KEY})$`);
const RE_EXISTS = new RegExp(`^(${KEY})$`);
const RE_EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const RE_SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const RE_VALUE = new RegExp(`^${VALUE}$`);

/**
 * Parses a selector into requirements (all must hold). An empty selector selects everything.
 *
 * @throws K8streamError `CONFIG_INVALID` naming `path` and the bad requirement.
 */
export function parseLabelSelector(selector: string, path = 'source.labelSelector'): Requirement[] {
  const out: Requirement[] = [];
  for (const raw of splitTopLevel(selector)) {
    const part = raw.trim();
    if (part === '') {
      if (selector.trim() === '') continue;
      throw bad(selector, 'an empty requirement (two commas in a row?)', path);
    }
    let m: RegExpExecArray | null;
    if ((m = RE_SET.exec(part))) {
      const values = m[4]!.split(',').map((v) => v.trim());
      for (const v of values) if (!RE_VALUE.test(v)) throw bad(selector, `invalid value "${v}" in "${part}"`, path);
      out.push({ key: m[1]!, op: m[3] === 'in' ? 'in' : 'notIn', values: new Set(values) });
    } else if ((m = RE_EQUALITY.exec(part))) {
      out.push({ key: m[1]!, op: m[3] === '!=' ? 'notIn' : 'in', values: new Set([m[4]!]) });
    } else if ((m = RE_NOT_EXISTS.exec(part))) {
      out.push({ key: m[1]!, op: 'notExists' });
    } else if ((m = RE_EXISTS.exec(part))) {
      out.push({ key: m[1]!, op: 'exists' });
    } else {
      throw bad(selector, `cannot parse "${part}"`, path);
    }
  }
  return out;
}

/** Compiles a selector into a predicate over label maps. */
export function compileLabelSelector(selector: string, path?: string): LabelMatcher {
  const reqs = parseLabelSelector(selector, path);
  return (labels) => reqs.every((r) => matches(r, labels));
}

function matches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.op) {
    case 'exists':
      return has;
    case 'notExists':
      return !has;
    case 'in':
      return has && r.values.has(labels[r.key]!);
    case 'notIn':
      return !has || !r.values.has(labels[r.key]!);
  }
}

/** Splits on commas outside parentheses. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

function bad(selector: string, problem: string, path: string): K8streamError {
  return new K8streamError('CONFIG_INVALID', `invalid label selector "${selector}": ${problem}`, {
    path,
    hint: 'use Kubernetes label selector syntax: key=value, key!=value, key in (a,b), key notin (a,b), key, !key',
  });
}
