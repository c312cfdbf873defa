// The counting behind every reliability verdict (counts.ts), on hand-made receiver contents:
// each figure counted on its own, so a wrong one shows.
import { describe, expect, it } from 'vitest';
import { countDelivery } from './counts.ts';

/** A receiver's contents: `held` maps ids to copies; `withoutId` records lack an id. */
function holding(held: Record<string, number>, withoutId = 0) {
  const ids = new Map(Object.entries(held));
  const records = [...ids.values()].reduce((n, c) => n + c, 0) + withoutId;
  return { ids, records, withoutId };
}

const produced = new Set(['a:1', 'b:2', 'c:3', 'd:4', 'e:5', 'f:6', 'g:7']);

describe('countDelivery', () => {
  it('counts every produced id held once as delivered, nothing else', () => {
    const all = Object.fromEntries([...produced].map((id) => [id, 1]));
    expect(countDelivery(produced, holding(all), 2)).toEqual({ produced: 7, delivered: 7, lost: 0, duplicated: 0, unknown: 0, received: 7, markers: 0, lostBatches: 0 });
  });

  it('counts ids never held as lost, and the batches their stretches fill', () => {
    // Lost: b, c, d (one stretch of 3: 2 batches of 2) and g (a stretch of 1 at the end: 1 batch).
    const r = countDelivery(produced, holding({ 'a:1': 1, 'e:5': 1, 'f:6': 1 }), 2);
    expect(r).toMatchObject({ delivered: 3, lost: 4, lostBatches: 3, received: 3 });
    // A stretch at the start counts too; with batches of 50 each stretch is one batch.
    expect(countDelivery(produced, holding({ 'c:3': 1, 'e:5': 1, 'g:7': 1 }), 50)).toMatchObject({ lost: 4, lostBatches: 3 });
  });

  it('counts a produced id held more than once as duplicated once, and every copy as received', () => {
    const r = countDelivery(produced, holding({ 'a:1': 3, 'b:2': 2, 'c:3': 1, 'd:4': 1, 'e:5': 1, 'f:6': 1, 'g:7': 1 }));
    expect(r).toEqual({ produced: 7, delivered: 7, lost: 0, duplicated: 2, unknown: 0, received: 10, markers: 0 });
  });

  it('counts records the producer never made as unknown (every copy, and records without an id), gap markers apart', () => {
    const r = countDelivery(new Set(['a:1']), holding({ 'a:1': 1, 'z:9': 2, 'k8stream-gap-3-8:8': 2, 'k8stream-gap-reliability-3-8:8': 1, 'k8stream-gap-3-8:x': 1 }, 1));
    expect(r).toMatchObject({ delivered: 1, lost: 0, unknown: 4, markers: 3, received: 8 });
  });
});
