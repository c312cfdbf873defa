/**
 * The owner chain of an object, following `ownerReferences` (the controller reference first)
 * up to the top: Pod → ReplicaSet → Deployment, Pod → Job → CronJob, Pod → StatefulSet,
 * Pod → DaemonSet. Each owner is fetched (through the caller's cache) to read its own owners.
 */
import type { OwnerRef } from '../record/types.js';
import { describeLookupError } from './lookup-error.js';
import { resolveLookup } from './lookups.js';
import type { Lookup } from './lookups.js';
import type { ObjectInfo, RawOwnerRef } from './types.js';

/** Kinds that count as the workload of a pod. */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

/** Owner kinds that are never a workload (a static pod's mirror is owned by its Node). */
const NOT_WORKLOADS: ReadonlySet<string> = new Set(['Node']);

/** Longest chain followed (guards against reference cycles and runaway operators). */
export const MAX_OWNER_DEPTH = 8;

/** Fetches one object (through a cache); rejects when the lookup fails. */
export type ObjectFetcher = (lookup: Lookup) => Promise<ObjectInfo>;

/** An owner chain and the lookups that failed while walking it. */
export interface OwnerChain {
  /** From the direct owner up to the top one. */
  owners: OwnerRef[];
  /** The top workload, else the top owner (unless it is a Node), else null. */
  workload: OwnerRef | null;
  errors: { lookup: string; message: string }[];
}

/** The reference to follow: the one marked `controller`, else the first. */
export function controllerRef(refs: readonly RawOwnerRef[]): RawOwnerRef | undefined {
  return refs.find((ref) => ref.controller) ?? refs[0];
}

/**
 * Walks the owner chain of an object in `namespace` whose ownerReferences are `refs`. An owner
 * of a kind that is not looked up (a CRD) ends the chain but is still listed; a failed owner
 * lookup ends the chain and is reported in `errors`.
 */
export async function resolveOwnerChain(namespace: string, refs: readonly RawOwnerRef[], fetch: ObjectFetcher): Promise<OwnerChain> {
  const owners: OwnerRef[] = [];
  const errors: OwnerChain['errors'] = [];
  const seen = new Set<string>();
  let next = controllerRef(refs);
  while (next !== undefined && owners.length < MAX_OWNER_DEPTH) {
    const key = next.uid !== '' ? next.uid : `${next.kind}/${next.name}`;
    if (seen.has(key)) break;
    seen.add(key);
    owners.push({ kind: next.kind, name: next.name, uid: next.uid, apiVersion: next.apiVersion });
    const lookup = resolveLookup({ apiVersion: next.apiVersion, kind: next.kind, namespace, name: next.name });
    if (lookup === undefined) break;
    let info: ObjectInfo;
    try {
      info = await fetch(lookup);
    } catch (err) {
      errors.push({ lookup: lookup.label, message: describeLookupError(err) });
      break;
    }
    next = controllerRef(info.ownerReferences);
  }
  return { owners, workload: topWorkload(owners), errors };
}

/** The highest owner of a workload kind; else the top owner unless it is a Node; else null. */
export function topWorkload(owners: readonly OwnerRef[]): OwnerRef | null {
  for (let i = owners.length - 1; i >= 0; i--) {
    if (WORKLOAD_KINDS.has(owners[i]!.kind)) return owners[i]!;
  }
  const top = owners[owners.length - 1];
  return top !== undefined && !NOT_WORKLOADS.has(top.kind) ? top : null;
}
