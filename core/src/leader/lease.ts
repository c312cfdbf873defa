/**
 * The `coordination.k8s.io/v1` Lease object and the few REST calls leader election needs:
 * get (absent → null), create, and update with optimistic concurrency (the object's
 * `metadata.resourceVersion` travels with the PUT, so a stale write gets 409 Conflict).
 */
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/api-error.js';

/** Annotation holding the small shared state string (see `LeaderElector.writeState`). */
export const STATE_ANNOTATION = 'k8stream.io/state';

/** The election fields of a Lease's `spec` (client-go's LeaderElectionRecord). */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime (`2026-01-01T00:00:00.000000Z`). */
  acquireTime?: string;
  /** MicroTime (`2026-01-01T00:00:00.000000Z`). */
  renewTime?: string;
  leaseTransitions?: number;
}

/** A Lease as raw JSON: unknown fields are kept and written back unchanged. */
export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec?: LeaseSpec;
  [key: string]: unknown;
}

/** Where a lease lives. */
export interface LeaseRef {
  namespace: string;
  name: string;
}

/** API path of the namespace's lease collection. */
export function leasesPath(namespace: string): string {
  return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
}

/** API path of one lease. */
export function leasePath(ref: LeaseRef): string {
  return `${leasesPath(ref.namespace)}/${encodeURIComponent(ref.name)}`;
}

/**
 * Formats epoch milliseconds as a Kubernetes MicroTime: RFC 3339 with exactly six fractional
 * digits, which is what the API server's parser expects.
 */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** True when `err` is an HTTP answer with this status. */
export function isStatus(err: unknown, status: number): boolean {
  return err instanceof KubeApiError && err.kind === 'http' && err.status === status;
}

function asLease(value: unknown, what: string): Lease {
  if (typeof value !== 'object' || value === null || typeof (value as { metadata?: unknown }).metadata !== 'object' || (value as { metadata?: unknown }).metadata === null) {
    throw new KubeApiError(`${what}: the answer is not a Lease object`, {
      kind: 'protocol',
      status: 200,
      reason: 'InvalidObject',
      retryAfterMs: null,
      request: { verb: 'get', resource: 'leases', groupVersion: 'coordination.k8s.io/v1', namespace: null, name: null },
    });
  }
  return value as Lease;
}

/** Reads a lease; `null` when it does not exist (404). */
export async function getLease(client: KubeClient, ref: LeaseRef, signal?: AbortSignal): Promise<Lease | null> {
  try {
    return asLease(await client.getJSON(leasePath(ref), {}, signal), `lease ${ref.namespace}/${ref.name}`);
  } catch (err) {
    if (isStatus(err, 404)) return null;
    throw err;
  }
}

/** Creates a lease (409 AlreadyExists when someone else created it first). */
export async function createLease(client: KubeClient, ref: LeaseRef, spec: LeaseSpec, annotations: Record<string, string> | undefined, signal?: AbortSignal): Promise<Lease> {
  const body: Lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: ref.name, namespace: ref.namespace, ...(annotations !== undefined ? { annotations } : {}) },
    spec,
  };
  return asLease(await client.requestJSON('POST', leasesPath(ref.namespace), body, {}, signal), `lease ${ref.namespace}/${ref.name}`);
}

/** Replaces a lease; its `metadata.resourceVersion` must be current, else 409 Conflict. */
export async function updateLease(client: KubeClient, ref: LeaseRef, lease: Lease, signal?: AbortSignal): Promise<Lease> {
  return asLease(await client.requestJSON('PUT', leasePath(ref), lease, {}, signal), `lease ${ref.namespace}/${ref.name}`);
}

/** The election fields of a lease, in a fixed order, for change detection. */
export function specKey(spec: LeaseSpec | undefined): string {
  const s = spec ?? {};
  return JSON.stringify([s.holderIdentity ?? '', s.leaseDurationSeconds ?? 0, s.acquireTime ?? '', s.renewTime ?? '', s.leaseTransitions ?? 0]);
}
