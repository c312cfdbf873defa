/**
 * Labels of an event's involved object, for `source.labelSelector`: fetched with a GET on the
 * object, cached for a short while (by object, checked against its uid), with concurrent
 * lookups of the same object shared. `null` means "unknown": the object is gone, its kind
 * cannot be mapped to a path, or the lookup failed.
 */
import type { KubeClient } from '../../kube/client.js';
import { KubeApiError } from '../../kube/api-error.js';

/** The involved object (`involvedObject` in core/v1, `regarding` in events.k8s.io/v1). */
export interface InvolvedRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

/** Resolves labels, or null when unknown. */
export type LabelsLookup = (ref: InvolvedRef, signal: AbortSignal) => Promise<Record<string, string> | null>;

export interface LabelsLookupOptions {
  /** How long a looked-up label set is reused. @default 30000 */
  ttlMs?: number;
  /** Cached objects at most (oldest dropped first). @default 10000 */
  maxEntries?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface LabelsLookupStats {
  requests: number;
  notFound: number;
  errors: number;
}

const IRREGULAR: Readonly<Record<string, string>> = { endpoints: 'endpoints', podmetrics: 'pods' };

/** The REST path of an object, or null when its kind or name is missing. */
export function objectPath(ref: InvolvedRef): string | null {
  if (ref.kind === '' || ref.name === '') return null;
  const version = ref.apiVersion === '' ? 'v1' : ref.apiVersion;
  const base = version.includes('/') ? `/apis/${version}` : `/api/${version}`;
  const ns = ref.namespace !== '' ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  return `${base}${ns}/${pluralOf(ref.kind)}/${encodeURIComponent(ref.name)}`;
}

/** `Pod` → `pods`, `Ingress` → `ingresses`, `NetworkPolicy` → `networkpolicies`. */
export function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  const irregular = IRREGULAR[k];
  if (irregular !== undefined) return irregular;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/** Creates a cached lookup over `client`. */
export function createLabelsLookup(client: KubeClient, options: LabelsLookupOptions = {}): LabelsLookup & { stats: LabelsLookupStats } {
  const ttl = options.ttlMs ?? 30_000;
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; uid: string; labels: Record<string, string> | null }>();
  const inflight = new Map<string, Promise<{ uid: string; labels: Record<string, string> | null }>>();
  const stats: LabelsLookupStats = { requests: 0, notFound: 0, errors: 0 };

  const fetchLabels = async (path: string, signal: AbortSignal): Promise<{ uid: string; labels: Record<string, string> | null }> => {
    stats.requests++;
    try {
      const obj = (await client.getJSON(path, {}, signal)) as { metadata?: { uid?: unknown; labels?: unknown } } | null;
      const labels = obj?.metadata?.labels;
      const clean: Record<string, string> = {};
      if (labels !== null && typeof labels === 'object') {
        for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') clean[k] = v;
      }
      return { uid: typeof obj?.metadata?.uid === 'string' ? obj.metadata.uid : '', labels: clean };
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) stats.notFound++;
      else stats.errors++;
      if (signal.aborted) throw err;
      return { uid: '', labels: null };
    }
  };

  const lookup = async (ref: InvolvedRef, signal: AbortSignal): Promise<Record<string, string> | null> => {
    const path = objectPath(ref);
    if (path === null) return null;
    const hit = cache.get(path);
    if (hit && now() - hit.at < ttl && (ref.uid === '' || hit.uid === '' || hit.uid === ref.uid)) return hit.labels;
    let pending = inflight.get(path);
    if (!pending) {
      pending = fetchLabels(path, signal).finally(() => inflight.delete(path));
      inflight.set(path, pending);
    }
    const got = await pending;
    // Unknown results are not cached: the next event about the object tries again.
    if (got.labels !== null) {
      cache.delete(path);
      cache.set(path, { at: now(), uid: got.uid, labels: got.labels });
      if (cache.size > max) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
    }
    // A different object with the same name (recreated): its labels say nothing about this one.
    if (got.labels !== null && ref.uid !== '' && got.uid !== '' && got.uid !== ref.uid) return null;
    return got.labels;
  };
  return Object.assign(lookup, { stats });
}
