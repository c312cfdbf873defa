export { createOps, coreVersion, transformErrorKind } from './ops.js';
export type { Ops, OpsConfig, OpsOptions } from './ops.js';
export { evaluateReadiness, SinkHealth } from './health.js';
export type { OpsPhase, Readiness, ReadinessInput, ReadinessThresholds } from './health.js';
export { kubeRequestLabels } from './kube-request.js';
export type { KubeResponseInfo, KubeRequestLabels } from './kube-request.js';
export { startHeartbeat, redactUrl } from './heartbeat.js';
export type { Heartbeat, HeartbeatOptions, HeartbeatPayload } from './heartbeat.js';
