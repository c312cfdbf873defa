/**
 * Label selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!key`) and field selectors
 * (`=`, `==`, `!=` on a per-resource list of field labels), compiled once to a predicate.
 */
import { badRequest } from './status.js';

/** A compiled selector: true when the object matches. */
export type Predicate = (obj: KubeObject) => boolean;

/** Any Kubernetes object as plain JSON. */
export type KubeObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

type LabelReq = { op: 'eq' | 'neq'; key: string; value: string } | { op: 'in' | 'notin'; key: string; values: Set<string> } | { op: 'exists' | 'notexists'; key: string };

const KEY = String.raw`[A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?`;
const VALUE = String.raw`(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;
const RE_EXISTS = new RegExp(`^(${KEY})$`);
const RE_NOT_EXISTS = new RegExp(`^!\\s*(${KEY})$`);
const RE_SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
const RE_CMP = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

function parseLabelReq(term: string): LabelReq {
  let m = RE_NOT_EXISTS.exec(term);
  if (m) return { op: 'notexists', key: m[1]! };
  m = RE_SET.exec(term);
  if (m) {
    const values = new Set(
      m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    );
    return { op: m[2] === 'in' ? 'in' : 'notin', key: m[1]!, values };
  }
  m = RE_CMP.exec(term);
  if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1]!, value: m[3] ?? '' };
  m = RE_EXISTS.exec(term);
  if (m) return { op: 'exists', key: m[1]! };
  throw badRequest(`unable to parse requirement: found '${term}', expected: label selector term`);
}

function labelsOf(obj: KubeObject): Record<string, unknown> {
  const labels = obj.metadata?.['labels'];
  return labels !== null && typeof labels === 'object' ? (labels as Record<string, unknown>) : {};
}

function matchLabelReq(req: LabelReq, labels: Record<string, unknown>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const v = has ? String(labels[req.key]) : undefined;
  switch (req.op) {
    case 'eq':
      return v === req.value;
    case 'neq':
      return v !== req.value;
    case 'in':
      return v !== undefined && req.values.has(v);
    case 'notin':
      return v === undefined || !req.values.has(v);
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

/** Compiles a label selector; `undefined`/empty selects everything. Throws 400 on bad syntax. */
export function compileLabelSelector(selector: string | undefined): Predicate | undefined {
  if (selector === undefined || selector.trim() === '') return undefined;
  const reqs = splitTerms(selector).map(parseLabelReq);
  return (obj) => {
    const labels = labelsOf(obj);
    for (const r of reqs) if (!matchLabelReq(r, labels)) return false;
    return true;
  };
}

/** Matches a label map (e.g. a Service's `spec.selector`) against labels: every pair equal. */
export function matchesLabelMap(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  if (keys.length === 0) return false;
  for (const k of keys) if (labels[k] !== selector[k]) return false;
  return true;
}

/** Reads a field label's value from an object as the real server's field sets do. */
export function fieldValue(obj: KubeObject, field: string): string {
  if (field === 'source') {
    // core/v1 Event: `source` means source.component.
    const src = obj['source'] as Record<string, unknown> | undefined;
    return src && typeof src['component'] === 'string' ? src['component'] : '';
  }
  let cur: unknown = obj;
  for (const part of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : String(cur);
}

/** Splits a field selector term honouring `\,` `\=` `\\` escapes. */
function splitEscaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/**
 * Compiles a field selector allowing `metadata.name`, `metadata.namespace` and `allowed`.
 * Throws 400 (`field label not supported: x`) for any other field, as the real server does.
 */
export function compileFieldSelector(selector: string | undefined, allowed: readonly string[]): Predicate | undefined {
  if (selector === undefined || selector.trim() === '') return undefined;
  const terms: { field: string; value: string; neq: boolean }[] = [];
  for (const raw of splitEscaped(selector, ',')) {
    const term = raw.trim();
    if (term === '') continue;
    const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid field selector: '${term}'`);
    const field = m[1]!.trim();
    if (field !== 'metadata.name' && field !== 'metadata.namespace' && !allowed.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    terms.push({ field, value: unescape(m[3]!), neq: m[2] === '!=' });
  }
  if (terms.length === 0) return undefined;
  return (obj) => {
    for (const t of terms) {
      const eq = fieldValue(obj, t.field) === t.value;
      if (eq === t.neq) return false;
    }
    return true;
  };
}

/** Combines optional predicates with AND. */
export function andPredicates(...ps: (Predicate | undefined)[]): Predicate | undefined {
  const list = ps.filter((p): p is Predicate => p !== undefined);
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return (obj) => list.every((p) => p(obj));
}
