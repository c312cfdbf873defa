import { describe, expect, it } from 'vitest';
import { BATCH_HASH_LENGTH, batchId, sortableTimePart } from './batch-id.js';

describe('batchId', () => {
  it('is deterministic for the same first id, last id and count', () => {
    const a = batchId({ sink: 'archive', firstId: 'u1:10', lastId: 'u9:99', count: 3 });
    expect(a).toMatch(new RegExp(`^[0-9a-f]{${BATCH_HASH_LENGTH}}$`));
    expect(batchId({ sink: 'archive', firstId: 'u1:10', lastId: 'u9:99', count: 3 })).toBe(a);
  });

  it('changes with any input', () => {
    const base = batchId({ sink: 'archive', firstId: 'a', lastId: 'b', count: 2 });
    expect(batchId({ sink: 'archive', firstId: 'a', lastId: 'b', count: 3 })).not.toBe(base);
    expect(batchId({ sink: 'archive', firstId: 'x', lastId: 'b', count: 2 })).not.toBe(base);
    expect(batchId({ sink: 'archive', firstId: 'a', lastId: 'x', count: 2 })).not.toBe(base);
  });

  it('differs between sinks for the same records', () => {
    expect(batchId({ sink: 'archive', firstId: 'a', lastId: 'b', count: 2 })).not.toBe(batchId({ sink: 'backup', firstId: 'a', lastId: 'b', count: 2 }));
  });

  it('cannot be confused by separators inside ids', () => {
    expect(batchId({ sink: 'archive', firstId: 'a,b', lastId: 'c', count: 1 })).not.toBe(batchId({ sink: 'archive', firstId: 'a', lastId: 'b,c', count: 1 }));
  });

  it('starts with a sortable time part from the records, not the wall clock', () => {
    const id = batchId({ sink: 'archive', firstId: 'a', lastId: 'b', count: 2, minTimestamp: '2026-11-05T10:15:30Z' });
    expect(id).toBe(`20261105T101530000Z-${batchId({ sink: 'archive', firstId: 'a', lastId: 'b', count: 2 })}`);
    const later = batchId({ sink: 'archive', firstId: 'a', lastId: 'b', count: 2, minTimestamp: '2026-11-05T10:15:30.5Z' });
    expect([later, id].sort()).toEqual([id, later]);
  });

  it('omits the time part when the timestamp is missing or unparseable', () => {
    expect(sortableTimePart(null)).toBeNull();
    expect(sortableTimePart('yesterday')).toBeNull();
    expect(sortableTimePart('2026-01-02T03:04:05.678+01:00')).toBe('20260102T020405678Z');
    expect(batchId({ sink: 'archive', firstId: 'a', lastId: 'a', count: 1, minTimestamp: 'nope' })).toHaveLength(BATCH_HASH_LENGTH);
  });
});
