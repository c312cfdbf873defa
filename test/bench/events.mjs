// Synthetic but realistic core/v1 Events (~1.2 KB each) for benchmarks.
const REASONS = [
  ['Normal', 'Scheduled', 'Successfully assigned {ns}/{pod} to node-{n}'],
  ['Normal', 'Pulled', 'Container image "registry.example.com/shop/{app}:1.{n}.3" already present on machine and can be accessed by the pod'],
  ['Warning', 'BackOff', 'Back-off restarting failed container {app} in pod {pod}_{ns}({uid})'],
  ['Warning', 'Unhealthy', 'Readiness probe failed: Get "http://10.1.{n}.7:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'],
  ['Normal', 'Started', 'Started container {app}'],
];

/** The i-th benchmark event as a plain object. */
export function benchEvent(i, baseMs = Date.UTC(2026, 10, 27, 12, 0, 0)) {
  const [type, reason, tpl] = REASONS[i % REASONS.length];
  const ns = `team-${i % 7}`;
  const app = `app-${i % 23}`;
  const pod = `${app}-7d9f8c6b5-${(i % 997).toString(36).padStart(5, 'x')}`;
  const uid = `0b7c1f2e-${(i >>> 16).toString(16).padStart(4, '0')}-4c1d-9e7a-${i.toString(16).padStart(12, '0')}`;
  const ts = new Date(baseMs + i * 10).toISOString().replace(/\.\d+Z$/, 'Z');
  const message = tpl
    .replaceAll('{ns}', ns)
    .replaceAll('{pod}', pod)
    .replaceAll('{app}', app)
    .replaceAll('{n}', String(i % 50))
    .replaceAll('{uid}', uid);
  return {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: {
      name: `${pod}.18a${i.toString(16).padStart(13, '0')}`,
      namespace: ns,
      uid,
      resourceVersion: String(1000 + i),
      creationTimestamp: ts,
      managedFields: [
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'v1',
          time: ts,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:count': {},
            'f:firstTimestamp': {},
            'f:involvedObject': {},
            'f:lastTimestamp': {},
            'f:message': {},
            'f:reason': {},
            'f:source': { 'f:component': {}, 'f:host': {} },
            'f:type': {},
          },
        },
      ],
    },
    involvedObject: {
      kind: 'Pod',
      namespace: ns,
      name: pod,
      uid: `5f1e2d3c-${(i % 997).toString(16).padStart(4, '0')}-4a5b-8c7d-0e1f2a3b4c5d`,
      apiVersion: 'v1',
      resourceVersion: String(500 + (i % 997)),
      fieldPath: `spec.containers{${app}}`,
    },
    reason,
    message,
    source: { component: 'kubelet', host: `node-${i % 50}` },
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1 + (i % 5),
    type,
    eventTime: null,
    reportingComponent: 'kubelet',
    reportingInstance: `node-${i % 50}`,
  };
}
