/**
 * The overflow policy: what an append does when the queue holds `maxBytes`.
 *
 * Invariants: the queue never holds more than `maxBytes` of segments after an append. A fully
 * acked active segment is retired first (no fsync needed: it holds delivered records only).
 * Then `block` waits for acks to free bytes (or close); `drop-oldest` deletes the oldest
 * segment, counts its unacked records in `dropped` and moves the ack position past them
 * (the ack file is written, or marked stale, before the segment file is deleted).
 */
import type { Acks } from './acks.js';
import { activeSegment, assertOpen, deleteSegment, sealSegment } from './segments.js';
import type { LogState } from './segments.js';

/** Waits (block) or drops the oldest segments (drop-oldest) until `need` more bytes fit. */
export async function makeRoom(s: LogState, dropOldest: boolean, acks: Acks, need: number): Promise<void> {
  while (s.bytes + need > s.maxBytes) {
    assertOpen(s);
    const active = activeSegment(s);
    if (active && active.lastSeq <= s.acked) {
      await sealSegment(s, active, true);
      await deleteSegment(s, active);
      continue;
    }
    if (!dropOldest) {
      await s.freed.wait();
      continue;
    }
    const oldest = s.segments[0];
    if (!oldest) return;
    if (oldest.fh) await sealSegment(s, oldest);
    const lost = Math.max(0, oldest.lastSeq - Math.max(oldest.firstSeq - 1, s.acked));
    s.dropped += lost;
    if (oldest.lastSeq > s.acked) {
      s.acked = oldest.lastSeq;
      await acks.persist();
    }
    await deleteSegment(s, oldest);
  }
}
