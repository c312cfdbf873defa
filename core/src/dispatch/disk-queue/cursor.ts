/**
 * The read cursor: returns unread records in sequence order, following segments as they fill,
 * are sealed and are deleted.
 *
 * Invariants: a record is returned at most once per open queue and never once acked or dropped
 * (`seq <= acked`); only bytes below a segment's `readable` mark are read, so a reader never
 * sees a chunk whose append step has not completed. A cursor whose segment was deleted (ack or
 * drop-oldest) re-anchors on the oldest segment left. A corrupt frame below `readable` is a bug
 * (`INTERNAL`): recovery cut torn tails at open.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { K8streamError } from '../../errors.js';
import { diskError } from './disk-errors.js';
import { announcedLength, decodeFrame } from './frame.js';
import type { LogState, Segment } from './segments.js';
import type { DiskQueueRecord } from './types.js';

const READ_CHUNK = 1024 * 1024;

type Position = { seg: Segment; offset: number; fh: FileHandle | null };

export class ReadCursor {
  readonly #s: LogState;
  /** Next sequence `read` returns at the earliest. */
  #readNext: number;
  #at: Position | null = null;

  constructor(s: LogState) {
    this.#s = s;
    this.#readNext = s.acked + 1;
  }

  /** Next unread records (at most `max`); waits while there are none; `[]` once closed. One call at a time. */
  async read(max: number): Promise<DiskQueueRecord[]> {
    const s = this.#s;
    for (;;) {
      if (s.closed) return [];
      this.#readNext = Math.max(this.#readNext, s.acked + 1);
      const cursor = await this.#anchored();
      if (!cursor) {
        // Checked again with no await before wait(): a close() during #anchored() has already
        // notified, and a wait begun after it would never end.
        if (s.closed) return [];
        await s.appended.wait();
        continue;
      }
      if (cursor.offset < cursor.seg.readable) {
        const out = await this.#readFrom(cursor, max);
        if (out.length > 0) return out;
        continue;
      }
      const next = s.segments[s.segments.indexOf(cursor.seg) + 1];
      if (next) {
        await this.#move(next);
        continue;
      }
      if (s.closed) return []; // as above: close() may have run during the awaits of this turn
      await s.appended.wait();
    }
  }

  /** Closes the cursor's file. */
  close(): Promise<void> {
    return this.#move(null);
  }

  /** The cursor's segment, re-anchored when its segment was deleted (ack or drop). */
  async #anchored(): Promise<Position | null> {
    const c = this.#at;
    if (c && this.#s.segments.includes(c.seg)) return c;
    const first = this.#s.segments[0];
    if (!first) {
      if (c) await this.#move(null);
      return null;
    }
    await this.#move(first);
    return this.#at;
  }

  async #move(seg: Segment | null): Promise<void> {
    await this.#at?.fh?.close().catch(() => undefined);
    this.#at = seg ? { seg, offset: 0, fh: null } : null;
  }

  async #readFrom(c: Position, max: number): Promise<DiskQueueRecord[]> {
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
          throw new K8streamError('INTERNAL', `disk queue ${this.#s.dir}: ${frame} in ${c.seg.file} at byte ${c.offset + at}`, {
            path: c.seg.file,
          });
        }
        at = frame.end;
        // Skips records already returned, acked, or dropped while this chunk was read.
        if (frame.seq < this.#readNext || frame.seq <= this.#s.acked) continue;
        out.push({ seq: frame.seq, id: frame.id, json: frame.json });
        this.#readNext = frame.seq + 1;
      }
      c.offset += at;
      return out;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        // Deleted under us (dropped); re-anchor on the next call.
        await this.#move(null);
        return [];
      }
      throw diskError(this.#s.dir, 'read a segment', err);
    }
  }
}

async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of segment at byte ${position + done}`);
    done += bytesRead;
  }
}
