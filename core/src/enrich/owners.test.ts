import { describe, expect, it } from 'vitest';
import type { Lookup } from './lookups.js';
import { MAX_OWNER_DEPTH, controllerRef, resolveOwnerChain, topWorkload } from './owners.js';
import type { ObjectInfo, RawOwnerRef } from './types.js';

const ownerRef = (kind: string, name: string, apiVersion = 'apps/v1', controller = true): RawOwnerRef => ({ apiVersion, kind, name, uid: `${kind}-${name}-uid`, controller });

const info = (ownerReferences: RawOwnerRef[] = []): ObjectInfo => ({ uid: 'x', labels: {}, annotations: {}, ownerReferences });

/** A fetcher over a map of path → info (or an error), counting calls. */
function fakeFetch(objects: Record<string, ObjectInfo | Error>) {
  const calls: string[] = [];
  const fetch = async (lookup: Lookup): Promise<ObjectInfo> => {
    calls.push(lookup.path);
    const o = objects[lookup.path];
    if (o === undefined) throw Object.assign(new Error('not found'), { status: 404 });
    if (o instanceof Error) throw o;
    return o;
  };
  return { fetch, calls };
}

describe('resolveOwnerChain', () => {
  it('Pod → ReplicaSet → Deployment', async () => {
    const { fetch, calls } = fakeFetch({
      '/apis/apps/v1/namespaces/shop/replicasets/web-5d8f': info([ownerRef('Deployment', 'web')]),
      '/apis/apps/v1/namespaces/shop/deployments/web': info(),
    });
    const chain = await resolveOwnerChain('shop', [ownerRef('ReplicaSet', 'web-5d8f')], fetch);
    expect(chain).toEqual({
      owners: [
        { kind: 'ReplicaSet', name: 'web-5d8f', uid: 'ReplicaSet-web-5d8f-uid', apiVersion: 'apps/v1' },
        { kind: 'Deployment', name: 'web', uid: 'Deployment-web-uid', apiVersion: 'apps/v1' },
      ],
      workload: { kind: 'Deployment', name: 'web', uid: 'Deployment-web-uid', apiVersion: 'apps/v1' },
      errors: [],
    });
    expect(calls).toEqual(['/apis/apps/v1/namespaces/shop/replicasets/web-5d8f', '/apis/apps/v1/namespaces/shop/deployments/web']);
  });

  it('Pod → Job → CronJob', async () => {
    const { fetch } = fakeFetch({
      '/apis/batch/v1/namespaces/shop/jobs/report-1': info([ownerRef('CronJob', 'report', 'batch/v1')]),
      '/apis/batch/v1/namespaces/shop/cronjobs/report': info(),
    });
    const chain = await resolveOwnerChain('shop', [ownerRef('Job', 'report-1', 'batch/v1')], fetch);
    expect(chain.owners.map((o) => o.kind)).toEqual(['Job', 'CronJob']);
    expect(chain.workload?.name).toBe('report');
  });

  it('follows the controller reference, not the first one', async () => {
    const { fetch, calls } = fakeFetch({ '/apis/apps/v1/namespaces/shop/statefulsets/db': info() });
    const refs = [ownerRef('ConfigMap', 'not-the-controller', 'v1', false), ownerRef('StatefulSet', 'db')];
    expect(controllerRef(refs)?.name).toBe('db');
    const chain = await resolveOwnerChain('shop', refs, fetch);
    expect(chain.owners.map((o) => o.name)).toEqual(['db']);
    expect(calls).toEqual(['/apis/apps/v1/namespaces/shop/statefulsets/db']);
  });

  it('without a controller reference, follows the first', () => {
    expect(controllerRef([ownerRef('A', 'a', 'v1', false), ownerRef('B', 'b', 'v1', false)])?.name).toBe('a');
    expect(controllerRef([])).toBeUndefined();
  });

  it('a failed owner lookup keeps the known owner, stops, and reports the lookup', async () => {
    const { fetch } = fakeFetch({});
    const chain = await resolveOwnerChain('shop', [ownerRef('ReplicaSet', 'web-5d8f')], fetch);
    expect(chain.owners.map((o) => o.name)).toEqual(['web-5d8f']);
    expect(chain.workload?.kind).toBe('ReplicaSet');
    expect(chain.errors).toEqual([{ lookup: 'replicaset shop/web-5d8f', message: 'not found (404)' }]);
  });

  it('an owner of a kind that is not looked up (a CRD) ends the chain and becomes the workload', async () => {
    const { fetch, calls } = fakeFetch({
      '/apis/apps/v1/namespaces/shop/replicasets/web-5d8f': info([ownerRef('Rollout', 'web', 'argoproj.io/v1alpha1')]),
    });
    const chain = await resolveOwnerChain('shop', [ownerRef('ReplicaSet', 'web-5d8f')], fetch);
    expect(chain.owners.map((o) => o.kind)).toEqual(['ReplicaSet', 'Rollout']);
    expect(chain.workload?.kind).toBe('Rollout');
    expect(calls).toHaveLength(1);
  });

  it('a mirror pod owned by its Node has no workload', async () => {
    const { fetch } = fakeFetch({ '/api/v1/nodes/worker-1': info() });
    const chain = await resolveOwnerChain('kube-system', [ownerRef('Node', 'worker-1', 'v1')], fetch);
    expect(chain.owners.map((o) => o.kind)).toEqual(['Node']);
    expect(chain.workload).toBeNull();
  });

  it('stops at a reference cycle and at the depth limit', async () => {
    const cyc = fakeFetch({
      '/apis/apps/v1/namespaces/shop/replicasets/a': info([ownerRef('ReplicaSet', 'b')]),
      '/apis/apps/v1/namespaces/shop/replicasets/b': info([ownerRef('ReplicaSet', 'a')]),
    });
    const chain = await resolveOwnerChain('shop', [ownerRef('ReplicaSet', 'a')], cyc.fetch);
    expect(chain.owners.map((o) => o.name)).toEqual(['a', 'b']);

    const deep: Record<string, ObjectInfo> = {};
    for (let i = 0; i < 20; i++) deep[`/apis/apps/v1/namespaces/shop/replicasets/r${i}`] = info([ownerRef('ReplicaSet', `r${i + 1}`)]);
    const long = await resolveOwnerChain('shop', [ownerRef('ReplicaSet', 'r0')], fakeFetch(deep).fetch);
    expect(long.owners).toHaveLength(MAX_OWNER_DEPTH);
  });

  it('no owners → empty chain, no workload', async () => {
    expect(await resolveOwnerChain('shop', [], fakeFetch({}).fetch)).toEqual({ owners: [], workload: null, errors: [] });
  });
});

describe('topWorkload', () => {
  it('picks the highest workload kind', () => {
    const o = (kind: string) => ({ kind, name: kind.toLowerCase(), uid: '', apiVersion: '' });
    expect(topWorkload([o('Job'), o('CronJob')])?.kind).toBe('CronJob');
    expect(topWorkload([o('ReplicaSet'), o('Deployment'), o('Rollout')])?.kind).toBe('Deployment');
    expect(topWorkload([o('ReplicaSet')])?.kind).toBe('ReplicaSet');
    expect(topWorkload([])).toBeNull();
  });
});
