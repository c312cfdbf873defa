import { describe, expect, it } from 'vitest';
import { toRecord } from '../record/map.js';
import { createRouter } from './router.js';

const rec = (type: string, namespace: string) => toRecord({ metadata: { uid: 'u', resourceVersion: '1', namespace }, type, reason: 'X' }, { cluster: 'c', action: 'ADDED' });

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

  it('returns one frozen list per set of matching sinks (nothing allocated per record)', () => {
    const route = createRouter([{ match: {} }, { match: { types: ['Warning'] } }]);
    const first = route(rec('Warning', 'shop'));
    expect(route(rec('Warning', 'payments'))).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(route(rec('Normal', 'shop'))).not.toBe(first);
    expect(route(rec('Normal', 'payments'))).toBe(route(rec('Normal', 'shop')));
  });

  it('routes past 30 sinks too', () => {
    const sinks = Array.from({ length: 33 }, (_, i) => ({ match: i % 2 === 0 ? { types: ['Warning'] } : { types: ['Normal'] } }));
    const route = createRouter(sinks);
    expect(route(rec('Warning', 'shop'))).toEqual(sinks.flatMap((_, i) => (i % 2 === 0 ? [i] : [])));
    expect(route(rec('Normal', 'shop'))).toEqual(sinks.flatMap((_, i) => (i % 2 === 1 ? [i] : [])));
  });
});
