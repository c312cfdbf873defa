// The fault-storm property's bookkeeping (fault-storm.ts): which versions a gap marker covers,
// what counts as lost, duplicated or unknown, and which Retry-After is still in effect. The
// property itself runs in core/src/source/kubernetes/fault-storm.test.ts and run.mjs.
import { describe, expect, it } from 'vitest';
import type { AppliedFault } from '@k8stream/apiserver-double';
import { Ledger, quantile, retryAfterAt, stormViolations } from './fault-storm.ts';

const item = (uid: string, rv: number) => ({ metadata: { uid, resourceVersion: String(rv) } });
const marker = (from: number, to: number) => ({ metadata: { uid: `k8stream-gap-${from}-${to}`, resourceVersion: String(to) } });

describe('Ledger', () => {
  it('covers only versions inside a marker window that a later version inside it superseded', () => {
    const ledger = new Ledger(['a:1', 'b:2', 'a:3', 'a:4', 'c:5', 'd:6', 'd:7'], 0);
    const delivered = [item('a', 1), marker(1, 4), item('a', 4), item('c', 5)];
    ledger.read(delivered);
    expect(ledger.missing()).toBe(3); // b:2 (in the window, never superseded), d:6, d:7
    delivered.push(item('d', 7));
    ledger.read(delivered);
    expect(ledger.counts()).toEqual({ produced: 7, delivered: 4, covered: 1, lost: 2, duplicated: 0, unknown: 0, gapMarkers: 1, lostIds: ['b:2', 'd:6'] });
  });

  it('takes markers whose windows touch as one gap', () => {
    // a:3 is in (1, 4] but superseded only in (4, 8]: covered by the two together, not by either.
    const ledger = new Ledger(['a:1', 'a:3', 'a:6', 'b:9', 'b:10', 'b:11'], 0);
    const delivered = [item('a', 1), marker(1, 4), marker(4, 8), item('a', 6), marker(9, 11), item('b', 11)];
    ledger.read(delivered);
    expect(ledger.counts()).toMatchObject({ delivered: 3, covered: 2, lost: 1, lostIds: ['b:9'] }); // b:9 precedes (9, 11]
  });

  it('expects nothing superseded before the first list; counts duplicates and ids never produced', () => {
    const ledger = new Ledger(['a:1', 'a:2', 'b:3'], 2);
    ledger.read([item('a', 2), item('b', 3), item('b', 3), item('x', 9)]);
    expect(ledger.counts()).toEqual({ produced: 2, delivered: 2, covered: 0, lost: 0, duplicated: 1, unknown: 1, gapMarkers: 0, lostIds: [] });
  });
});

describe('retryAfterAt', () => {
  const throttled = (atMs: number, retryAfterSeconds: number): AppliedFault => ({
    atMs,
    arrivedAtMs: atMs,
    fault: { type: 'http', status: 429, retryAfterSeconds },
    on: 'list',
    continuePage: false,
  });

  it('is the largest Retry-After of a 429 whose wait reaches past the moment', () => {
    expect(retryAfterAt([throttled(0, 1), throttled(500, 2), throttled(1900, 1)], 2000)).toBe(2);
    expect(retryAfterAt([throttled(0, 1), throttled(2500, 3)], 2000)).toBe(0);
    expect(retryAfterAt([{ ...throttled(1500, 1), fault: { type: 'http', status: 503 } }], 2000)).toBe(0);
  });
});

describe('verdicts', () => {
  it('names lost, duplicated and unknown versions, a source not watching, and a slow recovery', () => {
    const ok = { lost: 0, duplicated: 0, unknown: 0, recoveryMs: 5000, targetMs: 5000, lostIds: [] };
    expect(stormViolations(ok)).toEqual([]);
    expect(stormViolations({ ...ok, lost: 2, duplicated: 1, unknown: 3, recoveryMs: null })).toEqual([
      '2 versions lost',
      '1 versions delivered twice',
      '3 delivered ids never produced',
      'not watching at the end',
    ]);
    expect(stormViolations({ ...ok, recoveryMs: 6200 })).toEqual(['recovery 6.2 s > target 5.0 s']);
  });

  it('quantiles by nearest rank', () => {
    const v = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect([quantile(v, 0.5), quantile(v, 0.95), quantile(v, 1)]).toEqual([5, 10, 10]);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
