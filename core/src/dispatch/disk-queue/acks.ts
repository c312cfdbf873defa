/**
 * The ack position: advancing it, deleting consumed segments and persisting it.
 *
 * Invariants: sealed, fully acked segments are deleted before the ack file is written (on a
 * full disk that is what frees space; they hold delivered records only, so that is safe); the
 * active segment is retired by the next append. A failed ack-file write is not retried in place:
 * the file is marked stale and the next ack (or the background sync, or close) writes the newer
 * position; a crash meanwhile only replays delivered records, never loses any. After close has
 * finished nothing is written.
 */
import { writeAckFile } from './ack-file.js';
import { diskError, isDiskError } from './disk-errors.js';
import { deleteSegment } from './segments.js';
import type { LogState } from './segments.js';
import { Serial } from './signal.js';
import type { WriteHealth } from './write-health.js';

export class Acks {
  readonly #s: LogState;
  readonly #health: WriteHealth;
  readonly #writes = new Serial();
  readonly #underWay = new Set<Promise<void>>();
  /** The ack file is behind `acked` (its last write failed). */
  #stale = false;
  /** close() has finished: nothing touches the directory any more. */
  #closedFully = false;

  constructor(s: LogState, health: WriteHealth) {
    this.#s = s;
    this.#health = health;
  }

  /** True while the ack file is behind the ack position. */
  get stale(): boolean {
    return this.#stale;
  }

  /** Acks every record up to `uptoSeq`; deletes sealed segments that hold only acked records. */
  ack(uptoSeq: number): Promise<void> {
    // close() waits for acks under way: one that was deleting segments when close began would
    // otherwise write the ack file after close resolved (into a directory its owner may be removing).
    const done = this.#ack(uptoSeq);
    this.#underWay.add(done);
    const forget = (): void => void this.#underWay.delete(done);
    done.then(forget, forget);
    return done;
  }

  async #ack(uptoSeq: number): Promise<void> {
    const s = this.#s;
    if (this.#closedFully) return; // after close nothing is written: those records are replayed (at-least-once)
    const upto = Math.min(Math.floor(uptoSeq), s.nextSeq - 1);
    if (upto <= s.acked) return;
    s.acked = upto;
    let failure: unknown = null;
    for (const seg of [...s.segments]) {
      if (seg.lastSeq > s.acked) break;
      if (seg.fh) break;
      try {
        await deleteSegment(s, seg);
      } catch (err) {
        failure ??= err;
      }
    }
    s.freed.notify();
    await this.persist();
    if (failure !== null) throw failure;
  }

  /**
   * Writes `acked` to the ack file. A disk error is counted and leaves the file stale, so it
   * does not throw; other errors do.
   */
  persist(): Promise<void> {
    return this.#writes.run(async () => {
      const s = this.#s;
      const seq = s.acked;
      try {
        await writeAckFile(s.dir, seq);
      } catch (err) {
        if (!isDiskError(err)) throw diskError(s.dir, 'write the ack file', err);
        this.#stale = true;
        this.#health.failed('ack', 'write the ack file', err);
        return;
      }
      if (seq === s.acked) this.#stale = false;
      this.#health.ok('ack');
    });
  }

  /** For close: waits for acks under way, writes a stale position, then writes nothing more. */
  async close(): Promise<void> {
    while (this.#underWay.size > 0) await Promise.allSettled([...this.#underWay]);
    if (this.#stale) await this.persist();
    await this.#writes.idle();
    this.#closedFully = true;
  }
}
