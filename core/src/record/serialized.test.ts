import { describe, expect, it } from 'vitest';
import { knownEnrichmentJson, recordJson, rememberJson, serialiseRecord } from './serialized.js';
import type { EventRecord } from './types.js';

describe('recordJson', () => {
  it('serialises a record it has no JSON for, and reuses remembered JSON as is', () => {
    const a = { id: 'a', schema: 'k8stream.event/v1' } as unknown as EventRecord;
    expect(recordJson(a)).toBe(JSON.stringify(a));
    const b = { id: 'b', schema: 'k8stream.event/v1' } as unknown as EventRecord;
    const text = '{"schema":"k8stream.event/v1", "id":"b"}'; // a transform's own formatting
    rememberJson(b, new TextEncoder().encode(text));
    expect(recordJson(b)).toBe(text);
    expect(JSON.parse(recordJson(b))).toEqual(b);
  });

  it('serialises exactly like JSON.stringify when records share one enrichment object', () => {
    const shared = { labels: { app: 'web' }, annotations: {}, owners: [], workload: { kind: 'Deployment', name: 'web' }, node: null, pod: null, services: [], errors: [] };
    const a = { schema: 'k8stream.event/v1', id: 'a', message: 'x "quoted" ✓', enrichment: shared } as unknown as EventRecord;
    const b = { schema: 'k8stream.event/v1', id: 'b', count: 2, enrichment: shared } as unknown as EventRecord;
    const empty = { enrichment: shared } as unknown as EventRecord;
    for (const r of [a, b, a, empty]) expect(recordJson(r)).toBe(JSON.stringify(r));
    expect(a.enrichment).toBe(shared); // restored after serialising
    const none = { id: 'c', enrichment: null } as unknown as EventRecord;
    expect(recordJson(none)).toBe(JSON.stringify(none));
  });

  it('reuses remembered JSON text as is', () => {
    const c = { id: 'c', schema: 'k8stream.event/v1' } as unknown as EventRecord;
    const text = '{ "id":"c","schema":"k8stream.event/v1" }';
    rememberJson(c, text);
    expect(recordJson(c)).toBe(text);
  });
});

describe('serialiseRecord', () => {
  it('serialises afresh, ignoring remembered JSON, exactly like JSON.stringify', () => {
    const shared = { labels: { app: 'web' }, errors: [] };
    const d = { schema: 'k8stream.event/v1', id: 'd', enrichment: shared } as unknown as EventRecord;
    rememberJson(d, '{"stale":true}');
    expect(serialiseRecord(d)).toBe(JSON.stringify(d));
    expect(serialiseRecord(d)).toBe(JSON.stringify(d)); // enrichment from the cache this time
  });

  it('keeps the key order of a record whose enrichment is not its last field', () => {
    const shared = { labels: { app: 'web' } };
    const first = { enrichment: shared, schema: 'k8stream.event/v1', id: 'e' } as unknown as EventRecord;
    const last = { schema: 'k8stream.event/v1', id: 'f', enrichment: shared } as unknown as EventRecord;
    for (const r of [last, first, last, first]) expect(serialiseRecord(r)).toBe(JSON.stringify(r));
    expect(recordJson(first)).toBe(JSON.stringify(first));
  });
});

describe('knownEnrichmentJson', () => {
  it('is the text serialising a record made of its enrichment (exactly JSON.stringify), undefined before', () => {
    const shared = { labels: { app: 'web', note: 'ü ✓' }, owners: [{ kind: 'ReplicaSet' }], node: null };
    const r = { schema: 'k8stream.event/v1', id: 'g', enrichment: shared } as unknown as EventRecord;
    expect(knownEnrichmentJson(shared)).toBeUndefined();
    recordJson(r);
    expect(knownEnrichmentJson(shared)).toBe(JSON.stringify(shared));
    expect(knownEnrichmentJson({ labels: { app: 'web' } })).toBeUndefined(); // an equal object is another object
  });
});
