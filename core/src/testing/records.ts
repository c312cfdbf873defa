/** Deterministic sample records for sink tests. */
import { RECORD_SCHEMA, emptyEnrichment } from '../record/types.js';
import type { EventRecord } from '../record/types.js';

/** 2026-01-02T03:04:05.000Z: sample record `i` happens `i` seconds later. */
export const SAMPLE_BASE_TIME = Date.UTC(2026, 0, 2, 3, 4, 5);

const REASONS = ['Scheduled', 'Pulling', 'BackOff', 'Unhealthy', 'OOMKilling'] as const;

/**
 * A realistic, valid `k8stream.event/v1` record, the same for the same `i`. Every fifth record is
 * a Warning whose message has a newline, quotes and non-ASCII text, so sinks are tested with the
 * characters real events carry.
 */
export function sampleRecord(i: number, overrides: Partial<EventRecord> = {}): EventRecord {
  const uid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const resourceVersion = String(1000 + i);
  const time = new Date(SAMPLE_BASE_TIME + i * 1000).toISOString();
  const warning = i % 5 === 2;
  const pod = `web-7d9f8c6b5-${String(i % 97).padStart(5, 'x')}`;
  const enrichment = emptyEnrichment();
  enrichment.labels = { app: 'web', 'pod-template-hash': '7d9f8c6b5' };
  enrichment.workload = { kind: 'Deployment', name: 'web', uid: 'deploy-uid-1', apiVersion: 'apps/v1' };
  enrichment.owners = [{ kind: 'ReplicaSet', name: 'web-7d9f8c6b5', uid: 'rs-uid-1', apiVersion: 'apps/v1' }, enrichment.workload];
  return {
    schema: RECORD_SCHEMA,
    id: `${uid}:${resourceVersion}`,
    cluster: 'test-cluster',
    uid,
    resourceVersion,
    firstTimestamp: time,
    lastTimestamp: time,
    eventTime: null,
    count: 1 + (i % 3),
    type: warning ? 'Warning' : 'Normal',
    reason: REASONS[i % REASONS.length]!,
    message: warning
      ? `Back-off restarting failed container "app" in pod ${pod}\nlast state: terminated (exit 137) — Größe ✓ 🚀`
      : `Successfully assigned shop/${pod} to node-${i % 3}`,
    action: 'ADDED',
    namespace: 'shop',
    involvedObject: { kind: 'Pod', name: pod, namespace: 'shop', uid: `pod-uid-${i}`, apiVersion: 'v1', fieldPath: '' },
    source: { component: 'kubelet', host: `node-${i % 3}` },
    reportingController: 'kubelet',
    reportingInstance: `node-${i % 3}`,
    apiVersion: 'v1',
    eventAction: '',
    related: null,
    series: null,
    enrichment,
    ...overrides,
  };
}

/** `count` sample records starting at `from`. */
export function sampleRecords(count: number, from = 0): EventRecord[] {
  return Array.from({ length: count }, (_, k) => sampleRecord(from + k));
}
