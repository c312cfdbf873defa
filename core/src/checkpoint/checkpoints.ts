/**
 * The checkpoint ledger: which source chunks are finished, and therefore where a restart may
 * resume.
 *
 * Every chunk the source yields gets a sequence number and, optionally, a position (see
 * `position.ts`). Each delivery of one of its records to one sink holds the chunk open until
 * that sink acked it, dead-lettered it, or durably appended it to its disk buffer. A chunk is
 * complete once it is sealed (all its deliveries were handed out) and nothing holds it.
 *
 * - `acked()` — at-least-once: the positions of the longest complete prefix of chunks. Nothing
 *   at or before it is waiting for a sink, so resuming there loses nothing.
 * - `commitThrough(seq)` — at-most-once: before a batch is sent, everything up to the newest
 *   chunk in it counts as handled, delivered or not, so resuming there repeats nothing.
 *
 * Memory is bounded by the chunks in flight (the sinks' queues bound those).
 */
import type { Position, ResumePoint } from './position.js';

/** One delivery of one record to one sink: call exactly one of them (extra calls are ignored). */
export interface Hold {
  done: () => void;
  persisted: () => void;
}

export interface ChunkHandle {
  readonly seq: number;
  /** Holds the chunk open for one delivery. */
  hold(): Hold;
  /** No more holds will be taken. */
  seal(): void;
}

interface Chunk {
  seq: number;
  position: Position | undefined;
  holds: number;
  sealed: boolean;
}

interface Mark {
  rv: string;
  seq: number;
}

export class CheckpointLedger {
  private readonly chunks: Chunk[] = [];
  private head = 0;
  private nextSeq = 1;
  /** Positions of the complete prefix, by key. */
  private readonly ackedMarks = new Map<string, Mark>();
  /** Positions committed before sending (at-most-once), by key. */
  private readonly committedMarks = new Map<string, Mark>();
  private readonly listeners = new Set<() => void>();

  /** An empty ledger. Positions in `initial` count as already handled. */
  constructor(initial: ResumePoint = {}) {
    for (const [key, rv] of Object.entries(initial)) this.ackedMarks.set(key, { rv, seq: 0 });
  }

  /** Chunks begun and not yet part of the complete prefix. */
  get pending(): number {
    return this.chunks.length - this.head;
  }

  /** Calls `listener` whenever the acked prefix moved. */
  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  begin(position?: Position): ChunkHandle {
    const chunk: Chunk = { seq: this.nextSeq++, position, holds: 0, sealed: false };
    this.chunks.push(chunk);
    const release = (): void => {
      chunk.holds--;
      if (chunk.holds === 0 && chunk.sealed) this.advance();
    };
    return {
      seq: chunk.seq,
      hold: () => {
        chunk.holds++;
        let open = true;
        const once = (): void => {
          if (!open) return;
          open = false;
          release();
        };
        return { done: once, persisted: once };
      },
      seal: () => {
        if (chunk.sealed) return;
        chunk.sealed = true;
        if (chunk.holds === 0) this.advance();
      },
    };
  }

  /** at-least-once: where a restart resumes without losing anything. */
  acked(): ResumePoint {
    return toPoint(this.ackedMarks);
  }

  /**
   * at-most-once: counts every chunk before `seq` as handled, and chunk `seq` up to
   * `partialRv` (the newest resourceVersion sent from it; the whole chunk when absent), and
   * returns the resulting resume point (the newer of this and the acked prefix, per key).
   */
  commitThrough(seq: number, partialRv?: bigint): ResumePoint {
    for (let i = this.head; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      if (c.seq > seq) break;
      if (c.position === undefined) continue;
      // Inside the last chunk, stop at the newest record sent (its events are in version order).
      const partial = c.seq === seq && partialRv !== undefined && partialRv < BigInt(c.position.rv);
      setMark(this.committedMarks, partial ? { key: c.position.key, rv: String(partialRv) } : c.position, c.seq);
    }
    return this.committed();
  }

  /** The newer, per key, of the committed and the acked positions. */
  committed(): ResumePoint {
    const merged = new Map(this.ackedMarks);
    for (const [key, mark] of this.committedMarks) {
      const a = merged.get(key);
      if (a === undefined || mark.seq > a.seq) merged.set(key, mark);
    }
    return toPoint(merged);
  }

  private advance(): void {
    let moved = false;
    while (this.head < this.chunks.length) {
      const c = this.chunks[this.head]!;
      if (!c.sealed || c.holds > 0) break;
      if (c.position !== undefined) setMark(this.ackedMarks, c.position, c.seq);
      this.head++;
      moved = true;
    }
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
    if (moved) for (const l of this.listeners) l();
  }
}

function setMark(marks: Map<string, Mark>, position: Position, seq: number): void {
  const prev = marks.get(position.key);
  if (prev === undefined || prev.seq <= seq) marks.set(position.key, { rv: position.rv, seq });
}

function toPoint(marks: Map<string, Mark>): ResumePoint {
  const out: ResumePoint = {};
  for (const [key, mark] of marks) out[key] = mark.rv;
  return out;
}
