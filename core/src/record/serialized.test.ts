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
});
