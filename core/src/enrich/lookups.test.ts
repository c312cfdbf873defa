import { describe, expect, it } from 'vitest';
import { collectionPath, kindInfo, lookupLabel, parseApiVersion, pluralOf, podListPath, resolveLookup } from './lookups.js';

const ref = (apiVersion: string, kind: string, namespace: string, name: string) => ({ apiVersion, kind, namespace, name });

describe('resolveLookup', () => {
  it.each([
    [ref('v1', 'Pod', 'shop', 'web-1'), '/api/v1/namespaces/shop/pods/web-1', 'pod shop/web-1'],
    [ref('v1', 'Node', '', 'worker-1'), '/api/v1/nodes/worker-1', 'node worker-1'],
    [ref('v1', 'Service', 'shop', 'web'), '/api/v1/namespaces/shop/services/web', 'service shop/web'],
    [ref('apps/v1', 'ReplicaSet', 'shop', 'web-5d8f'), '/apis/apps/v1/namespaces/shop/replicasets/web-5d8f', 'replicaset shop/web-5d8f'],
    [ref('apps/v1', 'Deployment', 'shop', 'web'), '/apis/apps/v1/namespaces/shop/deployments/web', 'deployment shop/web'],
    [ref('apps/v1', 'StatefulSet', 'shop', 'db'), '/apis/apps/v1/namespaces/shop/statefulsets/db', 'statefulset shop/db'],
    [ref('apps/v1', 'DaemonSet', 'kube-system', 'agent'), '/apis/apps/v1/namespaces/kube-system/daemonsets/agent', 'daemonset kube-system/agent'],
    [ref('batch/v1', 'Job', 'shop', 'report-1'), '/apis/batch/v1/namespaces/shop/jobs/report-1', 'job shop/report-1'],
    [ref('batch/v1', 'CronJob', 'shop', 'report'), '/apis/batch/v1/namespaces/shop/cronjobs/report', 'cronjob shop/report'],
  ])('%o → %s', (r, path, label) => {
    expect(resolveLookup(r)).toEqual({ path, label, kind: r.kind });
  });

  it('asks known kinds at the version every cluster serves, whatever version the event names', () => {
    expect(resolveLookup(ref('batch/v1beta1', 'CronJob', 'shop', 'report'))?.path).toBe('/apis/batch/v1/namespaces/shop/cronjobs/report');
    expect(resolveLookup(ref('', 'Pod', 'shop', 'web-1'))?.path).toBe('/api/v1/namespaces/shop/pods/web-1');
  });

  it('a Node reference carrying a namespace still resolves cluster-scoped', () => {
    expect(resolveLookup(ref('v1', 'Node', 'default', 'worker-1'))?.path).toBe('/api/v1/nodes/worker-1');
  });

  it('falls back to the lower-case plural for other core, apps and batch kinds', () => {
    expect(resolveLookup(ref('v1', 'ConfigMap', 'shop', 'cfg'))?.path).toBe('/api/v1/namespaces/shop/configmaps/cfg');
    expect(resolveLookup(ref('v1', 'PersistentVolumeClaim', 'shop', 'data-db-0'))?.path).toBe('/api/v1/namespaces/shop/persistentvolumeclaims/data-db-0');
    expect(resolveLookup(ref('apps/v1', 'ControllerRevision', 'shop', 'db-1'))?.path).toBe('/apis/apps/v1/namespaces/shop/controllerrevisions/db-1');
    expect(resolveLookup(ref('v1', 'Endpoints', 'shop', 'web'))?.path).toBe('/api/v1/namespaces/shop/endpoints/web');
  });

  it('does not look up other groups, kinds of another group with a known name, or incomplete references', () => {
    expect(resolveLookup(ref('argoproj.io/v1alpha1', 'Rollout', 'shop', 'web'))).toBeUndefined();
    expect(resolveLookup(ref('example.com/v1', 'Deployment', 'shop', 'web'))).toBeUndefined();
    expect(resolveLookup(ref('v1', 'Pod', 'shop', ''))).toBeUndefined();
    expect(resolveLookup(ref('v1', 'Pod', '', 'web-1'))).toBeUndefined();
    expect(resolveLookup(ref('', '', 'shop', 'x'))).toBeUndefined();
    expect(resolveLookup(ref('', 'ConfigMap', 'shop', 'x'))).toBeUndefined();
  });

  it('escapes names in paths', () => {
    expect(resolveLookup(ref('v1', 'Pod', 'shop', 'a b/c'))?.path).toBe('/api/v1/namespaces/shop/pods/a%20b%2Fc');
  });
});

describe('helpers', () => {
  it('parseApiVersion', () => {
    expect(parseApiVersion('v1')).toEqual({ group: '', version: 'v1' });
    expect(parseApiVersion('apps/v1')).toEqual({ group: 'apps', version: 'v1' });
  });

  it('pluralOf', () => {
    expect(['ConfigMap', 'Policy', 'Ingress', 'Day', 'Box', 'Batch'].map(pluralOf)).toEqual(['configmaps', 'policies', 'ingresses', 'days', 'boxes', 'batches']);
  });

  it('kindInfo of a generic kind is namespaced when the reference has a namespace', () => {
    expect(kindInfo(ref('v1', 'PersistentVolumeClaim', 'shop', 'x'))?.namespaced).toBe(true);
    expect(kindInfo(ref('v1', 'ComponentStatus', '', 'x'))).toEqual({ group: '', version: 'v1', plural: 'componentstatuses', namespaced: false });
  });

  it('collectionPath and lookupLabel', () => {
    expect(collectionPath({ group: 'apps', version: 'v1', plural: 'deployments', namespaced: true }, '')).toBe('/apis/apps/v1/deployments');
    expect(lookupLabel('Node', '', 'worker-1')).toBe('node worker-1');
  });

  it('podListPath sorts the selector and escapes it', () => {
    expect(podListPath('shop', { tier: 'front', app: 'web' })).toBe('/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb%2Ctier%3Dfront');
  });
});
