/** Public shapes of the per-sink disk queue. */

import type { Logger } from '../../util/logger.js';

/** How often appended data is forced to disk. */
export type DiskQueueFsync = 'always' | { intervalMs: number };

/** What `append` does when the queue holds `maxBytes`. */
export type DiskQueueOverflow = 'block' | 'drop-oldest';

export interface DiskQueueOptions {
  /** Directory owned by this queue (created if missing). One queue per directory. */
  dir: string;
  /** Upper bound of segment bytes on disk. */
  maxBytes: number;
  /** Segment file size at which a new segment starts (default 16 MiB, at most maxBytes / 4). */
  segmentBytes?: number;
  /** `always`: every append is fsynced before it resolves; `{ intervalMs }`: background fsync. */
  fsync: DiskQueueFsync;
  /** `block` waits for acks to free room; `drop-oldest` deletes the oldest segment(s), counted. */
  overflow: DiskQueueOverflow;
  /**
   * Backoff between retries of a failed disk write (no space, quota, I/O or permission error).
   * @default { initialMs: 100, maxMs: 5000 }
   */
  retry?: { initialMs: number; maxMs: number };
  /** Where the first failure of a streak of failing writes and the recovery are logged. */
  logger?: Logger;
}

/** One record to append: the record id and its serialised JSON. */
export interface DiskQueueItem {
  id: string;
  json: string;
}

/** A record read back, with its queue sequence number (pass it to `ack`). */
export interface DiskQueueRecord extends DiskQueueItem {
  seq: number;
}

export interface DiskQueueStats {
  /** Bytes of segment files on disk (acked records included until their segment is deleted). */
  bytes: number;
  /** Records not acked yet. */
  records: number;
  /** Segment files on disk. */
  segments: number;
  /** Unacked records deleted by `drop-oldest`. */
  dropped: number;
  /** Torn or corrupt records found at open; each cut the segment there. */
  truncatedRecords: number;
  /** Segments (other than the newest) found corrupt at open; their valid prefix is kept. */
  corruptSegments: number;
  /** Highest sequence that is acked or was dropped: records with `seq <= acked` are gone. */
  acked: number;
  /** Highest sequence appended so far (0 before the first append). */
  appended: number;
  /** Disk writes or syncs that failed (each retry counts); appends retry them, nothing is lost. */
  writeErrors: number;
  /** True while the latest disk write failed and is being retried (appends are held back). */
  writeFailing: boolean;
}

export interface DiskQueue {
  /**
   * Appends records in order; resolves once written (and fsynced under `fsync: 'always'`).
   * Disk errors (no space, quota, I/O, permissions) are retried with backoff until they clear
   * or the queue closes, so a rejection means: closed (`SINK_CLOSED`), a record larger than
   * `maxBytes` (`EVENT_INVALID`, nothing written) or an unexpected failure (`INTERNAL`).
   * `onWritten(count)` is called each time a leading part of `items` is written (cumulative
   * count), before readers can see those records; on a rejection, the last count it got says
   * how many were appended anyway. `onDurable(count)` is called once that part survives a power
   * loss: with it, under `fsync: 'always'`; otherwise after the next background sync (segment
   * data and, for a new segment, its directory entry) — so possibly after readers saw them.
   */
  append(items: readonly DiskQueueItem[], onWritten?: (count: number) => void, onDurable?: (count: number) => void): Promise<void>;
  /** Next unread records (at most `max`) in order; waits while there are none; `[]` once closed. */
  read(max: number): Promise<DiskQueueRecord[]>;
  /** Marks every record with `seq <= uptoSeq` delivered; fully acked segments are deleted. */
  ack(uptoSeq: number): Promise<void>;
  stats(): DiskQueueStats;
  /** Flushes, closes files and wakes waiting readers (they get `[]`) and appenders (they reject). */
  close(): Promise<void>;
}
