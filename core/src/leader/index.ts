/** Leader election on a coordination.k8s.io/v1 Lease (not wired into the runtime yet). */
export { createLeaderElector } from './elector.js';
export type { LeaderElector, LeaderElectorOptions } from './elector.js';
export { STATE_ANNOTATION, microTime } from './lease.js';
export type { Lease, LeaseSpec, LeaseRef } from './lease.js';
