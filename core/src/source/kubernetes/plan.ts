/**
 * Which list+watch requests the source config needs, with every filter the API can apply
 * pushed down to the server (the client-side filter stays the source of truth):
 *
 * - no `namespaces`: one cluster-wide watch; each excluded namespace becomes
 *   `metadata.namespace!=<ns>`;
 * - `namespaces` given: one namespaced watch per namespace (so namespaced RBAC — a Role per
 *   namespace — is enough, and nothing outside them is transferred);
 * - exactly one type, reason or involved-object kind: `type=`, `reason=`,
 *   `involvedObject.kind=` (`regarding.kind=` for events.k8s.io/v1). Field selectors cannot
 *   express "one of several", so longer lists are filtered client-side only.
 */
import { K8streamError } from '../../errors.js';
import type { SourceConfig } from '../../config/types.js';

export interface WatchTarget {
  /** Collection path for list and watch. */
  path: string;
  /** The namespace of a namespaced watch, null for cluster-wide. */
  namespace: string | null;
  fieldSelector: string | undefined;
}

export type PlanConfig = Pick<SourceConfig, 'api' | 'namespaces' | 'excludeNamespaces' | 'types' | 'reasons' | 'kinds'>;

/** `/api/v1` or `/apis/events.k8s.io/v1`. */
export function apiBase(api: SourceConfig['api']): string {
  return api === 'events.k8s.io/v1' ? '/apis/events.k8s.io/v1' : '/api/v1';
}

/**
 * Plans the watches.
 *
 * @throws K8streamError `CONFIG_INVALID` when every namespace in `namespaces` is also excluded.
 */
export function planWatches(config: PlanConfig): WatchTarget[] {
  const base = apiBase(config.api);
  const excluded = new Set(config.excludeNamespaces);
  const selectors: string[] = [];
  const single = (list: readonly string[]): string | null => {
    const distinct = [...new Set(list)];
    return distinct.length === 1 ? distinct[0]! : null;
  };
  const type = single(config.types);
  if (type !== null) selectors.push(`type=${escapeFieldValue(type)}`);
  const reason = single(config.reasons);
  if (reason !== null) selectors.push(`reason=${escapeFieldValue(reason)}`);
  const kind = single(config.kinds);
  if (kind !== null) selectors.push(`${config.api === 'events.k8s.io/v1' ? 'regarding' : 'involvedObject'}.kind=${escapeFieldValue(kind)}`);

  const included = [...new Set(config.namespaces)];
  if (included.length === 0) {
    const all = [...selectors, ...[...excluded].map((ns) => `metadata.namespace!=${escapeFieldValue(ns)}`)];
    return [{ path: `${base}/events`, namespace: null, fieldSelector: all.length > 0 ? all.join(',') : undefined }];
  }
  const watched = included.filter((ns) => !excluded.has(ns));
  if (watched.length === 0) {
    throw new K8streamError('CONFIG_INVALID', `every namespace in source.namespaces (${included.join(', ')}) is also in source.excludeNamespaces: nothing would be watched`, {
      path: 'source.namespaces',
    });
  }
  const fieldSelector = selectors.length > 0 ? selectors.join(',') : undefined;
  return watched.map((ns) => ({ path: `${base}/namespaces/${encodeURIComponent(ns)}/events`, namespace: ns, fieldSelector }));
}

/** Escapes `\`, `,` and `=` in a field selector value, as the API server expects. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}
