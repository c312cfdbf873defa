/** Leader election on a coordination.k8s.io/v1 Lease, and how the runtime configures it (`leadership.ts`). */
export { createLeaderElector } from './elector.js';
export type { LeaderElector, LeaderElectorOptions } from './elector.js';
export { STATE_ANNOTATION, microTime } from './lease.js';
export type { Lease, LeaseSpec, LeaseRef } from './lease.js';
export { createLeadership, leaseIdentity, leaseNamespace } from './leadership.js';
export type { Leadership } from './leadership.js';
