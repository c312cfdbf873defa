/**
 * The queue's shared state and its segment files: create the active segment, seal, delete.
 *
 * Invariants: `segments` is in sequence order and only its last entry may be active (hold an
 * open handle for appending); a sealed segment never receives another append. `bytes` is the sum
 * of the segments' sizes. Under `fsync: 'always'` a new segment's directory entry is fsynced
 * before anything is written to it. Deleting a segment (or finding it gone) wakes appenders
 * waiting for room.
 */
import { open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { K8streamError } from '../../errors.js';
import { fsyncDir } from '../../util/durable-dir.js';
import { diskError } from './disk-errors.js';
import { segmentName } from './recover.js';
import type { Signal } from './signal.js';

export interface Segment {
  file: string;
  firstSeq: number;
  /** firstSeq - 1 while empty. */
  lastSeq: number;
  size: number;
  /** Bytes readers may see: records whose append step completed (written, and synced if due). */
  readable: number;
  /** Open for appending while this is the active (newest) segment. */
  fh: FileHandle | null;
}

/** State shared by the append path, the read cursor, acks and the overflow policy. */
export interface LogState {
  readonly dir: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  readonly fsyncAlways: boolean;
  readonly segments: Segment[];
  /** Bytes of all segment files. */
  bytes: number;
  /** Sequence of the next appended record. */
  nextSeq: number;
  /** Highest sequence acked or dropped. */
  acked: number;
  /** Unacked records deleted by drop-oldest. */
  dropped: number;
  /** Appended data not fsynced yet (background fsync due). */
  dirty: boolean;
  /** A segment was created and its directory entry not fsynced yet (background sync due). */
  dirDirty: boolean;
  closed: boolean;
  /** Notified when records become readable (and on close). */
  readonly appended: Signal;
  /** Notified when bytes are freed (and on close). */
  readonly freed: Signal;
}

/** Throws `SINK_CLOSED` once the queue is closed. */
export function assertOpen(s: LogState): void {
  if (s.closed) throw new K8streamError('SINK_CLOSED', `disk queue ${s.dir} is closed`, { path: s.dir });
}

/** The segment open for appending, if any. */
export function activeSegment(s: LogState): Segment | undefined {
  const last = s.segments.at(-1);
  return last?.fh ? last : undefined;
}

/** The active segment, created (starting at `nextSeq`) when there is none. */
export async function openActiveSegment(s: LogState): Promise<Segment> {
  const active = activeSegment(s);
  if (active) return active;
  const file = join(s.dir, segmentName(s.nextSeq));
  try {
    const fh = await open(file, 'w');
    if (s.fsyncAlways) await fsyncDir(s.dir);
    else s.dirDirty = true;
    const seg: Segment = { file, firstSeq: s.nextSeq, lastSeq: s.nextSeq - 1, size: 0, readable: 0, fh };
    s.segments.push(seg);
    return seg;
  } catch (err) {
    throw diskError(s.dir, 'create a segment', err);
  }
}

/** Flushes (unless `synced` already) and closes a segment: it receives no more appends. */
export async function sealSegment(s: LogState, seg: Segment, synced = false): Promise<void> {
  const fh = seg.fh;
  if (!fh) return;
  seg.fh = null;
  try {
    if (!synced) await fh.datasync();
  } catch (err) {
    throw diskError(s.dir, 'fsync a segment', err);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Forgets a segment, frees its bytes and unlinks its file (already gone is fine). */
export async function deleteSegment(s: LogState, seg: Segment): Promise<void> {
  const i = s.segments.indexOf(seg);
  if (i < 0) return;
  s.segments.splice(i, 1);
  s.bytes -= seg.size;
  try {
    await unlink(seg.file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw diskError(s.dir, 'delete a segment', err);
  }
  s.freed.notify();
}
