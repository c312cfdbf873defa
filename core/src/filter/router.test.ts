import { describe, expect, it } from 'vitest';
import { toRecord } from '../record/map.js';
import { createRouter } from './router.js';

const rec = (type: string, namespace: string) =>
  toRecord({ metadata: { uid: 'u', resourceVersion: '1', namespace }, type, reason: 'X' }, { cluster: 'c', action: 'ADDED' });

describe('createRouter', () => {
  it('routes every event to every sink when no sink has criteria', () => {
    const route = createRouter([{ match: {} }, { match: { types: [], namespaces: [] } }]);
    expect(route(rec('Normal', 'shop'))).toEqual([0, 1]);
    expect(route(rec('Warning', 'payments'))).toEqual([0, 1]);
  });

  it('returns the indexes of the matching sinks, in config order', () => {
    const route = createRouter([{ match: {} }, { match: { types: ['Warning'] } }, { match: { namespaces: ['payments'] } }]);
    expect(route(rec('Normal', 'shop'))).toEqual([0]);
    expect(route(rec('Warning', 'shop'))).toEqual([0, 1]);
    expect(route(rec('Warning', 'payments'))).toEqual([0, 1, 2]);
  });

  it('can route an event nowhere', () => {
    const route = createRouter([{ match: { types: ['Warning'] } }]);
    expect(route(rec('Normal', 'shop'))).toEqual([]);
  });

  it('handles no sinks', () => {
    expect(createRouter([])(rec('Normal', 'shop'))).toEqual([]);
  });
});
