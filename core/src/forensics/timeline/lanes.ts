/**
 * Lanes: one per object on the timeline, each record drawn on its object's lane, and the
 * lanes in reading order — the service, then each workload group (the workload, its owners,
 * its pods by first event), then the nodes.
 */
import type { Lane, TimelineEvent } from '../types.js';
import { objectKey } from './structure.js';
import type { ObjectRef, Structure } from './structure.js';
import type { TimelineRow } from './select.js';

/** The group key of node lanes. */
export const NODES_GROUP = 'nodes';
/** The group key of the service lane and its Endpoints/EndpointSlices. */
export const SERVICE_GROUP = 'service';

/** Lanes (sorted) and the records on them (time order, ties by id). */
export function layOut(structure: Structure, rows: readonly TimelineRow[]): { lanes: Lane[]; events: TimelineEvent[] } {
  const lanes = new Map<string, Lane>();
  const add = (ref: ObjectRef, role: Lane['role'], group: string | null): Lane => {
    const key = objectKey(ref.kind, ref.namespace, ref.name);
    let lane = lanes.get(key);
    if (!lane) {
      lane = { key, role, kind: ref.kind, namespace: ref.kind === 'Node' ? '' : ref.namespace, name: ref.name, group: group ?? key };
      lanes.set(key, lane);
    }
    return lane;
  };

  const { subject } = structure;
  if (subject.kind === 'service') add({ kind: 'Service', namespace: subject.namespace, name: subject.name }, 'service', SERVICE_GROUP);
  for (const [key, ref] of structure.groups) add(ref, 'workload', key);
  for (const owner of structure.owners.values()) add(owner, 'owner', owner.group);
  for (const pod of structure.podGroup.values()) add(pod, 'pod', pod.group);
  for (const node of structure.nodes) add({ kind: 'Node', namespace: '', name: node }, 'node', NODES_GROUP);

  const events: TimelineEvent[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    const lane = laneOf(row, structure, lanes, add);
    events.push({
      id: row.id,
      time: iso(row.timeMs),
      firstTime: iso(row.firstMs),
      type: row.type,
      reason: row.reason,
      message: row.message,
      count: row.count,
      lane: lane.key,
    });
  }
  events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { lanes: events.length === 0 ? [] : sortLanes([...lanes.values()], events), events };
}

function laneOf(row: TimelineRow, structure: Structure, lanes: Map<string, Lane>, add: (ref: ObjectRef, role: Lane['role'], group: string | null) => Lane): Lane {
  const ref: ObjectRef = { kind: row.kind, namespace: row.namespace, name: row.name };
  const known = lanes.get(objectKey(row.kind, row.namespace, row.name));
  if (known) return known;
  if (row.kind === 'Node') return add(ref, 'node', NODES_GROUP);
  if (row.kind === 'Pod') return add(ref, 'pod', null);
  if (structure.subject.kind === 'service' && (row.kind === 'Endpoints' || row.kind === 'EndpointSlice')) return add(ref, 'other', SERVICE_GROUP);
  // An object found through its owner chain (a ReplicaSet of the workload that has no pods).
  const chain = [...(row.workload ? [row.workload] : []), ...row.owners].map((o) => objectKey(o.kind, row.namespace, o.name));
  const group = chain.find((key) => structure.groups.has(key));
  return group !== undefined ? add(ref, 'owner', group) : add(ref, 'other', null);
}

const ROLE_ORDER: Record<Lane['role'], number> = { service: 0, workload: 1, owner: 2, pod: 3, other: 4, node: 5 };

/** Service lanes first, then workload groups by their first event, then nodes by name. */
function sortLanes(lanes: Lane[], events: readonly TimelineEvent[]): Lane[] {
  const firstOf = new Map<string, string>();
  for (const e of events) if (!firstOf.has(e.lane)) firstOf.set(e.lane, e.time);
  const groupFirst = new Map<string, string>();
  for (const lane of lanes) {
    const first = firstOf.get(lane.key);
    const current = groupFirst.get(lane.group);
    if (first !== undefined && (current === undefined || first < current)) groupFirst.set(lane.group, first);
  }
  const section = (l: Lane) => (l.group === SERVICE_GROUP ? 0 : l.group === NODES_GROUP ? 2 : 1);
  const byTime = (a: string | undefined, b: string | undefined) => (a === b ? 0 : a === undefined ? 1 : b === undefined ? -1 : a < b ? -1 : 1);
  return lanes.sort(
    (a, b) =>
      section(a) - section(b) ||
      (section(a) === 1 ? byTime(groupFirst.get(a.group), groupFirst.get(b.group)) || cmp(a.group, b.group) : 0) ||
      // The lane heading a group first, whatever its role.
      Number(b.key === b.group) - Number(a.key === a.group) ||
      ROLE_ORDER[a.role] - ROLE_ORDER[b.role] ||
      (a.role === 'node' ? 0 : byTime(firstOf.get(a.key), firstOf.get(b.key))) ||
      cmp(a.key, b.key),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
