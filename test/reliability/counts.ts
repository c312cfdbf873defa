/**
 * The reliability suite's counts: what the receiver holds (its records, by id, every copy
 * counted) against the producer's truth (every event version it created, `uid:resourceVersion`,
 * in creation order). Nothing here is derived from anything else: each figure is counted.
 */
import type { Receiver } from './receiver.ts';
import type { Result } from './scenarios.ts';

/** A gap marker's record id (`k8stream-gap-<from>-<to>:<rv>`, see core/src/source/kubernetes/gap-marker.ts). */
export const GAP_MARKER_ID = /^k8stream-gap-[^:]*:\d+$/;

/**
 * The producer's truth (`produced`, every id in creation order) against what the receiver holds:
 * each produced id is delivered (held once or more; duplicated when more) or lost (never held),
 * counted independently; every other record held is a gap marker or unknown. With
 * `batchMaxEvents`, also `lostBatches`.
 */
export function countDelivery(
  produced: ReadonlySet<string>,
  receiver: Pick<Receiver, 'ids' | 'records' | 'withoutId'>,
  batchMaxEvents?: number,
): Pick<Result, 'produced' | 'delivered' | 'lost' | 'duplicated' | 'unknown' | 'received' | 'markers' | 'lostBatches'> {
  let delivered = 0;
  let lost = 0;
  let duplicated = 0;
  let lostBatches = 0;
  let stretch = 0;
  const endStretch = () => {
    if (batchMaxEvents !== undefined) lostBatches += Math.ceil(stretch / batchMaxEvents);
    stretch = 0;
  };
  for (const id of produced) {
    const n = receiver.ids.get(id) ?? 0;
    if (n === 0) {
      lost += 1;
      stretch += 1;
    } else {
      delivered += 1;
      endStretch();
    }
    if (n > 1) duplicated += 1;
  }
  endStretch();
  let markers = 0;
  let unknown = receiver.withoutId;
  for (const [id, n] of receiver.ids) {
    if (produced.has(id)) continue;
    if (GAP_MARKER_ID.test(id)) markers += n;
    else unknown += n;
  }
  return { produced: produced.size, delivered, lost, duplicated, unknown, received: receiver.records, markers, ...(batchMaxEvents === undefined ? {} : { lostBatches }) };
}
