/**
 * The marker record of a watch gap: a synthetic core/v1 Event that travels through the
 * pipeline like any event, so archives show where events may be missing. Its uid is
 * deterministic (`k8stream-gap-<from>-<to>`, with the namespace for a namespaced watch), so a
 * replayed gap yields the same record id.
 */
import type { KubeObject } from '../../kube/listwatch.js';

export interface GapMarkerOptions {
  fromResourceVersion: string;
  toResourceVersion: string;
  /** Why the watch could not resume. */
  cause: 'expired' | 'empty';
  /** The cluster name (`cluster` in the config); the marker's involved object is named after it. */
  cluster: string;
  /** Namespace of a namespaced watch; null for a cluster-wide one. */
  namespace: string | null;
  now: Date;
}

/** Builds the marker Event (core/v1 shape, string timestamps). */
export function gapMarkerEvent(o: GapMarkerOptions): KubeObject {
  const range = `${o.fromResourceVersion}-${o.toResourceVersion}`;
  const uid = o.namespace === null ? `k8stream-gap-${range}` : `k8stream-gap-${o.namespace}-${range}`;
  const time = o.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const why =
    o.cause === 'expired'
      ? `the watch could not resume from resourceVersion ${o.fromResourceVersion} (410 Gone: the server no longer has that history)`
      : `the watch from resourceVersion ${o.fromResourceVersion} kept answering empty (its history is probably gone)`;
  const scope = o.namespace === null ? '' : ` in namespace ${o.namespace}`;
  const metadata: Record<string, unknown> = { name: `k8stream-gap.${range}`, uid, resourceVersion: o.toResourceVersion, creationTimestamp: time };
  if (o.namespace !== null) metadata['namespace'] = o.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata,
    involvedObject: {
      kind: 'K8stream',
      name: o.cluster !== '' ? o.cluster : 'k8stream',
      apiVersion: 'k8stream.io/v1',
      ...(o.namespace !== null ? { namespace: o.namespace } : {}),
    },
    reason: 'WatchGap',
    type: 'Warning',
    message:
      `${why}; k8stream re-listed at resourceVersion ${o.toResourceVersion}${scope}. ` +
      `Events that still exist were delivered; events created and deleted, and intermediate recurrences, between resourceVersion ${o.fromResourceVersion} and ${o.toResourceVersion} may be missing.`,
    source: { component: 'k8stream' },
    reportingComponent: 'k8stream',
    reportingInstance: '',
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}
