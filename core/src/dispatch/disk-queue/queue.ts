/**
 * Per-sink disk queue: append-only segment files of checksummed frames, an atomically written
 * ack position, replay on open, and an explicit overflow policy.
 *
 * Disk errors at run time (ENOSPC, EDQUOT, EIO, EACCES, EROFS, ...: {@link DISK_CODES}) never
 * fail an append: the failed step (create a segment, write + fsync a chunk) is undone and
 * retried with exponential backoff (100 ms → 5 s by default, woken early when acks free space)
 * until it succeeds or the queue closes. Meanwhile the append stays pending, so the caller's
 * own memory bound holds the producer back. A failed ack-file write is not retried in place:
 * the next ack writes the newer position (a crash meanwhile only replays delivered records).
 * Each failure counts in `stats().writeErrors`; the first failure of a streak is logged as an
 * error naming the directory, the step and the errno, and the end of the streak once as info.
 */
import { mkdir, open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { K8streamError } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import { readAckFile, syncDir, writeAckFile } from './ack-file.js';
import { announcedLength, decodeFrame, encodeFrame } from './frame.js';
import { recoverSegments, segmentName } from './recover.js';
import { Serial, Signal } from './signal.js';
import type { DiskQueue, DiskQueueItem, DiskQueueOptions, DiskQueueRecord, DiskQueueStats } from './types.js';

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

interface Segment {
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

/** Errno codes of the environment (space, quota, I/O, permissions): retried at run time. */
export const DISK_CODES: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'EDQUOT', 'ENOTDIR', 'EISDIR', 'EIO']);

const DEFAULT_RETRY = { initialMs: 100, maxMs: 5_000 };

/** The errno code of a file-system error, also when wrapped in a K8streamError. */
function errnoOf(err: unknown): string | undefined {
  const direct = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!(err instanceof K8streamError)) return typeof direct === 'string' ? direct : undefined;
  const cause = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return typeof cause === 'string' ? cause : undefined;
}

function isDiskError(err: unknown): boolean {
  const code = errnoOf(err);
  return code !== undefined && DISK_CODES.has(code);
}

const HINTS: Record<string, string> = {
  EACCES: 'make the buffer directory writable by the user k8stream runs as',
  EPERM: 'make the buffer directory writable by the user k8stream runs as',
  EROFS: 'the buffer directory is on a read-only file system: mount a writable volume there',
  ENOTDIR: 'a component of the buffer directory path is a file, not a directory',
  EISDIR: 'the buffer directory holds a directory where a queue file belongs',
  ENOSPC: 'free space on the buffer volume or lower buffer.maxBytes',
  EDQUOT: 'raise the disk quota of the buffer volume or lower buffer.maxBytes',
  EIO: 'the buffer volume reports I/O errors: check the disk',
};

/**
 * Wraps a file-system failure in a K8streamError naming the queue directory: `BUFFER_UNAVAILABLE`
 * for any errno (the environment), `INTERNAL` otherwise.
 */
function diskError(dir: string, action: string, err: unknown): K8streamError {
  if (err instanceof K8streamError) return err;
  const code = errnoOf(err);
  return new K8streamError(code !== undefined ? 'BUFFER_UNAVAILABLE' : 'INTERNAL', `disk queue ${dir}: cannot ${action}${code ? ` (${code})` : ''}`, {
    cause: err,
    path: dir,
    hint: code === undefined ? undefined : (HINTS[code] ?? 'check that the buffer directory exists, is writable and has free space'),
  });
}

/** Where a streak of failures started: only the append path's success ends any streak. */
type WriteSource = 'append' | 'ack' | 'sync';

/** Opens (creating or replaying) the disk queue in `opts.dir`. */
export async function createDiskQueue(opts: DiskQueueOptions): Promise<DiskQueue> {
  const { dir, maxBytes } = opts;
  if (!Number.isFinite(maxBytes) || maxBytes <= 0) {
    throw new K8streamError('INTERNAL', `disk queue ${dir}: maxBytes must be a positive number`, { path: dir });
  }
  const segmentBytes = Math.max(1, Math.min(opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES, Math.floor(maxBytes / 4)));
  let acked: number;
  let recovered: Awaited<ReturnType<typeof recoverSegments>>;
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
 * `mkdir -p`. A recursive mkdir reports ENOENT for some failures (e.g. on a read-only file
 * system); a plain mkdir of the last component then tells the real errno.
 */
async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
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

function failureText(err: unknown): string {
  if (err instanceof K8streamError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

class DiskQueueImpl implements DiskQueue {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #fsyncAlways: boolean;
  readonly #dropOldest: boolean;
  readonly #segments: Segment[];
  #acked: number;
  #nextSeq: number;
  #bytes: number;
  #dropped = 0;
  readonly #truncatedRecords: number;
  readonly #corruptSegments: number;
  #closed = false;
  /** close() has finished: nothing touches the directory any more. */
  #closedFully = false;
  readonly #acksUnderWay = new Set<Promise<void>>();
  #dirty = false;
  /** The ack file is behind `#acked` (its last write failed). */
  #ackStale = false;
  #writeErrors = 0;
  #streak: { source: WriteSource; since: number; failures: number } | null = null;
  readonly #retry: { initialMs: number; maxMs: number };
  readonly #log: Logger | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #writes = new Serial();
  readonly #reads = new Serial();
  readonly #acks = new Serial();
  readonly #appended = new Signal();
  readonly #freed = new Signal();
  /** Next sequence `read` returns at the earliest. */
  #readNext: number;
  #cursor: { seg: Segment; offset: number; fh: FileHandle | null } | null = null;

  constructor(opts: DiskQueueOptions, segmentBytes: number, acked: number, recovered: Awaited<ReturnType<typeof recoverSegments>>) {
    this.#dir = opts.dir;
    this.#maxBytes = opts.maxBytes;
    this.#segmentBytes = segmentBytes;
    this.#fsyncAlways = opts.fsync === 'always';
    this.#dropOldest = opts.overflow === 'drop-oldest';
    this.#acked = acked;
    this.#retry = opts.retry ?? DEFAULT_RETRY;
    this.#log = opts.logger;
    this.#segments = recovered.segments.map((s) => ({ ...s, readable: s.size, fh: null }));
    this.#nextSeq = Math.max(acked, recovered.maxSeq) + 1;
    this.#readNext = acked + 1;
    this.#bytes = this.#segments.reduce((n, s) => n + s.size, 0);
    this.#truncatedRecords = recovered.truncatedRecords;
    this.#corruptSegments = recovered.corruptSegments;
    if (opts.fsync !== 'always') {
      this.#timer = setInterval(() => void this.#backgroundSync(), Math.max(1, opts.fsync.intervalMs));
      this.#timer.unref();
    }
  }

  stats(): DiskQueueStats {
    let records = 0;
    for (const s of this.#segments) records += Math.max(0, s.lastSeq - Math.max(s.firstSeq - 1, this.#acked));
    return {
      bytes: this.#bytes,
      records,
      segments: this.#segments.length,
      dropped: this.#dropped,
      truncatedRecords: this.#truncatedRecords,
      corruptSegments: this.#corruptSegments,
      acked: this.#acked,
      writeErrors: this.#writeErrors,
      writeFailing: this.#streak !== null,
    };
  }

  /** Counts a failed disk write; the first one of a streak is logged. */
  #writeFailed(source: WriteSource, action: string, err: unknown): void {
    this.#writeErrors++;
    if (this.#streak !== null) {
      this.#streak.failures++;
      return;
    }
    this.#streak = { source, since: Date.now(), failures: 1 };
    this.#log?.error('disk buffer write failed; retrying with backoff, new events wait in memory', {
      dir: this.#dir,
      action,
      errno: errnoOf(err) ?? null,
      error: failureText(err),
    });
  }

  /** Ends the failure streak (an append success ends any; others only their own). */
  #writeOk(source: WriteSource): void {
    const streak = this.#streak;
    if (streak === null || (source !== 'append' && streak.source !== source)) return;
    this.#streak = null;
    this.#log?.info('disk buffer writes recovered', {
      dir: this.#dir,
      failures: streak.failures,
      failingMs: Date.now() - streak.since,
    });
  }

  /** Runs one append step, retrying disk errors with backoff until it succeeds or the queue closes. */
  async #retrying<T>(action: string, step: () => Promise<T>): Promise<T> {
    let delay = Math.max(1, this.#retry.initialMs);
    for (;;) {
      this.#assertOpen();
      try {
        const out = await step();
        this.#writeOk('append');
        return out;
      } catch (err) {
        if (!isDiskError(err)) throw diskError(this.#dir, action, err);
        this.#writeFailed('append', action, err);
      }
      // Acks that free space, and close, wake the wait early.
      await this.#freed.waitFor(delay);
      delay = Math.min(delay * 2, Math.max(delay, this.#retry.maxMs));
    }
  }

  append(items: readonly DiskQueueItem[], onWritten?: (count: number) => void): Promise<void> {
    return this.#writes.run(() => this.#append(items, onWritten));
  }

  async #append(items: readonly DiskQueueItem[], onWritten?: (count: number) => void): Promise<void> {
    this.#assertOpen();
    const frames = items.map((item, i) => encodeFrame(this.#nextSeq + i, item.id, item.json));
    for (const [i, f] of frames.entries()) {
      if (f.length > this.#maxBytes) {
        throw new K8streamError('EVENT_INVALID', `disk queue ${this.#dir}: record ${items[i]?.id ?? ''} (${f.length} bytes) is larger than maxBytes ${this.#maxBytes}`, {
          path: items[i]?.id,
        });
      }
    }
    let k = 0;
    while (k < frames.length) {
      const need = frames[k]!.length;
      const seg = await this.#retrying('create a segment', async () => {
        await this.#makeRoom(need);
        return this.#activeSegment();
      });
      const chunk: Buffer[] = [];
      let size = 0;
      // Full: the next frame does not fit (a frame larger than a segment gets one of its own).
      let full = false;
      while (k < frames.length) {
        const f = frames[k]!;
        if (seg.size + size + f.length > this.#segmentBytes && (chunk.length > 0 || seg.size > 0)) {
          full = true;
          break;
        }
        // (`#makeRoom` made room for the first frame, so a chunk is never empty for this.)
        if (this.#bytes + size + f.length > this.#maxBytes) break;
        chunk.push(f);
        size += f.length;
        k++;
      }
      full ||= seg.size + size >= this.#segmentBytes;
      if (chunk.length === 0) {
        // The active segment (from an earlier append) has no room for the next frame.
        await this.#retrying('fsync a segment', () => seg.fh!.datasync());
        await this.#seal(seg, true);
        continue;
      }
      const sync = this.#fsyncAlways || full;
      await this.#retrying(sync ? 'append to and fsync a segment' : 'append to a segment', () => this.#write(seg, chunk, size, sync));
      if (full) await this.#seal(seg, true);
      // Committed (`k` already counts the chunk): tell the caller first, then let readers see it.
      seg.readable = seg.size;
      if (onWritten !== undefined) {
        try {
          onWritten(k);
        } catch {
          // The caller's bookkeeping must not corrupt the queue; it guards its own callbacks.
        }
      }
      this.#appended.notify();
    }
  }

  /**
   * Writes one chunk at the end of `seg` (and fsyncs it when `sync`). All or nothing: on any
   * failure the segment is cut back to its previous size (a retry rewrites the same bytes at
   * the same offset anyway) and no state changes, so the step can simply be retried.
   */
  async #write(seg: Segment, chunk: Buffer[], size: number, sync: boolean): Promise<void> {
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
    this.#bytes += size;
    this.#nextSeq += chunk.length;
    this.#dirty = !sync;
  }

  /** Waits (block) or drops the oldest segments (drop-oldest) until `need` more bytes fit. */
  async #makeRoom(need: number): Promise<void> {
    while (this.#bytes + need > this.#maxBytes) {
      this.#assertOpen();
      const active = this.#active();
      if (active && active.lastSeq <= this.#acked) {
        // The active segment holds only acked records: retire it to free its bytes (no fsync needed).
        await this.#seal(active, true);
        await this.#deleteSegment(active);
        continue;
      }
      if (!this.#dropOldest) {
        await this.#freed.wait();
        continue;
      }
      const oldest = this.#segments[0];
      if (!oldest) return;
      if (oldest.fh) await this.#seal(oldest);
      const lost = Math.max(0, oldest.lastSeq - Math.max(oldest.firstSeq - 1, this.#acked));
      this.#dropped += lost;
      if (oldest.lastSeq > this.#acked) {
        this.#acked = oldest.lastSeq;
        await this.#persistAck();
      }
      await this.#deleteSegment(oldest);
    }
  }

  #active(): Segment | undefined {
    const last = this.#segments.at(-1);
    return last?.fh ? last : undefined;
  }

  async #activeSegment(): Promise<Segment> {
    const active = this.#active();
    if (active) return active;
    const file = join(this.#dir, segmentName(this.#nextSeq));
    try {
      const fh = await open(file, 'w');
      if (this.#fsyncAlways) await syncDir(this.#dir);
      const seg: Segment = { file, firstSeq: this.#nextSeq, lastSeq: this.#nextSeq - 1, size: 0, readable: 0, fh };
      this.#segments.push(seg);
      return seg;
    } catch (err) {
      throw diskError(this.#dir, 'create a segment', err);
    }
  }

  /** Flushes (unless `synced` already) and closes a segment: it receives no more appends. */
  async #seal(seg: Segment, synced = false): Promise<void> {
    const fh = seg.fh;
    if (!fh) return;
    seg.fh = null;
    try {
      if (!synced) await fh.datasync();
    } catch (err) {
      throw diskError(this.#dir, 'fsync a segment', err);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  async #deleteSegment(seg: Segment): Promise<void> {
    const i = this.#segments.indexOf(seg);
    if (i < 0) return;
    this.#segments.splice(i, 1);
    this.#bytes -= seg.size;
    try {
      await unlink(seg.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw diskError(this.#dir, 'delete a segment', err);
    }
    this.#freed.notify();
  }

  /**
   * Writes `#acked` to the ack file. A disk error is counted and leaves the file stale (the
   * next ack writes the newer position; a crash meanwhile replays delivered records, never
   * loses any), so it does not throw; other errors do.
   */
  #persistAck(): Promise<void> {
    return this.#acks.run(async () => {
      const seq = this.#acked;
      try {
        await writeAckFile(this.#dir, seq);
      } catch (err) {
        if (!isDiskError(err)) throw diskError(this.#dir, 'write the ack file', err);
        this.#ackStale = true;
        this.#writeFailed('ack', 'write the ack file', err);
        return;
      }
      if (seq === this.#acked) this.#ackStale = false;
      this.#writeOk('ack');
    });
  }

  async #backgroundSync(): Promise<void> {
    if (this.#ackStale && !this.#closed) await this.#persistAck().catch(() => undefined);
    if (!this.#dirty) return;
    this.#dirty = false;
    const fh = this.#active()?.fh;
    if (!fh) return;
    try {
      await fh.datasync();
      this.#writeOk('sync');
    } catch (err) {
      // A racing seal closes the handle (EBADF): its own fsync covers the data.
      if (!isDiskError(err)) return;
      this.#dirty = true;
      this.#writeFailed('sync', 'fsync a segment', err);
    }
  }

  ack(uptoSeq: number): Promise<void> {
    // close() waits for acks under way: one that was deleting segments when close began would
    // otherwise write the ack file after close resolved (into a directory its owner may be removing).
    const done = this.#ack(uptoSeq);
    this.#acksUnderWay.add(done);
    const forget = (): void => void this.#acksUnderWay.delete(done);
    done.then(forget, forget);
    return done;
  }

  async #ack(uptoSeq: number): Promise<void> {
    if (this.#closedFully) return; // after close nothing is written: those records are replayed (at-least-once)
    const upto = Math.min(Math.floor(uptoSeq), this.#nextSeq - 1);
    if (upto <= this.#acked) return;
    this.#acked = upto;
    // Sealed, fully acked segments go first: on a full disk that is what frees space (they
    // hold delivered records only, so deleting them before the ack file is written is safe).
    // The active segment is retired by the next append.
    let failure: unknown = null;
    for (const seg of [...this.#segments]) {
      if (seg.lastSeq > this.#acked) break;
      if (seg.fh) break;
      try {
        await this.#deleteSegment(seg);
      } catch (err) {
        failure ??= err;
      }
    }
    this.#freed.notify();
    await this.#persistAck();
    if (failure !== null) throw failure;
  }

  read(max: number): Promise<DiskQueueRecord[]> {
    return this.#reads.run(() => this.#read(Math.max(1, Math.floor(max))));
  }

  async #read(max: number): Promise<DiskQueueRecord[]> {
    for (;;) {
      if (this.#closed) return [];
      this.#readNext = Math.max(this.#readNext, this.#acked + 1);
      const cursor = await this.#cursorSegment();
      if (!cursor) {
        await this.#appended.wait();
        continue;
      }
      if (cursor.offset < cursor.seg.readable) {
        const out = await this.#readFrom(cursor, max);
        if (out.length > 0) return out;
        continue;
      }
      const next = this.#segments[this.#segments.indexOf(cursor.seg) + 1];
      if (next) {
        await this.#moveCursor(next);
        continue;
      }
      await this.#appended.wait();
    }
  }

  /** The cursor's segment, re-anchored when its segment was deleted (ack or drop). */
  async #cursorSegment(): Promise<DiskQueueReadCursor | null> {
    const c = this.#cursor;
    if (c && this.#segments.includes(c.seg)) return c;
    const first = this.#segments[0];
    if (!first) {
      if (c) await this.#moveCursor(null);
      return null;
    }
    await this.#moveCursor(first);
    return this.#cursor;
  }

  async #moveCursor(seg: Segment | null): Promise<void> {
    await this.#cursor?.fh?.close().catch(() => undefined);
    this.#cursor = seg ? { seg, offset: 0, fh: null } : null;
  }

  async #readFrom(c: DiskQueueReadCursor, max: number): Promise<DiskQueueRecord[]> {
    try {
      c.fh ??= await open(c.seg.file, 'r');
      const available = c.seg.readable - c.offset;
      let buf = Buffer.allocUnsafe(Math.min(available, READ_CHUNK));
      await readFully(c.fh, buf, c.offset);
      const need = announcedLength(buf, 0);
      if (need !== undefined && need > buf.length && need <= available) {
        buf = Buffer.allocUnsafe(need);
        await readFully(c.fh, buf, c.offset);
      }
      const out: DiskQueueRecord[] = [];
      let at = 0;
      while (out.length < max && at < buf.length) {
        const frame = decodeFrame(buf, at);
        if (frame === 'short') break;
        if (typeof frame === 'string') {
          throw new K8streamError('INTERNAL', `disk queue ${this.#dir}: ${frame} in ${c.seg.file} at byte ${c.offset + at}`, {
            path: c.seg.file,
          });
        }
        at = frame.end;
        // Skips records already returned, acked, or dropped while this chunk was read.
        if (frame.seq < this.#readNext || frame.seq <= this.#acked) continue;
        out.push({ seq: frame.seq, id: frame.id, json: frame.json });
        this.#readNext = frame.seq + 1;
      }
      c.offset += at;
      return out;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        // Deleted under us (dropped); re-anchor on the next call.
        await this.#moveCursor(null);
        return [];
      }
      throw diskError(this.#dir, 'read a segment', err);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new K8streamError('SINK_CLOSED', `disk queue ${this.#dir} is closed`, { path: this.#dir });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#appended.notify();
    this.#freed.notify();
    await this.#writes.idle();
    await this.#reads.idle();
    const active = this.#active();
    if (active) await this.#seal(active);
    await this.#moveCursor(null);
    while (this.#acksUnderWay.size > 0) await Promise.allSettled([...this.#acksUnderWay]);
    if (this.#ackStale) await this.#persistAck();
    await this.#acks.idle();
    this.#closedFully = true;
  }
}

type DiskQueueReadCursor = { seg: Segment; offset: number; fh: FileHandle | null };

async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of segment at byte ${position + done}`);
    done += bytesRead;
  }
}
