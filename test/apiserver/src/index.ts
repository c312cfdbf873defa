/**
 * @k8stream/apiserver-double — a Kubernetes API-server test double for k8stream's tests,
 * benchmarks and demo. Start one with {@link startApiServer}; drive its state through
 * `server.store`, its failures through `server.faults`, and read its traffic from `server.stats`.
 */
export { startApiServer, type ApiServerDouble, type ApiServerOptions } from './server.js';
export { Store, kubeTime, type StoreOptions, type StoredObject, type Change, type ChangeType, type ObjectRef, type Preconditions } from './store.js';
export { Faults, matchesRequest, type Fault, type FaultMatcher, type FaultRule, type FaultHandle, type RequestInfo, type Verb } from './faults.js';
export { Stats, type RequestCount, type RequestFilter, type WatchRecord } from './stats.js';
export { FaultStorm, type ScheduledFault, type StormOptions, type AppliedFault, type LiveRequests } from './storm.js';
export { randomFaultSchedule, faultLabel, type RandomScheduleOptions, type RandomSchedule } from './random-schedule.js';
export { Rbac, type DenyRule } from './auth.js';
export { ApiError, status, type Status, type StatusReason, type StatusDetails } from './status.js';
export { RESOURCE_TYPES, resolveResource, resourceId, apiVersionOf, type ResourceType } from './resources.js';
export { compileLabelSelector, compileFieldSelector, matchesLabelMap, type KubeObject, type Predicate } from './selectors.js';
export { toEventsV1, fromEventsV1 } from './events-v1.js';
export { kubeconfigText, type KubeconfigOptions } from './kubeconfig.js';
export { tlsMaterial, type TlsMaterial } from './tls.js';
export { encodeContinue, decodeContinue } from './list.js';
export { createClusterSimulation, type ClusterSimulation, type SimulationOptions, type SimulatedPod, type WorkloadRef, type TickResult, type RunOptions } from './simulate.js';
export {
  createIncidentStory,
  laneKey,
  STORY_START,
  type IncidentStory,
  type StoryOptions,
  type StoryWrite,
  type StoryThread,
  type ExpectedStory,
  type ExpectedLane,
  type ExpectedFold,
} from './story.js';
export { Rng } from './rng.js';
