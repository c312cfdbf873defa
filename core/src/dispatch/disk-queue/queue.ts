/**
 * Per-sink disk queue: append-only segment files of checksummed frames, an atomically written
 * ack position, replay on open, and an explicit overflow policy. This module opens the queue
 * and wires its parts: segment files (`segments.ts`), the append path with the fsync policy
 * and write-failure retry (`append.ts`), the overflow policy (`overflow.ts`), the read cursor
 * (`cursor.ts`), acks and the deletion of consumed segments (`acks.ts`), failure accounting
 * (`write-health.ts`, `disk-errors.ts`).
 *
 * Disk errors at run time (ENOSPC, EDQUOT, EIO, EACCES, EROFS, ...: `DISK_CODES`) never
 * fail an append: the failed step is undone and retried with backoff (100 ms → 5 s by default)
 * until it succeeds or the queue closes. Meanwhile the append stays pending, so the caller's
 * own memory bound holds the producer back. Each failure counts in `stats().writeErrors`.
 * Opening fails (`BUFFER_UNAVAILABLE`) unless the directory can be created, replayed and the
 * ack file written. The background sync (interval fsync) fsyncs the active segment when dirty
 * and rewrites a stale ack file. close() finishes appends and reads, seals the active segment,
 * waits for acks under way and writes nothing after it resolved.
 */
import { mkdir } from 'node:fs/promises';
import { K8streamError } from '../../errors.js';
import { fsyncDir, mkdirDurable } from '../../util/durable-dir.js';
import { readAckFile, writeAckFile } from './ack-file.js';
import { Acks } from './acks.js';
import { appendItems } from './append.js';
import type { AppendDeps } from './append.js';
import { ReadCursor } from './cursor.js';
import { diskError, errnoOf, isDiskError } from './disk-errors.js';
import { recoverSegments } from './recover.js';
import type { RecoveryResult } from './recover.js';
import { activeSegment, sealSegment } from './segments.js';
import type { LogState } from './segments.js';
import { Serial, Signal } from './signal.js';
import type { DiskQueue, DiskQueueItem, DiskQueueOptions, DiskQueueRecord, DiskQueueStats } from './types.js';
import { WriteHealth } from './write-health.js';

export { DISK_CODES } from './disk-errors.js';

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const DEFAULT_RETRY = { initialMs: 100, maxMs: 5_000 };

/** Opens (creating or replaying) the disk queue in `opts.dir`. */
export async function createDiskQueue(opts: DiskQueueOptions): Promise<DiskQueue> {
  const { dir, maxBytes } = opts;
  if (!Number.isFinite(maxBytes) || maxBytes <= 0) {
    throw new K8streamError('INTERNAL', `disk queue ${dir}: maxBytes must be a positive number`, { path: dir });
  }
  const segmentBytes = Math.max(1, Math.min(opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES, Math.floor(maxBytes / 4)));
  let acked: number;
  let recovered: RecoveryResult;
  try {
    await makeDir(dir);
    acked = await readAckFile(dir);
    recovered = await recoverSegments(dir, acked);
    // Proves the directory is writable now rather than at the first ack.
    await writeAckFile(dir, acked);
  } catch (err) {
    throw diskError(dir, 'open the queue directory', err);
  }
  return new DiskQueueImpl(opts, segmentBytes, acked, recovered);
}

/**
 * `mkdir -p`, the parents of new directories fsynced. A recursive mkdir reports ENOENT for some
 * failures (e.g. on a read-only file system); a plain mkdir of the last component then tells
 * the real errno.
 */
async function makeDir(dir: string): Promise<void> {
  try {
    await mkdirDurable(dir);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
    try {
      await mkdir(dir);
    } catch (inner) {
      if (errnoOf(inner) !== 'ENOENT') throw inner;
    }
    throw err;
  }
}

class DiskQueueImpl implements DiskQueue {
  readonly #s: LogState;
  readonly #truncatedRecords: number;
  readonly #corruptSegments: number;
  readonly #health: WriteHealth;
  readonly #acks: Acks;
  readonly #appendDeps: AppendDeps;
  readonly #cursor: ReadCursor;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #writes = new Serial();
  /** Appends written and waiting for the next background sync to call their `onDurable`. */
  #unsynced: (() => void)[] = [];
  /** The background sync under way, if any. */
  #syncing: Promise<void> | null = null;
  readonly #reads = new Serial();

  constructor(opts: DiskQueueOptions, segmentBytes: number, acked: number, recovered: RecoveryResult) {
    const segments = recovered.segments.map((s) => ({ ...s, readable: s.size, fh: null }));
    this.#s = {
      dir: opts.dir,
      maxBytes: opts.maxBytes,
      segmentBytes,
      fsyncAlways: opts.fsync === 'always',
      segments,
      bytes: segments.reduce((n, s) => n + s.size, 0),
      nextSeq: Math.max(acked, recovered.maxSeq) + 1,
      acked,
      dropped: 0,
      dirty: false,
      dirDirty: false,
      closed: false,
      appended: new Signal(),
      freed: new Signal(),
    };
    this.#truncatedRecords = recovered.truncatedRecords;
    this.#corruptSegments = recovered.corruptSegments;
    this.#health = new WriteHealth(opts.dir, opts.logger);
    this.#acks = new Acks(this.#s, this.#health);
    this.#appendDeps = { dropOldest: opts.overflow === 'drop-oldest', retry: opts.retry ?? DEFAULT_RETRY, health: this.#health, acks: this.#acks };
    this.#cursor = new ReadCursor(this.#s);
    if (opts.fsync !== 'always') {
      this.#timer = setInterval(() => void this.#backgroundSync(), Math.max(1, opts.fsync.intervalMs));
      this.#timer.unref();
    }
  }

  stats(): DiskQueueStats {
    const s = this.#s;
    let records = 0;
    for (const seg of s.segments) records += Math.max(0, seg.lastSeq - Math.max(seg.firstSeq - 1, s.acked));
    return {
      bytes: s.bytes,
      records,
      segments: s.segments.length,
      dropped: s.dropped,
      truncatedRecords: this.#truncatedRecords,
      corruptSegments: this.#corruptSegments,
      acked: s.acked,
      appended: s.nextSeq - 1,
      writeErrors: this.#health.errors,
      writeFailing: this.#health.failing,
    };
  }

  append(items: readonly DiskQueueItem[], onWritten?: (count: number) => void, onDurable?: (count: number) => void): Promise<void> {
    const written = onDurable === undefined ? onWritten : this.#withDurable(onWritten, onDurable);
    return this.#writes.run(() => appendItems(this.#s, this.#appendDeps, items, written));
  }

  /**
   * `onWritten` that also tells `onDurable`: at once under `fsync: always`, else at the next
   * background sync. Made outside `append` so the waiting closure does not keep the items.
   */
  #withDurable(onWritten: ((count: number) => void) | undefined, onDurable: (count: number) => void): (count: number) => void {
    return (count) => {
      onWritten?.(count);
      if (this.#s.fsyncAlways) onDurable(count);
      else this.#unsynced.push(() => onDurable(count));
    };
  }

  /** Tells the appends waiting for a background sync (registered before it began) that they are durable. */
  #durable(waiters: readonly (() => void)[]): void {
    for (const w of waiters) {
      try {
        w();
      } catch {
        // The caller guards its own callbacks (see disk-writer.ts); the queue goes on.
      }
    }
  }

  read(max: number): Promise<DiskQueueRecord[]> {
    return this.#reads.run(() => this.#cursor.read(Math.max(1, Math.floor(max))));
  }

  ack(uptoSeq: number): Promise<void> {
    return this.#acks.ack(uptoSeq);
  }

  async #backgroundSync(): Promise<void> {
    const s = this.#s;
    if (this.#acks.stale && !s.closed) await this.#acks.persist().catch(() => undefined);
    if (this.#syncing !== null || s.closed) return;
    // What was written before this sync began is durable once it succeeds: sealed segments were
    // fsynced when sealed, the active one is now, and new segments' directory entries are.
    const waiters = this.#unsynced;
    this.#unsynced = [];
    this.#syncing = this.#syncActive()
      .then((ok) => {
        if (ok) this.#durable(waiters);
        else this.#unsynced = [...waiters, ...this.#unsynced];
      })
      .finally(() => (this.#syncing = null));
    await this.#syncing;
  }

  /** Fsyncs the active segment when dirty and the directory when a segment was created; false when either failed. */
  async #syncActive(): Promise<boolean> {
    const s = this.#s;
    if (s.dirty) {
      s.dirty = false;
      const fh = activeSegment(s)?.fh;
      try {
        if (fh) await fh.datasync();
        this.#health.ok('sync');
      } catch (err) {
        // A racing seal closes the handle (EBADF): its own fsync covers the data.
        if (isDiskError(err)) {
          s.dirty = true;
          this.#health.failed('sync', 'fsync a segment', err);
          return false;
        }
      }
    }
    if (s.dirDirty) {
      s.dirDirty = false;
      try {
        await fsyncDir(s.dir);
      } catch (err) {
        s.dirDirty = true;
        this.#health.failed('sync', 'fsync the queue directory', err);
        return false;
      }
    }
    return true;
  }

  async close(): Promise<void> {
    const s = this.#s;
    if (s.closed) return;
    s.closed = true;
    if (this.#timer) clearInterval(this.#timer);
    s.appended.notify();
    s.freed.notify();
    await this.#writes.idle();
    await this.#reads.idle();
    const active = activeSegment(s);
    if (active) await sealSegment(s, active);
    s.dirty = false;
    await this.#syncing;
    if (s.dirDirty) {
      await fsyncDir(s.dir).catch((err: unknown) => {
        throw diskError(s.dir, 'fsync the queue directory', err);
      });
      s.dirDirty = false;
    }
    this.#durable(this.#unsynced.splice(0));
    await this.#cursor.close();
    await this.#acks.close();
  }
}
