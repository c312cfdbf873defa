import { describe, expect, it } from 'vitest';
import { K8streamError } from '../../errors.js';
import { escapeFieldValue, planWatches } from './plan.js';

const base = { api: 'core/v1' as const, namespaces: [], excludeNamespaces: [], types: [], reasons: [], kinds: [] };

describe('planWatches', () => {
  it('watches every namespace by default, with nothing filtered', () => {
    expect(planWatches(base)).toEqual([{ path: '/api/v1/events', namespace: null, fieldSelector: undefined }]);
  });

  it('pushes single values and exclusions down as field selectors', () => {
    expect(planWatches({ ...base, types: ['Warning'], reasons: ['BackOff'], kinds: ['Pod'], excludeNamespaces: ['kube-system', 'ops'] })).toEqual([
      {
        path: '/api/v1/events',
        namespace: null,
        fieldSelector: 'type=Warning,reason=BackOff,involvedObject.kind=Pod,metadata.namespace!=kube-system,metadata.namespace!=ops',
      },
    ]);
  });

  it('leaves lists of several values to the client-side filter', () => {
    expect(planWatches({ ...base, types: ['Normal', 'Warning'], reasons: ['A', 'B'] })[0]!.fieldSelector).toBeUndefined();
  });

  it('uses one namespaced watch per included namespace', () => {
    expect(planWatches({ ...base, namespaces: ['shop', 'payments', 'shop'], excludeNamespaces: ['payments'], kinds: ['Pod'] })).toEqual([
      { path: '/api/v1/namespaces/shop/events', namespace: 'shop', fieldSelector: 'involvedObject.kind=Pod' },
    ]);
  });

  it('uses events.k8s.io/v1 paths and field names', () => {
    expect(planWatches({ ...base, api: 'events.k8s.io/v1', kinds: ['Node'], namespaces: ['a'] })).toEqual([
      { path: '/apis/events.k8s.io/v1/namespaces/a/events', namespace: 'a', fieldSelector: 'regarding.kind=Node' },
    ]);
  });

  it('refuses a config that watches nothing', () => {
    expect(() => planWatches({ ...base, namespaces: ['a'], excludeNamespaces: ['a'] })).toThrow(K8streamError);
  });

  it('escapes field selector values', () => {
    expect(escapeFieldValue('a,b=c\\d')).toBe('a\\,b\\=c\\\\d');
  });
});
