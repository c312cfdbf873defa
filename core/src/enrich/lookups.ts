/**
 * Where an object lives in the API: resource paths for the kinds enrichment looks up (Pod,
 * ReplicaSet, Deployment, StatefulSet, DaemonSet, Job, CronJob, Node, Service) and a generic
 * fallback for other core, `apps` and `batch` kinds. Other groups (CRDs, …) are not looked up.
 */
import type { ObjectRef } from './types.js';

/** How one kind is served. */
export interface KindInfo {
  /** API group; `''` for core. */
  group: string;
  version: string;
  /** Resource name in the path (`replicasets`). */
  plural: string;
  namespaced: boolean;
}

/** The kinds enrichment knows, at the version it asks for (the one every supported cluster serves). */
export const KNOWN_KINDS: Readonly<Record<string, KindInfo>> = {
  Pod: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  Node: { group: '', version: 'v1', plural: 'nodes', namespaced: false },
  Service: { group: '', version: 'v1', plural: 'services', namespaced: true },
  Namespace: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  PersistentVolume: { group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false },
  Endpoints: { group: '', version: 'v1', plural: 'endpoints', namespaced: true },
  ReplicaSet: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  DaemonSet: { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true },
  Job: { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true },
  CronJob: { group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true },
};

/** Groups whose other kinds are looked up by the generic rule (lower-case plural of the kind). */
const FALLBACK_GROUPS = new Set(['', 'apps', 'batch']);

/** A resolved lookup of one object. */
export interface Lookup {
  /** API path of the object; also its cache key. */
  path: string;
  /** For `enrichment.errors` and logs: `pod shop/web-1`, `node worker-1`. */
  label: string;
  kind: string;
}

/** `apps/v1` → `{ group: 'apps', version: 'v1' }`; `v1` → `{ group: '', version: 'v1' }`. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The resource name of a kind by the usual English rule: `ConfigMap` → `configmaps`, `Policy` → `policies`. */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/**
 * How `ref`'s kind is served, or undefined when enrichment does not look it up. A known kind
 * with an empty apiVersion (older events) or its own group resolves to {@link KNOWN_KINDS};
 * another kind in the core, `apps` or `batch` group resolves by the generic rule (namespaced
 * when the reference has a namespace).
 */
export function kindInfo(ref: Pick<ObjectRef, 'apiVersion' | 'kind' | 'namespace'>): KindInfo | undefined {
  if (ref.kind === '') return undefined;
  const { group, version } = parseApiVersion(ref.apiVersion);
  const known = KNOWN_KINDS[ref.kind];
  if (known !== undefined) return ref.apiVersion === '' || group === known.group ? known : undefined;
  if (ref.apiVersion === '' || version === '' || !FALLBACK_GROUPS.has(group)) return undefined;
  return { group, version, plural: pluralOf(ref.kind), namespaced: ref.namespace !== '' };
}

/** The API path of a collection: `/api/v1/namespaces/shop/pods`, `/apis/apps/v1/deployments`, `/api/v1/nodes`. */
export function collectionPath(info: KindInfo, namespace: string): string {
  const root = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const scope = info.namespaced && namespace !== '' ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${scope}/${info.plural}`;
}

/** `pod shop/web-1`, `node worker-1`: how a lookup is named in errors (no secrets, just the object). */
export function lookupLabel(kind: string, namespace: string, name: string): string {
  return `${kind.toLowerCase()} ${namespace === '' ? name : `${namespace}/${name}`}`;
}

/**
 * The lookup of one referenced object, or undefined when it cannot or need not be looked up
 * (unknown kind, no name, a namespaced kind without a namespace).
 */
export function resolveLookup(ref: Pick<ObjectRef, 'apiVersion' | 'kind' | 'namespace' | 'name'>): Lookup | undefined {
  if (ref.name === '') return undefined;
  const info = kindInfo(ref);
  if (info === undefined) return undefined;
  if (info.namespaced && ref.namespace === '') return undefined;
  const namespace = info.namespaced ? ref.namespace : '';
  return {
    path: `${collectionPath(info, namespace)}/${encodeURIComponent(ref.name)}`,
    label: lookupLabel(ref.kind, namespace, ref.name),
    kind: ref.kind,
  };
}

/** The path listing the pods of `namespace` that match an equality `selector`. */
export function podListPath(namespace: string, selector: Readonly<Record<string, string>>): string {
  const labelSelector = Object.keys(selector)
    .sort()
    .map((key) => `${key}=${selector[key]!}`)
    .join(',');
  return `${collectionPath(KNOWN_KINDS.Pod!, namespace)}?labelSelector=${encodeURIComponent(labelSelector)}`;
}
