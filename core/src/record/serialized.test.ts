import { describe, expect, it } from 'vitest';
import { recordJson, rememberJson } from './serialized.js';
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
});

