/**
 * Authentication (one optional bearer token) and a deny-list RBAC, answering 401 and 403
 * Status objects worded like the real API server's.
 */
import type { RequestInfo, Verb } from './faults.js';
import { resolveResource, resourceId } from './resources.js';
import { ApiError, status } from './status.js';

/** 401 as the real server sends it. */
export function unauthorized(): ApiError {
  return new ApiError(status(401, 'Unauthorized', 'Unauthorized'));
}

/** Checks `Authorization: Bearer <token>` when a token is configured. */
export function checkBearer(expected: string | undefined, header: string | undefined): ApiError | undefined {
  if (expected === undefined) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m && m[1]!.trim() === expected ? undefined : unauthorized();
}

/** Which requests are denied; omitted fields match anything. */
export interface DenyRule {
  verb?: Verb | readonly Verb[];
  /** `events`, `pods`, `leases`, `events.events.k8s.io`… */
  resource?: string;
  namespace?: string;
}

interface CompiledRule {
  verbs: readonly Verb[] | undefined;
  resource: string | undefined;
  namespace: string | undefined;
}

/** A deny list; everything not denied is allowed. */
export class Rbac {
  private rules: CompiledRule[] = [];

  /** Denies matching requests with 403; returns a function that lifts the rule. */
  deny(rule: DenyRule): () => void {
    const r: CompiledRule = {
      verbs: rule.verb === undefined ? undefined : typeof rule.verb === 'string' ? [rule.verb] : rule.verb,
      resource: rule.resource === undefined ? undefined : resourceId(resolveResource(rule.resource)),
      namespace: rule.namespace,
    };
    this.rules.push(r);
    return () => {
      this.rules = this.rules.filter((x) => x !== r);
    };
  }

  /** Lifts every rule. */
  allowAll(): void {
    this.rules = [];
  }

  /** The 403 for a request by `user`, or undefined when allowed. */
  check(req: RequestInfo, user: string): ApiError | undefined {
    if (!req.type || req.verb === 'discovery') return undefined;
    const hit = this.rules.find(
      (r) =>
        (r.verbs === undefined || r.verbs.includes(req.verb)) &&
        (r.resource === undefined || r.resource === req.resource) &&
        (r.namespace === undefined || r.namespace === req.namespace),
    );
    if (!hit) return undefined;
    return forbidden(req, user);
  }
}

/**
 * 403 worded like the real server: `pods "web" is forbidden: User "u" cannot get resource
 * "pods" in API group "" in the namespace "default"` (or `at the cluster scope`).
 */
export function forbidden(req: RequestInfo, user: string): ApiError {
  const t = req.type!;
  const qualified = t.group === '' ? t.plural : `${t.plural}.${t.group}`;
  const subject = req.name !== undefined ? `${qualified} "${req.name}"` : qualified;
  const resource = req.subresource !== undefined ? `${t.plural}/${req.subresource}` : t.plural;
  const scope = req.namespace !== undefined ? `in the namespace "${req.namespace}"` : 'at the cluster scope';
  const details: { name?: string; group: string; kind: string } = { group: t.group, kind: t.plural };
  if (req.name !== undefined) details.name = req.name;
  return new ApiError(status(403, 'Forbidden', `${subject} is forbidden: User "${user}" cannot ${req.verb} resource "${resource}" in API group "${t.group}" ${scope}`, details));
}
