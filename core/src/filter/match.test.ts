import { describe, expect, it } from 'vitest';
import { toRecord } from '../record/map.js';
import type { EventRecord } from '../record/types.js';
import { createMatcher, createSourceFilter, matchesEverything } from './match.js';

function rec(over: { namespace?: string; type?: string; reason?: string; kind?: string; count?: number } = {}): EventRecord {
  return toRecord(
    {
      metadata: { uid: 'u', resourceVersion: '1', namespace: over.namespace ?? 'shop' },
      involvedObject: { kind: over.kind ?? 'Pod', name: 'p' },
      type: over.type ?? 'Normal',
      reason: over.reason ?? 'Started',
      count: over.count ?? 1,
    },
    { cluster: 'c', action: 'ADDED' },
  );
}

const noCriteria = { namespaces: [], excludeNamespaces: [], types: [], reasons: [], kinds: [] };

describe('createMatcher', () => {
  it('matches everything when every list is empty or absent', () => {
    expect(createMatcher(noCriteria)(rec())).toBe(true);
    expect(createMatcher({})(rec({ namespace: 'kube-system', type: 'Warning' }))).toBe(true);
    expect(matchesEverything(noCriteria)).toBe(true);
    expect(matchesEverything({ types: ['Warning'] })).toBe(false);
  });

  it('namespaces: only the listed namespaces', () => {
    const m = createMatcher({ namespaces: ['shop', 'payments'] });
    expect([m(rec({ namespace: 'shop' })), m(rec({ namespace: 'payments' })), m(rec({ namespace: 'monitoring' }))]).toEqual([true, true, false]);
  });

  it('excludeNamespaces: everything but the listed namespaces', () => {
    const m = createMatcher({ excludeNamespaces: ['kube-system'] });
    expect([m(rec({ namespace: 'kube-system' })), m(rec({ namespace: 'shop' }))]).toEqual([false, true]);
  });

  it('types', () => {
    const m = createMatcher({ types: ['Warning'] });
    expect([m(rec({ type: 'Warning' })), m(rec({ type: 'Normal' }))]).toEqual([true, false]);
  });

  it('reasons', () => {
    const m = createMatcher({ reasons: ['BackOff', 'OOMKilling'] });
    expect([m(rec({ reason: 'BackOff' })), m(rec({ reason: 'OOMKilling' })), m(rec({ reason: 'Pulled' }))]).toEqual([true, true, false]);
  });

  it('kinds: the involved object kind', () => {
    const m = createMatcher({ kinds: ['Node'] });
    expect([m(rec({ kind: 'Node' })), m(rec({ kind: 'Pod' }))]).toEqual([true, false]);
  });

  it('matches exact strings only (no case folding, no prefixes)', () => {
    const m = createMatcher({ types: ['Warning'], namespaces: ['shop'] });
    expect([m(rec({ type: 'warning' })), m(rec({ type: 'Warnings' })), m(rec({ type: 'Warning', namespace: 'shop-dev' }))]).toEqual([false, false, false]);
  });

  it('requires every non-empty criterion to match', () => {
    const m = createMatcher({ namespaces: ['shop'], excludeNamespaces: [], types: ['Warning'], reasons: ['BackOff'], kinds: ['Pod'] });
    expect(m(rec({ namespace: 'shop', type: 'Warning', reason: 'BackOff', kind: 'Pod' }))).toBe(true);
    expect(m(rec({ namespace: 'payments', type: 'Warning', reason: 'BackOff', kind: 'Pod' }))).toBe(false);
    expect(m(rec({ namespace: 'shop', type: 'Normal', reason: 'BackOff', kind: 'Pod' }))).toBe(false);
    expect(m(rec({ namespace: 'shop', type: 'Warning', reason: 'Failed', kind: 'Pod' }))).toBe(false);
    expect(m(rec({ namespace: 'shop', type: 'Warning', reason: 'BackOff', kind: 'Node' }))).toBe(false);
  });

  it('lets exclusion win over inclusion for the same namespace', () => {
    const m = createMatcher({ namespaces: ['shop'], excludeNamespaces: ['shop'] });
    expect(m(rec({ namespace: 'shop' }))).toBe(false);
  });

  it('does not keep a reference to the config lists', () => {
    const types = ['Warning'];
    const m = createMatcher({ types });
    types.push('Normal');
    expect(m(rec({ type: 'Normal' }))).toBe(false);
  });
});

describe('createSourceFilter', () => {
  const cfg = { ...noCriteria, minCount: 0 };

  it('keeps everything by default', () => {
    const f = createSourceFilter(cfg);
    expect([f(rec()), f(rec({ namespace: 'kube-system', type: 'Warning', count: 1 }))]).toEqual([true, true]);
  });

  it('minCount drops events that occurred fewer times', () => {
    const f = createSourceFilter({ ...cfg, minCount: 5 });
    expect([f(rec({ count: 4 })), f(rec({ count: 5 })), f(rec({ count: 187 }))]).toEqual([false, true, true]);
  });

  it('combines minCount with the other criteria', () => {
    const f = createSourceFilter({ ...cfg, types: ['Warning'], excludeNamespaces: ['kube-system'], minCount: 3 });
    expect(f(rec({ type: 'Warning', count: 3 }))).toBe(true);
    expect(f(rec({ type: 'Warning', count: 2 }))).toBe(false);
    expect(f(rec({ type: 'Normal', count: 3 }))).toBe(false);
    expect(f(rec({ type: 'Warning', count: 3, namespace: 'kube-system' }))).toBe(false);
  });

  it('applies namespaces, types, reasons and kinds like the matcher', () => {
    const f = createSourceFilter({ ...cfg, namespaces: ['payments'], reasons: ['OOMKilling'], kinds: ['Node'] });
    expect(f(rec({ namespace: 'payments', reason: 'OOMKilling', kind: 'Node' }))).toBe(true);
    expect(f(rec({ namespace: 'payments', reason: 'OOMKilling', kind: 'Pod' }))).toBe(false);
  });
});
