import { describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import { normalizeTimestamp, recordTimestamp, toRecord } from './map.js';
import { emptyEnrichment } from './types.js';
import type { EventRecord } from './types.js';

const ctx = { cluster: 'prod-eu-1', action: 'ADDED' as const };

/** A core/v1 Event as the API server returns it (kubelet style). */
function coreEvent(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: 'cart-5f7b9d8c6-qz4lm.18e430',
      namespace: 'shop',
      uid: '0b6c1a52-4f3e-4d1a-9e2b-7c8d9e0f1a2b',
      resourceVersion: '9481337',
      creationTimestamp: '2026-11-02T09:24:30Z',
    },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'cart-5f7b9d8c6-qz4lm',
      namespace: 'shop',
      uid: 'a1b2c3d4-0000-4000-8000-000000000001',
      resourceVersion: '7410022',
      fieldPath: 'spec.containers{cart}',
    },
    reason: 'BackOff',
    message: 'Back-off restarting failed container cart in pod cart-5f7b9d8c6-qz4lm_shop(a1b2c3d4)',
    source: { component: 'kubelet', host: 'ip-10-0-2-14.eu-west-1.compute.internal' },
    firstTimestamp: '2026-11-02T09:24:30Z',
    lastTimestamp: '2026-11-02T10:06:02Z',
    count: 187,
    type: 'Warning',
    eventTime: null,
    reportingComponent: 'kubelet',
    reportingInstance: 'ip-10-0-2-14.eu-west-1.compute.internal',
  };
}

/** An events.k8s.io/v1 Event (scheduler style, with a series). */
function eventsApiEvent(): Record<string, unknown> {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: {
      name: 'prometheus-server-7d9c8b6f5-x2k9p.18e42e',
      namespace: 'monitoring',
      uid: 'f00dbabe-1111-4222-8333-444455556666',
      resourceVersion: '9482185',
      creationTimestamp: '2026-11-02T09:02:02Z',
    },
    eventTime: '2026-11-02T09:02:02.000836Z',
    series: { count: 17, lastObservedTime: '2026-11-02T09:09:40.000337Z' },
    reportingController: 'default-scheduler',
    reportingInstance: 'default-scheduler-ip-10-0-0-12',
    action: 'Scheduling',
    reason: 'FailedScheduling',
    regarding: {
      kind: 'Pod',
      namespace: 'monitoring',
      name: 'prometheus-server-7d9c8b6f5-x2k9p',
      uid: 'e7f24209-0a7c-4616-ab21-13923a95486b',
      apiVersion: 'v1',
      resourceVersion: '7413311',
    },
    note: '0/4 nodes are available: 4 Insufficient cpu.',
    type: 'Warning',
    deprecatedSource: {},
    deprecatedCount: 0,
  };
}

function invalidError(fn: () => unknown): K8streamError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(K8streamError);
    return err as K8streamError;
  }
  throw new Error('expected toRecord to throw');
}

describe('toRecord: core/v1', () => {
  it('maps every field', () => {
    expect(toRecord(coreEvent(), ctx)).toEqual<EventRecord>({
      schema: 'k8stream.event/v1',
      id: '0b6c1a52-4f3e-4d1a-9e2b-7c8d9e0f1a2b:9481337',
      cluster: 'prod-eu-1',
      uid: '0b6c1a52-4f3e-4d1a-9e2b-7c8d9e0f1a2b',
      resourceVersion: '9481337',
      firstTimestamp: '2026-11-02T09:24:30.000Z',
      lastTimestamp: '2026-11-02T10:06:02.000Z',
      eventTime: null,
      count: 187,
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off restarting failed container cart in pod cart-5f7b9d8c6-qz4lm_shop(a1b2c3d4)',
      action: 'ADDED',
      namespace: 'shop',
      involvedObject: {
        kind: 'Pod',
        name: 'cart-5f7b9d8c6-qz4lm',
        namespace: 'shop',
        uid: 'a1b2c3d4-0000-4000-8000-000000000001',
        apiVersion: 'v1',
        fieldPath: 'spec.containers{cart}',
      },
      source: { component: 'kubelet', host: 'ip-10-0-2-14.eu-west-1.compute.internal' },
      reportingController: 'kubelet',
      reportingInstance: 'ip-10-0-2-14.eu-west-1.compute.internal',
      apiVersion: 'v1',
      eventAction: '',
      related: null,
      series: null,
      enrichment: emptyEnrichment(),
    });
  });

  it('is pure and deterministic: the same input gives an equal record, and the input is untouched', () => {
    const raw = coreEvent();
    const copy = structuredClone(raw);
    const a = toRecord(raw, ctx);
    const b = toRecord(raw, ctx);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a.enrichment).not.toBe(b.enrichment);
    expect(raw).toEqual(copy);
  });

  it('takes action and cluster from the context', () => {
    const rec = toRecord(coreEvent(), { cluster: 'c2', action: 'DELETED' });
    expect([rec.cluster, rec.action]).toEqual(['c2', 'DELETED']);
  });

  it('accepts Date objects (client-node deserialised lists) and MicroTime strings', () => {
    const raw = coreEvent();
    raw['firstTimestamp'] = new Date('2026-11-02T09:24:30Z');
    raw['lastTimestamp'] = new Date('2026-11-02T10:06:02.5Z');
    raw['eventTime'] = '2026-11-02T09:24:30.123456Z';
    const rec = toRecord(raw, ctx);
    expect(rec.firstTimestamp).toBe('2026-11-02T09:24:30.000Z');
    expect(rec.lastTimestamp).toBe('2026-11-02T10:06:02.500Z');
    expect(rec.eventTime).toBe('2026-11-02T09:24:30.123Z');
  });

  it('normalises timestamps with offsets to UTC', () => {
    const raw = coreEvent();
    raw['lastTimestamp'] = '2026-11-02T11:06:02+01:00';
    expect(toRecord(raw, ctx).lastTimestamp).toBe('2026-11-02T10:06:02.000Z');
  });

  it('defaults absent strings to "" and keeps a cluster-scoped involved object', () => {
    const rec = toRecord(
      {
        metadata: { uid: 'u1', resourceVersion: '5', namespace: 'default' },
        involvedObject: { kind: 'Node', name: 'ip-10-0-1-87', uid: 'ip-10-0-1-87' },
        reason: 'NodeNotReady',
      },
      ctx,
    );
    expect(rec.involvedObject).toEqual({ kind: 'Node', name: 'ip-10-0-1-87', namespace: '', uid: 'ip-10-0-1-87', apiVersion: '', fieldPath: '' });
    expect(rec.namespace).toBe('default');
    expect([rec.type, rec.message, rec.source.component, rec.source.host, rec.reportingController, rec.reportingInstance]).toEqual(['', '', '', '', '', '']);
    expect(rec.apiVersion).toBe('v1');
    expect([rec.firstTimestamp, rec.lastTimestamp, rec.eventTime]).toEqual([null, null, null]);
  });

  it('takes the namespace from the involved object when the event has none', () => {
    const raw = coreEvent();
    delete (raw['metadata'] as Record<string, unknown>)['namespace'];
    expect(toRecord(raw, ctx).namespace).toBe('shop');
  });
});

describe('toRecord: timestamps fall back', () => {
  const base = () => ({ metadata: { uid: 'u', resourceVersion: '1', creationTimestamp: '2026-11-02T09:00:00Z' } });

  it('lastTimestamp: lastTimestamp first', () => {
    const rec = toRecord(
      {
        ...base(),
        lastTimestamp: '2026-11-02T09:05:00Z',
        series: { lastObservedTime: '2026-11-02T09:04:00Z' },
        eventTime: '2026-11-02T09:03:00.000001Z',
        firstTimestamp: '2026-11-02T09:02:00Z',
      },
      ctx,
    );
    expect(rec.lastTimestamp).toBe('2026-11-02T09:05:00.000Z');
  });

  it('then series.lastObservedTime', () => {
    const rec = toRecord({ ...base(), series: { lastObservedTime: '2026-11-02T09:04:00Z' }, eventTime: '2026-11-02T09:03:00Z', firstTimestamp: '2026-11-02T09:02:00Z' }, ctx);
    expect(rec.lastTimestamp).toBe('2026-11-02T09:04:00.000Z');
  });

  it('then eventTime', () => {
    const rec = toRecord({ ...base(), eventTime: '2026-11-02T09:03:00Z', firstTimestamp: '2026-11-02T09:02:00Z' }, ctx);
    expect(rec.lastTimestamp).toBe('2026-11-02T09:03:00.000Z');
    expect(rec.firstTimestamp).toBe('2026-11-02T09:02:00.000Z');
  });

  it('then firstTimestamp', () => {
    const rec = toRecord({ ...base(), firstTimestamp: '2026-11-02T09:02:00Z', lastTimestamp: null }, ctx);
    expect(rec.lastTimestamp).toBe('2026-11-02T09:02:00.000Z');
  });

  it('then metadata.creationTimestamp (and firstTimestamp falls back to eventTime, then creation)', () => {
    expect(toRecord(base(), ctx)).toMatchObject({
      firstTimestamp: '2026-11-02T09:00:00.000Z',
      lastTimestamp: '2026-11-02T09:00:00.000Z',
      eventTime: null,
    });
    expect(toRecord({ ...base(), eventTime: '2026-11-02T09:03:00Z' }, ctx)).toMatchObject({
      firstTimestamp: '2026-11-02T09:03:00.000Z',
      lastTimestamp: '2026-11-02T09:03:00.000Z',
      eventTime: '2026-11-02T09:03:00.000Z',
    });
  });

  it('treats empty-string timestamps as absent', () => {
    const rec = toRecord({ metadata: { uid: 'u', resourceVersion: '1' }, firstTimestamp: '', lastTimestamp: '' }, ctx);
    expect([rec.firstTimestamp, rec.lastTimestamp]).toEqual([null, null]);
  });
});

describe('toRecord: count', () => {
  const withCounts = (extra: Record<string, unknown>) => toRecord({ metadata: { uid: 'u', resourceVersion: '1' }, ...extra }, ctx).count;

  it('uses count, series.count or deprecatedCount, whichever is largest', () => {
    expect(withCounts({ count: 4 })).toBe(4);
    expect(withCounts({ series: { count: 17 } })).toBe(17);
    expect(withCounts({ deprecatedCount: 3 })).toBe(3);
    expect(withCounts({ count: 2, series: { count: 9 } })).toBe(9);
  });

  it('is at least 1', () => {
    expect(withCounts({})).toBe(1);
    expect(withCounts({ count: 0 })).toBe(1);
    expect(withCounts({ count: -3 })).toBe(1);
    expect(withCounts({ count: null, series: null })).toBe(1);
  });
});

describe('toRecord: events.k8s.io/v1', () => {
  it('maps regarding, note, series, reportingController and deprecated fields', () => {
    const rec = toRecord(eventsApiEvent(), { cluster: 'prod-eu-1', action: 'SYNC' });
    expect(rec).toEqual<EventRecord>({
      schema: 'k8stream.event/v1',
      id: 'f00dbabe-1111-4222-8333-444455556666:9482185',
      cluster: 'prod-eu-1',
      uid: 'f00dbabe-1111-4222-8333-444455556666',
      resourceVersion: '9482185',
      firstTimestamp: '2026-11-02T09:02:02.000Z',
      lastTimestamp: '2026-11-02T09:09:40.000Z',
      eventTime: '2026-11-02T09:02:02.000Z',
      count: 17,
      type: 'Warning',
      reason: 'FailedScheduling',
      message: '0/4 nodes are available: 4 Insufficient cpu.',
      action: 'SYNC',
      namespace: 'monitoring',
      involvedObject: {
        kind: 'Pod',
        name: 'prometheus-server-7d9c8b6f5-x2k9p',
        namespace: 'monitoring',
        uid: 'e7f24209-0a7c-4616-ab21-13923a95486b',
        apiVersion: 'v1',
        fieldPath: '',
      },
      source: { component: '', host: '' },
      reportingController: 'default-scheduler',
      reportingInstance: 'default-scheduler-ip-10-0-0-12',
      apiVersion: 'events.k8s.io/v1',
      eventAction: 'Scheduling',
      related: null,
      series: { count: 17, lastObservedTime: '2026-11-02T09:09:40.000Z' },
      enrichment: emptyEnrichment(),
    });
  });

  it('uses deprecatedSource and deprecated timestamps and count (events converted from core/v1)', () => {
    const rec = toRecord(
      {
        apiVersion: 'events.k8s.io/v1',
        metadata: { uid: 'u', resourceVersion: '2', namespace: 'shop' },
        regarding: { kind: 'Pod', name: 'p', namespace: 'shop' },
        note: 'Started container cart',
        deprecatedSource: { component: 'kubelet', host: 'node-1' },
        deprecatedFirstTimestamp: '2026-11-02T09:00:00Z',
        deprecatedLastTimestamp: '2026-11-02T09:10:00Z',
        deprecatedCount: 11,
        eventTime: null,
        // core/v1 names are ignored for events.k8s.io/v1
        message: 'ignored',
        involvedObject: { kind: 'Ignored' },
      },
      ctx,
    );
    expect(rec).toMatchObject({
      firstTimestamp: '2026-11-02T09:00:00.000Z',
      lastTimestamp: '2026-11-02T09:10:00.000Z',
      count: 11,
      message: 'Started container cart',
      source: { component: 'kubelet', host: 'node-1' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'shop' },
    });
  });

  it('recognises events.k8s.io/v1 without apiVersion by `regarding` or `note`', () => {
    const raw = eventsApiEvent();
    delete raw['apiVersion'];
    const rec = toRecord(raw, ctx);
    expect(rec.apiVersion).toBe('events.k8s.io/v1');
    expect(rec.message).toBe('0/4 nodes are available: 4 Insufficient cpu.');
    expect(rec.involvedObject.name).toBe('prometheus-server-7d9c8b6f5-x2k9p');
  });
});

describe('toRecord: invalid events', () => {
  it('rejects a missing metadata.uid with EVENT_INVALID naming the field', () => {
    const raw = coreEvent();
    delete (raw['metadata'] as Record<string, unknown>)['uid'];
    const err = invalidError(() => toRecord(raw, ctx));
    expect(err.code).toBe('EVENT_INVALID');
    expect(err.path).toBe('metadata.uid');
    expect(err.message).toBe('Kubernetes Event field metadata.uid: is required (the record id is built from it)');
  });

  it('rejects an empty uid and a missing metadata object', () => {
    expect(invalidError(() => toRecord({ metadata: { uid: '', resourceVersion: '1' } }, ctx)).path).toBe('metadata.uid');
    expect(invalidError(() => toRecord({ reason: 'x' }, ctx)).path).toBe('metadata.uid');
  });

  it('rejects a missing resourceVersion, naming the event uid', () => {
    const err = invalidError(() => toRecord({ metadata: { uid: 'abc' } }, ctx));
    expect(err.code).toBe('EVENT_INVALID');
    expect(err.path).toBe('metadata.resourceVersion');
    expect(err.message).toBe('Kubernetes Event field metadata.resourceVersion: is required (the record id is built from it) (event uid abc)');
  });

  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    ['{"metadata":{}}', '"{\\"metadata\\":{}}"'],
    [42, 'number 42'],
    [[{ metadata: { uid: 'u' } }], 'an array'],
  ])('rejects non-object input %j', (input, described) => {
    const err = invalidError(() => toRecord(input, ctx));
    expect(err.code).toBe('EVENT_INVALID');
    expect(err.path).toBeUndefined();
    expect(err.message).toBe(`Kubernetes Event: expected an Event object, got ${described}`);
  });

  it('rejects wrong field types, naming the field and the event', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ reason: 7 }, 'reason', 'expected a string, got number 7'],
      [{ count: '3' }, 'count', 'expected a number, got "3"'],
      [{ lastTimestamp: 'yesterday' }, 'lastTimestamp', 'expected an RFC 3339 timestamp, got "yesterday"'],
      [{ involvedObject: 'Pod/x' }, 'involvedObject', 'expected an object, got "Pod/x"'],
      [{ series: { count: true } }, 'series.count', 'expected a number, got boolean true'],
      [{ firstTimestamp: new Date(Number.NaN) }, 'firstTimestamp', 'expected an RFC 3339 timestamp, got an invalid Date'],
    ];
    for (const [patch, path, problem] of cases) {
      const err = invalidError(() => toRecord({ ...coreEvent(), ...patch }, ctx));
      expect(err.code).toBe('EVENT_INVALID');
      expect(err.path).toBe(path);
      expect(err.message).toBe(`Kubernetes Event field ${path}: ${problem} (event uid 0b6c1a52-4f3e-4d1a-9e2b-7c8d9e0f1a2b)`);
    }
  });
});

describe('recordTimestamp', () => {
  const rec = toRecord(coreEvent(), ctx);
  it('prefers lastTimestamp, then eventTime, then firstTimestamp', () => {
    expect(recordTimestamp(rec)).toBe('2026-11-02T10:06:02.000Z');
    expect(recordTimestamp({ ...rec, lastTimestamp: null, eventTime: '2026-11-02T09:30:00.000Z' })).toBe('2026-11-02T09:30:00.000Z');
    expect(recordTimestamp({ ...rec, lastTimestamp: null, eventTime: null })).toBe('2026-11-02T09:24:30.000Z');
    expect(recordTimestamp({ ...rec, lastTimestamp: null, eventTime: null, firstTimestamp: null })).toBeNull();
  });
});

describe('normalizeTimestamp', () => {
  it('normalises strings and dates, and returns null for nothing or garbage', () => {
    expect(normalizeTimestamp('2026-11-02T09:00:00Z')).toBe('2026-11-02T09:00:00.000Z');
    expect(normalizeTimestamp(new Date(Date.UTC(2026, 10, 2, 9)))).toBe('2026-11-02T09:00:00.000Z');
    expect(normalizeTimestamp(null)).toBeNull();
    expect(normalizeTimestamp('')).toBeNull();
    expect(normalizeTimestamp('not a time')).toBeNull();
    expect(normalizeTimestamp(1_700_000_000_000)).toBeNull();
  });
});

describe('toRecord: events.k8s.io/v1beta1', () => {
  /** An events.k8s.io/v1beta1 Event: same field names as v1 (kube-scheduler of 1.19-1.24 clusters). */
  const beta = (): Record<string, unknown> => ({
    apiVersion: 'events.k8s.io/v1beta1',
    kind: 'Event',
    metadata: { uid: 'beta-1', resourceVersion: '77', namespace: 'shop' },
    eventTime: '2026-11-02T09:00:00.120000Z',
    reportingController: 'default-scheduler',
    reportingInstance: 'default-scheduler-cp-1',
    action: 'Binding',
    reason: 'Scheduled',
    regarding: { kind: 'Pod', namespace: 'shop', name: 'cart-0', uid: 'pod-1', apiVersion: 'v1' },
    related: { kind: 'Node', name: 'node-3', uid: 'node-uid-3', apiVersion: 'v1' },
    note: 'Successfully assigned shop/cart-0 to node-3',
    type: 'Normal',
    deprecatedSource: { component: 'default-scheduler' },
    deprecatedFirstTimestamp: '2026-11-02T08:59:00Z',
    deprecatedLastTimestamp: '2026-11-02T09:00:00Z',
    deprecatedCount: 2,
  });

  it('is read with the events-API field names, and keeps its declared apiVersion', () => {
    const rec = toRecord(beta(), ctx);
    expect(rec.apiVersion).toBe('events.k8s.io/v1beta1');
    expect(rec.message).toBe('Successfully assigned shop/cart-0 to node-3');
    expect(rec.involvedObject).toEqual({ kind: 'Pod', name: 'cart-0', namespace: 'shop', uid: 'pod-1', apiVersion: 'v1', fieldPath: '' });
    expect(rec.source).toEqual({ component: 'default-scheduler', host: '' });
    expect(rec.reportingController).toBe('default-scheduler');
    expect(rec.firstTimestamp).toBe('2026-11-02T08:59:00.000Z');
    expect(rec.lastTimestamp).toBe('2026-11-02T09:00:00.120Z');
    expect(rec.count).toBe(2);
  });

  it('any events.k8s.io version takes the events-API path', () => {
    const rec = toRecord({ ...beta(), apiVersion: 'events.k8s.io/v2alpha1' }, ctx);
    expect([rec.apiVersion, rec.message, rec.involvedObject.name]).toEqual(['events.k8s.io/v2alpha1', 'Successfully assigned shop/cart-0 to node-3', 'cart-0']);
  });
});

describe('toRecord: eventAction, related, series', () => {
  it("keeps the Event's own action apart from the watch verb", () => {
    const rec = toRecord(eventsApiEvent(), { cluster: 'c', action: 'MODIFIED' });
    expect(rec.action).toBe('MODIFIED');
    expect(rec.eventAction).toBe('Scheduling');
  });

  it('maps related (events API and core/v1) as an object reference, null when absent', () => {
    const related = { kind: 'Node', name: 'node-3', uid: 'n3', apiVersion: 'v1', resourceVersion: '12' };
    expect(toRecord({ ...eventsApiEvent(), related }, ctx).related).toEqual({ kind: 'Node', name: 'node-3', namespace: '', uid: 'n3', apiVersion: 'v1', fieldPath: '' });
    expect(toRecord({ ...coreEvent(), action: 'Binding', related: { ...related, namespace: 'x', fieldPath: 'spec' } }, ctx)).toMatchObject({
      eventAction: 'Binding',
      related: { kind: 'Node', name: 'node-3', namespace: 'x', uid: 'n3', apiVersion: 'v1', fieldPath: 'spec' },
    });
    expect(toRecord(coreEvent(), ctx).related).toBeNull();
    expect(toRecord({ ...coreEvent(), related: null }, ctx).related).toBeNull();
  });

  it('maps series as { count, lastObservedTime }, null when absent', () => {
    expect(toRecord(eventsApiEvent(), ctx).series).toEqual({ count: 17, lastObservedTime: '2026-11-02T09:09:40.000Z' });
    expect(toRecord({ ...coreEvent(), series: { count: 3, lastObservedTime: '2026-11-02T10:07:00.5Z', state: 'Ongoing' } }, ctx).series).toEqual({
      count: 3,
      lastObservedTime: '2026-11-02T10:07:00.500Z',
    });
    expect(toRecord({ ...coreEvent(), series: {} }, ctx).series).toEqual({ count: 0, lastObservedTime: null });
    expect(toRecord(coreEvent(), ctx).series).toBeNull();
  });

  it('rejects wrongly typed related, series and action, naming the field', () => {
    expect(invalidError(() => toRecord({ ...coreEvent(), related: 'node-3' }, ctx)).path).toBe('related');
    expect(invalidError(() => toRecord({ ...coreEvent(), series: { count: '3' } }, ctx)).path).toBe('series.count');
    expect(invalidError(() => toRecord({ ...coreEvent(), action: 7 }, ctx)).path).toBe('action');
  });
});

describe('toRecord: lastTimestamp is the latest occurrence', () => {
  const meta = { uid: 'u', resourceVersion: '1', creationTimestamp: '2026-11-02T09:00:00Z' };

  it('a stale deprecatedLastTimestamp does not hide a later series.lastObservedTime', () => {
    const rec = toRecord(
      {
        ...eventsApiEvent(),
        deprecatedFirstTimestamp: '2026-11-02T09:02:02Z',
        deprecatedLastTimestamp: '2026-11-02T09:02:02Z',
        series: { count: 17, lastObservedTime: '2026-11-02T09:09:40.000337Z' },
      },
      ctx,
    );
    expect(rec.lastTimestamp).toBe('2026-11-02T09:09:40.000Z');
  });

  it('nor does a stale core/v1 lastTimestamp hide a later series or eventTime', () => {
    const stale = { metadata: meta, firstTimestamp: '2026-11-02T09:01:00Z', lastTimestamp: '2026-11-02T09:01:00Z' };
    expect(toRecord({ ...stale, series: { count: 4, lastObservedTime: '2026-11-02T09:30:00Z' } }, ctx).lastTimestamp).toBe('2026-11-02T09:30:00.000Z');
    expect(toRecord({ ...stale, eventTime: '2026-11-02T09:20:00.000001Z' }, ctx).lastTimestamp).toBe('2026-11-02T09:20:00.000Z');
  });

  it('is never before firstTimestamp, and creationTimestamp stays the last resort', () => {
    expect(toRecord({ metadata: meta, firstTimestamp: '2026-11-02T09:05:00Z', lastTimestamp: '2026-11-02T09:04:00Z' }, ctx).lastTimestamp).toBe('2026-11-02T09:05:00.000Z');
    expect(toRecord({ metadata: { ...meta, creationTimestamp: '2026-11-02T11:00:00Z' }, lastTimestamp: '2026-11-02T09:04:00Z' }, ctx).lastTimestamp).toBe(
      '2026-11-02T09:04:00.000Z',
    );
  });
});
