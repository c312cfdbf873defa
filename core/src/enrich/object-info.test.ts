import { describe, expect, it } from 'vitest';
import { ownerReferences, stringMap, toObjectInfo } from './object-info.js';

describe('toObjectInfo', () => {
  it('keeps what a pod lookup needs', () => {
    const pod = {
      metadata: {
        uid: 'p1',
        labels: { app: 'web', bad: 3 },
        annotations: { note: 'x', 'kubectl.kubernetes.io/last-applied-configuration': '{"big":true}' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f', uid: 'rs1', controller: true }, { kind: 'NoName' }],
      },
      spec: { nodeName: 'worker-1', containers: [{ name: 'web' }] },
      status: { podIP: '10.244.0.5', hostIP: '10.0.0.10', phase: 'Running', startTime: '2026-01-02T03:04:05Z' },
    };
    expect(toObjectInfo('Pod', pod)).toEqual({
      uid: 'p1',
      labels: { app: 'web' },
      annotations: { note: 'x' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f', uid: 'rs1', controller: true }],
      pod: { nodeName: 'worker-1', ip: '10.244.0.5', hostIP: '10.0.0.10', phase: 'Running', startTime: '2026-01-02T03:04:05.000Z' },
    });
  });

  it('a pending pod has empty IPs and no start time', () => {
    expect(toObjectInfo('Pod', { metadata: { uid: 'p' }, status: { phase: 'Pending' } }).pod).toEqual({ nodeName: '', ip: '', hostIP: '', phase: 'Pending', startTime: null });
  });

  it('keeps node addresses', () => {
    const node = { metadata: { uid: 'n' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.10' }, { type: 'Hostname', address: 'worker-1' }, 'junk'] } };
    expect(toObjectInfo('Node', node).addresses).toEqual([
      { type: 'InternalIP', address: '10.0.0.10' },
      { type: 'Hostname', address: 'worker-1' },
    ]);
  });

  it('tolerates junk', () => {
    expect(toObjectInfo('Deployment', null)).toEqual({ uid: '', labels: {}, annotations: {}, ownerReferences: [] });
    expect(stringMap([1, 2])).toEqual({});
    expect(ownerReferences({ ownerReferences: 'x' })).toEqual([]);
  });
});
