/**
 * The shape of a timeline, worked out from the records of the subject's pods: which workload
 * each pod is grouped under, the owners between them (ReplicaSet → Deployment, Job → CronJob),
 * the nodes the pods ran on — and from that, which other objects' records to fetch.
 */
import type { Subject } from '../types.js';
import type { ObjectQuery, PodSummary } from './select.js';

/** The lane key of an object: `Kind/namespace/name`, `Node/name` for nodes. */
export function objectKey(kind: string, namespace: string, name: string): string {
  return kind === 'Node' ? `Node/${name}` : `${kind}/${namespace}/${name}`;
}

/** An object named by kind, namespace and name. */
export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface Structure {
  subject: Subject;
  /** Pod key → the key of the workload group it is drawn under (its own key when it has no owner). */
  podGroup: Map<string, ObjectRef & { group: string }>;
  /** The workloads heading a group (a Deployment, a StatefulSet, a bare ReplicaSet…), by key. */
  groups: Map<string, ObjectRef>;
  /** Owners between pods and their workload (ReplicaSets, Jobs), by key, with their group. */
  owners: Map<string, ObjectRef & { group: string }>;
  /** Names of the nodes on the timeline. */
  nodes: Set<string>;
}

/** Works out groups, owners and nodes from what the pods' records say. */
export function structureOf(subject: Subject, pods: readonly PodSummary[]): Structure {
  const structure: Structure = { subject, podGroup: new Map(), groups: new Map(), owners: new Map(), nodes: new Set() };
  if (subject.kind === 'node') structure.nodes.add(subject.name);
  const subjectRef: ObjectRef | null = subject.kind === 'workload' ? { kind: subject.workloadKind, namespace: subject.namespace, name: subject.name } : null;
  if (subjectRef) structure.groups.set(objectKey(subjectRef.kind, subjectRef.namespace, subjectRef.name), subjectRef);

  for (const summary of pods) {
    const pod: ObjectRef = { kind: 'Pod', namespace: summary.namespace, name: summary.name };
    const podKey = objectKey('Pod', pod.namespace, pod.name);
    const { chain, workload } = summary;
    const ref = (o: { kind: string; name: string }): ObjectRef => ({ kind: o.kind, namespace: pod.namespace, name: o.name });
    let group: ObjectRef;
    let between: { kind: string; name: string }[];
    if (subjectRef) {
      group = subjectRef;
      const at = chain.findIndex((o) => o.kind === subjectRef.kind && o.name === subjectRef.name);
      between = at >= 0 ? chain.slice(0, at) : chain.filter((o) => !(workload && o.kind === workload.kind && o.name === workload.name));
    } else {
      const top = workload ?? chain[chain.length - 1];
      group = top ? ref(top) : pod;
      between = top ? chain.filter((o) => !(o.kind === top.kind && o.name === top.name)) : [];
    }
    const groupKey = objectKey(group.kind, group.namespace, group.name);
    structure.podGroup.set(podKey, { ...pod, group: groupKey });
    if (group !== pod) structure.groups.set(groupKey, group);
    // A node's timeline shows the pods that ran on it, not their owners' events.
    if (subject.kind !== 'node') {
      for (const o of between) structure.owners.set(objectKey(o.kind, pod.namespace, o.name), { ...ref(o), group: groupKey });
      for (const node of summary.nodes) structure.nodes.add(node);
    }
  }
  return structure;
}

/** Which other objects' records belong on the timeline. */
export function objectQuery(structure: Structure): ObjectQuery {
  const { subject } = structure;
  const owners = [...structure.owners.keys()];
  const nodes = [...structure.nodes];
  switch (subject.kind) {
    case 'service': {
      const groups = [...structure.groups.keys()];
      return {
        objects: [objectKey('Service', subject.namespace, subject.name), objectKey('Endpoints', subject.namespace, subject.name), ...groups, ...owners],
        nodes,
        under: groups,
        slicesOf: { namespace: subject.namespace, name: subject.name },
      };
    }
    case 'workload': {
      const key = objectKey(subject.workloadKind, subject.namespace, subject.name);
      return { objects: [key, ...owners], nodes, under: [key] };
    }
    case 'node':
      return { objects: [], nodes, under: [] };
  }
}
