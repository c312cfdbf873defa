/**
 * The append path: frames records into chunks, writes them with the fsync policy, retries disk
 * failures.
 *
 * Invariants: records get consecutive sequences in append order. A chunk goes to one segment;
 * a segment is sealed (fsynced) once full, and a frame larger than a segment gets one of its
 * own. Under `fsync: 'always'` a chunk is fsynced before its append step completes; otherwise
 * `dirty` asks the background sync for it. Readers see a chunk only after its step completed and
 * after the caller's `onWritten` was told. Each step (create a segment, write + fsync a chunk) is
 * all or nothing: a failed write is cut back to the segment's previous size and no state changes.
 * Disk errors ({@link isDiskError}) never fail an append: the step is retried with exponential
 * backoff (woken early when acks free space) until it succeeds or the queue closes.
 */
import { K8streamError } from '../../errors.js';
import type { Acks } from './acks.js';
import { diskError, isDiskError } from './disk-errors.js';
import { encodeFrame } from './frame.js';
import { makeRoom } from './overflow.js';
import { assertOpen, openActiveSegment, sealSegment } from './segments.js';
import type { LogState, Segment } from './segments.js';
import type { DiskQueueItem } from './types.js';
import type { WriteHealth } from './write-health.js';

export interface AppendDeps {
  readonly dropOldest: boolean;
  readonly retry: { initialMs: number; maxMs: number };
  readonly health: WriteHealth;
  readonly acks: Acks;
}

/** Appends `items` in order (one append at a time: the caller serialises). */
export async function appendItems(s: LogState, d: AppendDeps, items: readonly DiskQueueItem[], onWritten?: (count: number) => void): Promise<void> {
  assertOpen(s);
  const frames = items.map((item, i) => encodeFrame(s.nextSeq + i, item.id, item.json));
  for (const [i, f] of frames.entries()) {
    if (f.length > s.maxBytes) {
      throw new K8streamError('EVENT_INVALID', `disk queue ${s.dir}: record ${items[i]?.id ?? ''} (${f.length} bytes) is larger than maxBytes ${s.maxBytes}`, {
        path: items[i]?.id,
      });
    }
  }
  let k = 0;
  while (k < frames.length) {
    const need = frames[k]!.length;
    const seg = await retrying(s, d, 'create a segment', async () => {
      await makeRoom(s, d.dropOldest, d.acks, need);
      return openActiveSegment(s);
    });
    const chunk: Buffer[] = [];
    let size = 0;
    // Full: the next frame does not fit (a frame larger than a segment gets one of its own).
    let full = false;
    while (k < frames.length) {
      const f = frames[k]!;
      if (seg.size + size + f.length > s.segmentBytes && (chunk.length > 0 || seg.size > 0)) {
        full = true;
        break;
      }
      // (`makeRoom` made room for the first frame, so a chunk is never empty for this.)
      if (s.bytes + size + f.length > s.maxBytes) break;
      chunk.push(f);
      size += f.length;
      k++;
    }
    full ||= seg.size + size >= s.segmentBytes;
    if (chunk.length === 0) {
      // The active segment (from an earlier append) has no room for the next frame.
      await retrying(s, d, 'fsync a segment', () => seg.fh!.datasync());
      await sealSegment(s, seg, true);
      continue;
    }
    const sync = s.fsyncAlways || full;
    await retrying(s, d, sync ? 'append to and fsync a segment' : 'append to a segment', () => writeChunk(s, seg, chunk, size, sync));
    if (full) await sealSegment(s, seg, true);
    // Committed (`k` already counts the chunk): tell the caller first, then let readers see it.
    seg.readable = seg.size;
    if (onWritten !== undefined) {
      try {
        onWritten(k);
      } catch {
        // The caller's bookkeeping must not corrupt the queue; it guards its own callbacks.
      }
    }
    s.appended.notify();
  }
}

/** Runs one append step, retrying disk errors with backoff until it succeeds or the queue closes. */
async function retrying<T>(s: LogState, d: AppendDeps, action: string, step: () => Promise<T>): Promise<T> {
  let delay = Math.max(1, d.retry.initialMs);
  for (;;) {
    assertOpen(s);
    try {
      const out = await step();
      d.health.ok('append');
      return out;
    } catch (err) {
      if (!isDiskError(err)) throw diskError(s.dir, action, err);
      d.health.failed('append', action, err);
    }
    // Acks that free space, and close, wake the wait early.
    await s.freed.waitFor(delay);
    delay = Math.min(delay * 2, Math.max(delay, d.retry.maxMs));
  }
}

/**
 * Writes one chunk at the end of `seg` (and fsyncs it when `sync`). All or nothing: on any
 * failure the segment is cut back to its previous size (a retry rewrites the same bytes at
 * the same offset anyway) and no state changes, so the step can simply be retried.
 */
async function writeChunk(s: LogState, seg: Segment, chunk: Buffer[], size: number, sync: boolean): Promise<void> {
  const buf = chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk, size);
  const fh = seg.fh!;
  try {
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await fh.write(buf, done, buf.length - done, seg.size + done);
      done += bytesWritten;
    }
    // After a failed fsync the pages may be lost: the retry writes them again.
    if (sync) await fh.datasync();
  } catch (err) {
    await fh.truncate(seg.size).catch(() => undefined);
    throw err;
  }
  seg.size += size;
  seg.lastSeq += chunk.length;
  s.bytes += size;
  s.nextSeq += chunk.length;
  s.dirty = !sync;
}
