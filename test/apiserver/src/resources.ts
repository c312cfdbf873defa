/**
 * The resource types the double serves: group, version, plural, kind, scope, and which field
 * selectors each accepts (the real API server rejects any other field label with 400).
 */
import { ApiError, status } from './status.js';

/** One served resource type. */
export interface ResourceType {
  /** API group; `''` for the core group. */
  group: string;
  version: string;
  /** Lower-case plural used in URLs (`events`, `leases`). */
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: readonly string[];
  /** Field labels accepted by `fieldSelector` (besides `metadata.name` / `metadata.namespace`). */
  fields: readonly string[];
  /**
   * Objects of this type live in another type's storage, converted on the way in and out
   * (events.k8s.io/v1 events are stored as core/v1 events, as in the real server).
   */
  storedAs?: string;
}

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] as const;

/** Verbs advertised in discovery for every resource. */
export const RESOURCE_VERBS: readonly string[] = VERBS;

const EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

const EVENTS_V1_FIELDS = [
  'regarding.kind',
  'regarding.namespace',
  'regarding.name',
  'regarding.uid',
  'regarding.apiVersion',
  'regarding.resourceVersion',
  'regarding.fieldPath',
  'reason',
  'reportingController',
  'type',
];

function rt(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  shortNames: readonly string[] = [],
  fields: readonly string[] = [],
  storedAs?: string,
): ResourceType {
  const singular = kind.toLowerCase();
  const base = { group, version, plural, singular, kind, namespaced, shortNames, fields };
  return storedAs === undefined ? base : { ...base, storedAs };
}

/** Every resource type the double serves, in discovery order. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  rt('', 'v1', 'events', 'Event', true, ['ev'], EVENT_FIELDS),
  rt(
    '',
    'v1',
    'pods',
    'Pod',
    true,
    ['po'],
    ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  ),
  rt('', 'v1', 'services', 'Service', true, ['svc']),
  rt('', 'v1', 'endpoints', 'Endpoints', true, ['ep']),
  rt('', 'v1', 'nodes', 'Node', false, ['no'], ['spec.unschedulable']),
  rt('', 'v1', 'namespaces', 'Namespace', false, ['ns'], ['status.phase']),
  rt('', 'v1', 'configmaps', 'ConfigMap', true, ['cm']),
  rt('apps', 'v1', 'deployments', 'Deployment', true, ['deploy']),
  rt('apps', 'v1', 'replicasets', 'ReplicaSet', true, ['rs'], ['status.replicas']),
  rt('apps', 'v1', 'statefulsets', 'StatefulSet', true, ['sts']),
  rt('apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds']),
  rt('batch', 'v1', 'jobs', 'Job', true, [], ['status.successful']),
  rt('batch', 'v1', 'cronjobs', 'CronJob', true, ['cj']),
  rt('events.k8s.io', 'v1', 'events', 'Event', true, ['ev'], EVENTS_V1_FIELDS, 'events'),
  rt('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
];

/** `apiVersion` string of a type: `v1` or `apps/v1`. */
export function apiVersionOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** Stable id of a type, as kubectl spells it: `events` (core) or `events.events.k8s.io`. */
export function resourceId(t: ResourceType): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}

const BY_ID = new Map<string, ResourceType>();
const BY_PATH = new Map<string, ResourceType>();
for (const t of RESOURCE_TYPES) {
  BY_ID.set(resourceId(t), t);
  BY_PATH.set(`${t.group}/${t.version}/${t.plural}`, t);
}
// Convenience aliases for tests: unique plurals outside the core group resolve by plural alone.
for (const t of RESOURCE_TYPES) {
  if (t.group !== '' && !BY_ID.has(t.plural)) BY_ID.set(t.plural, t);
}

/**
 * Looks a type up by id: `pods`, `leases`, `deployments`, `events` (core/v1) or
 * `events.events.k8s.io`. Throws a 404 {@link ApiError} naming the id when unknown.
 */
export function resolveResource(id: string): ResourceType {
  const t = BY_ID.get(id);
  if (!t) {
    throw new ApiError(status(404, 'NotFound', `unknown resource "${id}" (known: ${[...BY_ID.keys()].sort().join(', ')})`));
  }
  return t;
}

/** Finds the type served at `/{api|apis/group}/{version}/{plural}`, or undefined. */
export function findResource(group: string, version: string, plural: string): ResourceType | undefined {
  return BY_PATH.get(`${group}/${version}/${plural}`);
}

/** Every distinct group/version served, core first. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Set<string>();
  const out: { group: string; version: string }[] = [];
  for (const t of RESOURCE_TYPES) {
    const k = `${t.group}/${t.version}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ group: t.group, version: t.version });
    }
  }
  return out;
}
