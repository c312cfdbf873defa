import { describe, expect, it } from 'vitest';
import { leasePath, leasesPath, microTime, specKey } from './lease.js';

describe('lease helpers', () => {
  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(0)).toBe('1970-01-01T00:00:00.000000Z');
    expect(microTime(Date.UTC(2026, 10, 27, 12, 0, 1, 234))).toBe('2026-11-27T12:00:01.234000Z');
  });

  it('builds lease paths with encoded segments', () => {
    expect(leasesPath('k8stream')).toBe('/apis/coordination.k8s.io/v1/namespaces/k8stream/leases');
    expect(leasePath({ namespace: 'k8stream', name: 'a b' })).toBe('/apis/coordination.k8s.io/v1/namespaces/k8stream/leases/a%20b');
  });

  it('keys the election fields only, with defaults for missing ones', () => {
    expect(specKey(undefined)).toBe(specKey({}));
    expect(specKey({ holderIdentity: '', leaseTransitions: 0 })).toBe(specKey({}));
    expect(specKey({ holderIdentity: 'a', renewTime: 't1' })).not.toBe(specKey({ holderIdentity: 'a', renewTime: 't2' }));
    expect(specKey({ holderIdentity: 'a', leaseDurationSeconds: 1, acquireTime: 't0', renewTime: 't1', leaseTransitions: 2 })).toBe('["a",1,"t0","t1",2]');
  });
});
