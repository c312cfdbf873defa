/**
 * Per-sink disk queue: append-only segment files of checksummed frames, an atomically written
 * ack position, replay on open, and an explicit overflow policy.
 */
import { mkdir, open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { K8streamError } from '../../errors.js';
import { readAckFile, syncDir, writeAckFile } from './ack-file.js';
import { announcedLength, decodeFrame, encodeFrame } from './frame.js';
import { recoverSegments, segmentName } from './recover.js';
import { Serial, Signal } from './signal.js';
import type {
  DiskQueue,
  DiskQueueItem,
  DiskQueueOptions,
  DiskQueueRecord,
  DiskQueueStats,
} from './types.js';

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

interface Segment {
  file: string;
  firstSeq: number;
  /** firstSeq - 1 while empty. */
  lastSeq: number;
  size: number;
  /** Open for appending while this is the active (newest) segment. */
  fh: FileHandle | null;
}

const DISK_CODES = new Set(['EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'EDQUOT', 'ENOTDIR', 'EISDIR', 'EIO']);

/** Wraps a file-system failure in a K8streamError naming the queue directory. */
function diskError(dir: string, action: string, err: unknown): K8streamError {
  if (err instanceof K8streamError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const known = code !== undefined && DISK_CODES.has(code);
  return new K8streamError(
    known ? 'SINK_UNHEALTHY' : 'INTERNAL',
    `disk queue ${dir}: cannot ${action}${code ? ` (${code})` : ''}`,
    {
      cause: err,
      path: dir,
      hint: known ? 'check that the buffer directory exists, is writable and has free space' : undefined,
    },
  );
}

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
    await mkdir(dir, { recursive: true });
    acked = await readAckFile(dir);
    recovered = await recoverSegments(dir, acked);
    // Proves the directory is writable now rather than at the first ack.
    await writeAckFile(dir, acked);
  } catch (err) {
    throw diskError(dir, 'open the queue directory', err);
  }
  return new DiskQueueImpl(opts, segmentBytes, acked, recovered);
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
  #dirty = false;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #writes = new Serial();
  readonly #reads = new Serial();
  readonly #acks = new Serial();
  readonly #appended = new Signal();
  readonly #freed = new Signal();
  /** Next sequence `read` returns at the earliest. */
  #readNext: number;
  #cursor: { seg: Segment; offset: number; fh: FileHandle | null } | null = null;

  constructor(
    opts: DiskQueueOptions,
    segmentBytes: number,
    acked: number,
    recovered: Awaited<ReturnType<typeof recoverSegments>>,
  ) {
    this.#dir = opts.dir;
    this.#maxBytes = opts.maxBytes;
    this.#segmentBytes = segmentBytes;
    this.#fsyncAlways = opts.fsync === 'always';
    this.#dropOldest = opts.overflow === 'drop-oldest';
    this.#acked = acked;
    this.#segments = recovered.segments.map((s) => ({ ...s, fh: null }));
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
    };
  }

  append(items: readonly DiskQueueItem[]): Promise<void> {
    return this.#writes.run(() => this.#append(items));
  }

  async #append(items: readonly DiskQueueItem[]): Promise<void> {
    this.#assertOpen();
    const frames = items.map((item, i) => encodeFrame(this.#nextSeq + i, item.id, item.json));
    for (const [i, f] of frames.entries()) {
      if (f.length > this.#maxBytes) {
        throw new K8streamError(
          'EVENT_INVALID',
          `disk queue ${this.#dir}: record ${items[i]?.id ?? ''} (${f.length} bytes) is larger than maxBytes ${this.#maxBytes}`,
          { path: items[i]?.id },
        );
      }
    }
    let k = 0;
    while (k < frames.length) {
      await this.#makeRoom(frames[k]!.length);
      const seg = await this.#activeSegment();
      const chunk: Buffer[] = [];
      let size = 0;
      while (k < frames.length) {
        const f = frames[k]!;
        if (chunk.length > 0 && seg.size + size + f.length > this.#segmentBytes) break;
        if (this.#bytes + size + f.length > this.#maxBytes) break;
        chunk.push(f);
        size += f.length;
        k++;
      }
      await this.#write(seg, chunk, size);
      if (seg.size >= this.#segmentBytes) await this.#seal(seg);
    }
    if (this.#fsyncAlways) {
      const active = this.#active();
      if (active?.fh) {
        try {
          await active.fh.datasync();
        } catch (err) {
          throw diskError(this.#dir, 'fsync a segment', err);
        }
      }
    }
  }

  async #write(seg: Segment, chunk: Buffer[], size: number): Promise<void> {
    const buf = chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk, size);
    try {
      let done = 0;
      while (done < buf.length) {
        const { bytesWritten } = await seg.fh!.write(buf, done, buf.length - done, seg.size + done);
        done += bytesWritten;
      }
    } catch (err) {
      // Cut a partial write so the file stays a sequence of whole frames.
      await seg.fh?.truncate(seg.size).catch(() => undefined);
      throw diskError(this.#dir, 'append to a segment', err);
    }
    seg.size += size;
    seg.lastSeq += chunk.length;
    this.#bytes += size;
    this.#nextSeq += chunk.length;
    this.#dirty = true;
    this.#appended.notify();
  }

  /** Waits (block) or drops the oldest segments (drop-oldest) until `need` more bytes fit. */
  async #makeRoom(need: number): Promise<void> {
    while (this.#bytes + need > this.#maxBytes) {
      this.#assertOpen();
      const active = this.#active();
      if (active && active.lastSeq <= this.#acked) {
        // The active segment holds only acked records: retire it to free its bytes.
        await this.#seal(active);
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
      const seg: Segment = { file, firstSeq: this.#nextSeq, lastSeq: this.#nextSeq - 1, size: 0, fh };
      this.#segments.push(seg);
      return seg;
    } catch (err) {
      throw diskError(this.#dir, 'create a segment', err);
    }
  }

  /** Flushes and closes a segment: it receives no more appends. */
  async #seal(seg: Segment): Promise<void> {
    const fh = seg.fh;
    if (!fh) return;
    seg.fh = null;
    try {
      await fh.datasync();
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

  #persistAck(): Promise<void> {
    return this.#acks.run(async () => {
      try {
        await writeAckFile(this.#dir, this.#acked);
      } catch (err) {
        throw diskError(this.#dir, 'write the ack file', err);
      }
    });
  }

  async #backgroundSync(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    await this.#active()?.fh?.datasync().catch(() => undefined);
  }

  async ack(uptoSeq: number): Promise<void> {
    const upto = Math.min(Math.floor(uptoSeq), this.#nextSeq - 1);
    if (upto <= this.#acked) return;
    this.#acked = upto;
    await this.#persistAck();
    // Sealed, fully acked segments go; the active one is retired by the next append.
    for (const seg of [...this.#segments]) {
      if (seg.lastSeq > this.#acked) break;
      if (seg.fh) break;
      await this.#deleteSegment(seg);
    }
    this.#freed.notify();
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
      if (cursor.offset < cursor.seg.size) {
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
      const available = c.seg.size - c.offset;
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
    await this.#acks.idle();
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
