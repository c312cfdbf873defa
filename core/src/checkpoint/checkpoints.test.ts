/**
 * CheckpointLedger: the acked prefix (at-least-once) and commitThrough (at-most-once).
 * Pure in-memory; no timers.
 */
import { describe, expect, it, vi } from 'vitest';
import { CheckpointLedger } from './checkpoints.js';

const KEY = '/api/v1/events';
const OTHER = '/apis/events.k8s.io/v1/events';

describe('CheckpointLedger: acked prefix', () => {
  it('starts from the initial resume point and keeps reporting it until something newer is acked', () => {
    const t = new CheckpointLedger({ [KEY]: '100' });
    expect(t.acked()).toEqual({ [KEY]: '100' });
    expect(t.pending).toBe(0);

    const c = t.begin({ key: KEY, rv: '110' });
    const h = c.hold();
    c.seal();
    expect(t.acked()).toEqual({ [KEY]: '100' });
    h.done();
    expect(t.acked()).toEqual({ [KEY]: '110' });
  });

  it('starts empty without an initial point', () => {
    const t = new CheckpointLedger();
    expect(t.acked()).toEqual({});
    expect(t.committed()).toEqual({});
  });

  it('numbers chunks from 1, increasing', () => {
    const t = new CheckpointLedger();
    expect([t.begin().seq, t.begin().seq, t.begin().seq]).toEqual([1, 2, 3]);
    expect(t.pending).toBe(3);
  });

  it('moves only once the chunk is sealed, even when no hold is open', () => {
    const t = new CheckpointLedger();
    const c = t.begin({ key: KEY, rv: '5' });
    const h = c.hold();
    h.done();
    expect(t.acked()).toEqual({});
    expect(t.pending).toBe(1);
    c.seal();
    expect(t.acked()).toEqual({ [KEY]: '5' });
    expect(t.pending).toBe(0);
  });

  it('a sealed chunk without holds is complete at once', () => {
    const t = new CheckpointLedger();
    t.begin({ key: KEY, rv: '7' }).seal();
    expect(t.acked()).toEqual({ [KEY]: '7' });
  });

  it('moves only when every hold is released (done or persisted)', () => {
    const t = new CheckpointLedger();
    const c = t.begin({ key: KEY, rv: '9' });
    const a = c.hold();
    const b = c.hold();
    const d = c.hold();
    c.seal();
    a.done();
    expect(t.acked()).toEqual({});
    b.persisted();
    expect(t.acked()).toEqual({});
    d.done();
    expect(t.acked()).toEqual({ [KEY]: '9' });
  });

  it('done and persisted on the same hold count once', () => {
    const t = new CheckpointLedger();
    const c = t.begin({ key: KEY, rv: '3' });
    const a = c.hold();
    const b = c.hold();
    c.seal();
    a.persisted();
    a.done();
    a.done();
    a.persisted();
    expect(t.acked()).toEqual({});
    expect(t.pending).toBe(1);
    b.done();
    expect(t.acked()).toEqual({ [KEY]: '3' });
  });

  it('a later chunk completing first does not move the prefix; it moves in order', () => {
    const t = new CheckpointLedger({ [KEY]: '1' });
    const c1 = t.begin({ key: KEY, rv: '10' });
    const c2 = t.begin({ key: KEY, rv: '20' });
    const c3 = t.begin({ key: KEY, rv: '30' });
    const h1 = c1.hold();
    const h2 = c2.hold();
    const h3 = c3.hold();
    c1.seal();
    c2.seal();
    c3.seal();

    h3.done();
    expect(t.acked()).toEqual({ [KEY]: '1' });
    expect(t.pending).toBe(3);
    h2.done();
    expect(t.acked()).toEqual({ [KEY]: '1' });
    h1.done();
    expect(t.acked()).toEqual({ [KEY]: '30' });
    expect(t.pending).toBe(0);
  });

  it('stops at the first incomplete chunk', () => {
    const t = new CheckpointLedger();
    const c1 = t.begin({ key: KEY, rv: '10' });
    const c2 = t.begin({ key: KEY, rv: '20' });
    const h2 = c2.hold();
    const c3 = t.begin({ key: KEY, rv: '30' });
    c1.seal();
    c2.seal();
    c3.seal();
    expect(t.acked()).toEqual({ [KEY]: '10' });
    expect(t.pending).toBe(2);
    h2.done();
    expect(t.acked()).toEqual({ [KEY]: '30' });
  });

  it('chunks without a position are part of the prefix (they block it and are passed over)', () => {
    const t = new CheckpointLedger();
    const c1 = t.begin({ key: KEY, rv: '10' });
    const c2 = t.begin();
    const h2 = c2.hold();
    const c3 = t.begin({ key: KEY, rv: '30' });
    c1.seal();
    c2.seal();
    c3.seal();
    expect(t.acked()).toEqual({ [KEY]: '10' });
    h2.done();
    expect(t.acked()).toEqual({ [KEY]: '30' });
    expect(t.pending).toBe(0);
  });

  it('keeps one position per key', () => {
    const t = new CheckpointLedger({ [OTHER]: '5' });
    t.begin({ key: KEY, rv: '10' }).seal();
    t.begin({ key: OTHER, rv: '50' }).seal();
    t.begin({ key: KEY, rv: '11' }).seal();
    expect(t.acked()).toEqual({ [KEY]: '11', [OTHER]: '50' });
  });

  it('seal twice is harmless', () => {
    const t = new CheckpointLedger();
    const c = t.begin({ key: KEY, rv: '1' });
    const h = c.hold();
    c.seal();
    c.seal();
    expect(t.pending).toBe(1);
    h.done();
    expect(t.pending).toBe(0);
    expect(t.acked()).toEqual({ [KEY]: '1' });
  });

  it('onAdvance fires once per move of the prefix and can be unsubscribed', () => {
    const t = new CheckpointLedger();
    const listener = vi.fn();
    const off = t.onAdvance(listener);
    const c1 = t.begin({ key: KEY, rv: '1' });
    const c2 = t.begin({ key: KEY, rv: '2' });
    const h1 = c1.hold();
    c2.seal(); // c1 still open: no move
    expect(listener).toHaveBeenCalledTimes(0);
    c1.seal();
    expect(listener).toHaveBeenCalledTimes(0);
    h1.done(); // moves over c1 and c2 at once
    expect(listener).toHaveBeenCalledTimes(1);
    t.begin({ key: KEY, rv: '3' }).seal();
    expect(listener).toHaveBeenCalledTimes(2);
    off();
    t.begin({ key: KEY, rv: '4' }).seal();
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('the listener sees the moved prefix', () => {
    const t = new CheckpointLedger();
    const seen: Record<string, string>[] = [];
    t.onAdvance(() => seen.push(t.acked()));
    t.begin({ key: KEY, rv: '8' }).seal();
    expect(seen).toEqual([{ [KEY]: '8' }]);
  });
});

describe('CheckpointLedger: commitThrough (at-most-once)', () => {
  it('inside the last chunk commits only up to the newest version sent from it', () => {
    const t = new CheckpointLedger();
    const c1 = t.begin({ key: KEY, rv: '10' });
    const c2 = t.begin({ key: KEY, rv: '20' });
    expect(t.commitThrough(c2.seq, 15n)).toEqual({ [KEY]: '15' });
    // a partial version beyond the chunk's own position is capped at the position
    expect(t.commitThrough(c2.seq, 25n)).toEqual({ [KEY]: '20' });
    expect(t.commitThrough(c1.seq, 5n)).toEqual({ [KEY]: '20' }); // never moves back
  });

  it('commits positions up to the seq even for unacked chunks, and not beyond', () => {
    const t = new CheckpointLedger({ [KEY]: '1' });
    const c1 = t.begin({ key: KEY, rv: '10' });
    const c2 = t.begin({ key: KEY, rv: '20' });
    const c3 = t.begin({ key: KEY, rv: '30' });
    c1.hold();
    c2.hold();
    c3.hold();
    expect(t.commitThrough(c2.seq)).toEqual({ [KEY]: '20' });
    expect(t.committed()).toEqual({ [KEY]: '20' });
    // the acked prefix did not move
    expect(t.acked()).toEqual({ [KEY]: '1' });
    expect(t.pending).toBe(3);
  });

  it('skips chunks without a position', () => {
    const t = new CheckpointLedger();
    t.begin({ key: KEY, rv: '10' });
    const c2 = t.begin();
    expect(t.commitThrough(c2.seq)).toEqual({ [KEY]: '10' });
  });

  it('covers several keys', () => {
    const t = new CheckpointLedger();
    t.begin({ key: KEY, rv: '10' });
    t.begin({ key: OTHER, rv: '70' });
    const c3 = t.begin({ key: KEY, rv: '11' });
    t.begin({ key: OTHER, rv: '71' });
    expect(t.commitThrough(c3.seq)).toEqual({ [KEY]: '11', [OTHER]: '70' });
  });

  it('never goes back: an older commitThrough keeps the newer commit', () => {
    const t = new CheckpointLedger();
    const c1 = t.begin({ key: KEY, rv: '10' });
    const c2 = t.begin({ key: KEY, rv: '20' });
    expect(t.commitThrough(c2.seq)).toEqual({ [KEY]: '20' });
    expect(t.commitThrough(c1.seq)).toEqual({ [KEY]: '20' });
  });

  it('committed() takes the newer per key of the acked and committed positions', () => {
    const t = new CheckpointLedger({ [OTHER]: '5' });
    const c1 = t.begin({ key: KEY, rv: '10' });
    const c2 = t.begin({ key: KEY, rv: '20' });
    const c3 = t.begin({ key: KEY, rv: '30' });
    t.commitThrough(c1.seq);
    expect(t.committed()).toEqual({ [KEY]: '10', [OTHER]: '5' });
    // the acked prefix passes the commit: acked wins for KEY
    c1.seal();
    c2.seal();
    expect(t.acked()).toEqual({ [KEY]: '20', [OTHER]: '5' });
    expect(t.committed()).toEqual({ [KEY]: '20', [OTHER]: '5' });
    // a newer commit wins again
    t.commitThrough(c3.seq);
    expect(t.committed()).toEqual({ [KEY]: '30', [OTHER]: '5' });
    expect(t.acked()).toEqual({ [KEY]: '20', [OTHER]: '5' });
  });

  it('a commit beyond every chunk commits them all', () => {
    const t = new CheckpointLedger();
    t.begin({ key: KEY, rv: '10' });
    t.begin({ key: KEY, rv: '20' });
    expect(t.commitThrough(1_000)).toEqual({ [KEY]: '20' });
  });

  it('committed() equals the initial point before anything happens', () => {
    const t = new CheckpointLedger({ [KEY]: '42' });
    expect(t.committed()).toEqual({ [KEY]: '42' });
    expect(t.commitThrough(0)).toEqual({ [KEY]: '42' });
  });
});

describe('CheckpointLedger: memory', () => {
  /** Internal chunk array length; pins the "memory is bounded by the chunks in flight" claim. */
  const stored = (t: CheckpointLedger): number => (Reflect.get(t, 'chunks') as unknown[]).length;

  it('10k chunks completed in order: pending 0, final position, compacted storage', () => {
    const t = new CheckpointLedger();
    const advances = vi.fn();
    t.onAdvance(advances);
    for (let i = 1; i <= 10_000; i++) {
      const c = t.begin({ key: KEY, rv: String(i) });
      const h = c.hold();
      c.seal();
      h.done();
      expect(t.pending).toBe(0);
    }
    expect(t.acked()).toEqual({ [KEY]: '10000' });
    expect(advances).toHaveBeenCalledTimes(10_000);
    expect(stored(t)).toBeLessThanOrEqual(1025);
  });

  it('keeps ordering right across compaction with chunks in flight', () => {
    const t = new CheckpointLedger();
    // a window of 100 open chunks, completed newest-first inside each window
    const N = 10_000;
    const W = 100;
    for (let start = 1; start <= N; start += W) {
      const open = [];
      for (let i = start; i < start + W; i++) {
        const c = t.begin({ key: KEY, rv: String(i) });
        open.push({ c, h: c.hold() });
        c.seal();
      }
      expect(t.pending).toBe(W);
      for (const { h } of open.slice(1).reverse()) h.done();
      // the first of the window still holds everything
      expect(t.pending).toBe(W);
      expect(t.acked()).toEqual(start === 1 ? {} : { [KEY]: String(start - 1) });
      open[0]!.h.done();
      expect(t.pending).toBe(0);
      expect(t.acked()).toEqual({ [KEY]: String(start + W - 1) });
    }
    expect(stored(t)).toBeLessThan(2 * 1024 + W);
  });

  it('commitThrough still works after compaction', () => {
    const t = new CheckpointLedger();
    for (let i = 1; i <= 3000; i++) t.begin({ key: KEY, rv: String(i) }).seal();
    expect(t.pending).toBe(0);
    const a = t.begin({ key: KEY, rv: '3001' });
    const b = t.begin({ key: KEY, rv: '3002' });
    a.hold();
    b.hold();
    expect(t.commitThrough(a.seq)).toEqual({ [KEY]: '3001' });
    expect(t.acked()).toEqual({ [KEY]: '3000' });
    expect(t.pending).toBe(2);
  });

  it('an open chunk at the head keeps later ones (memory grows only with chunks in flight)', () => {
    const t = new CheckpointLedger();
    const first = t.begin({ key: KEY, rv: '0' });
    const h = first.hold();
    first.seal();
    for (let i = 1; i <= 5000; i++) t.begin({ key: KEY, rv: String(i) }).seal();
    expect(t.pending).toBe(5001);
    h.done();
    expect(t.pending).toBe(0);
    expect(t.acked()).toEqual({ [KEY]: '5000' });
    // everything completed at once: storage is compacted on that advance
    expect(stored(t)).toBe(0);
  });
});
