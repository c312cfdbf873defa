/**
 * Reduces a fetched Kubernetes object to what enrichment uses ({@link ObjectInfo}), so the
 * cache holds small values. Tolerant: missing or mistyped fields become empty values.
 */
import { normalizeTimestamp } from '../record/map.js';
import type { ObjectInfo, RawOwnerRef } from './types.js';

/**
 * Annotations left out of `enrichment.annotations`: `last-applied-configuration` is a copy of
 * the whole object as `kubectl apply` sent it (often kilobytes per event).
 */
export const DROPPED_ANNOTATIONS: readonly string[] = ['kubectl.kubernetes.io/last-applied-configuration'];

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function obj(value: unknown): Obj {
  return isObj(value) ? value : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The string entries of a string map (labels, annotations, selectors). */
export function stringMap(value: unknown, drop: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string' && !drop.includes(key)) out[key] = v;
  }
  return out;
}

/** The ownerReferences of an object's metadata that name a kind and a name. */
export function ownerReferences(metadata: unknown): RawOwnerRef[] {
  const refs = obj(metadata)['ownerReferences'];
  if (!Array.isArray(refs)) return [];
  const out: RawOwnerRef[] = [];
  for (const ref of refs) {
    if (!isObj(ref)) continue;
    const kind = str(ref['kind']);
    const name = str(ref['name']);
    if (kind === '' || name === '') continue;
    out.push({ apiVersion: str(ref['apiVersion']), kind, name, uid: str(ref['uid']), controller: ref['controller'] === true });
  }
  return out;
}

/** What enrichment keeps of a fetched object of `kind`. */
export function toObjectInfo(kind: string, raw: unknown): ObjectInfo {
  const o = obj(raw);
  const metadata = obj(o['metadata']);
  const info: ObjectInfo = {
    uid: str(metadata['uid']),
    labels: stringMap(metadata['labels']),
    annotations: stringMap(metadata['annotations'], DROPPED_ANNOTATIONS),
    ownerReferences: ownerReferences(metadata),
  };
  const spec = obj(o['spec']);
  const status = obj(o['status']);
  if (kind === 'Pod') {
    info.pod = {
      nodeName: str(spec['nodeName']),
      ip: str(status['podIP']),
      hostIP: str(status['hostIP']),
      phase: str(status['phase']),
      startTime: normalizeTimestamp(status['startTime']),
    };
  } else if (kind === 'Node') {
    const addresses = Array.isArray(status['addresses']) ? status['addresses'] : [];
    info.addresses = addresses.filter(isObj).map((a) => ({ type: str(a['type']), address: str(a['address']) }));
  }
  return info;
}
