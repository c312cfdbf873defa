import { describe, expect, it } from 'vitest';
import { toRecord } from '../../record/map.js';
import { gapMarkerEvent } from './gap-marker.js';

describe('gapMarkerEvent', () => {
  it('is a core/v1 Warning event with a deterministic uid that maps to a record', () => {
    const obj = gapMarkerEvent({
      fromResourceVersion: '100',
      toResourceVersion: '250',
      cause: 'expired',
      cluster: 'prod-eu-1',
      namespace: null,
      now: new Date('2026-03-01T10:00:00.123Z'),
    });
    const rec = toRecord(obj, { cluster: 'prod-eu-1', action: 'ADDED' });
    expect(rec).toMatchObject({
      id: 'k8stream-gap-100-250:250',
      uid: 'k8stream-gap-100-250',
      type: 'Warning',
      reason: 'WatchGap',
      count: 1,
      namespace: '',
      source: { component: 'k8stream', host: '' },
      involvedObject: { kind: 'K8stream', name: 'prod-eu-1' },
      firstTimestamp: '2026-03-01T10:00:00.000Z',
      lastTimestamp: '2026-03-01T10:00:00.000Z',
      apiVersion: 'v1',
    });
    expect(rec.message).toContain('resourceVersion 100');
    expect(rec.message).toContain('re-listed at resourceVersion 250');
    expect(rec.message).toContain('may be missing');
  });

  it('names the namespace of a namespaced watch, and the cause', () => {
    const obj = gapMarkerEvent({ fromResourceVersion: '7', toResourceVersion: '9', cause: 'empty', cluster: '', namespace: 'shop', now: new Date(0) });
    expect(obj['metadata']).toMatchObject({ uid: 'k8stream-gap-shop-7-9', namespace: 'shop' });
    expect(obj['involvedObject']).toMatchObject({ name: 'k8stream', namespace: 'shop' });
    expect(String(obj['message'])).toContain('kept answering empty');
  });
});
