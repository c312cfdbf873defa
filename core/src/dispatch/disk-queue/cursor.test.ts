import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReadCursor } from './cursor.js';
import { addSegment, logState } from './log-state.fixture.js';
import { deleteSegment } from './segments.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-dq-cur-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const seqs = (rs: { seq: number }[]): number[] => rs.map((r) => r.seq);

describe('ReadCursor', () => {
  it('reads in order across segments, at most max at a time, starting after the ack position', async () => {
    const s = logState(dir, { acked: 1 });
    await addSegment(s, 1, 3);
    await addSegment(s, 4, 5);
    const c = new ReadCursor(s);
    expect(seqs(await c.read(1))).toEqual([2]);
    expect(seqs(await c.read(10))).toEqual([3]);
    const r = await c.read(10);
    expect(r).toEqual([
      { seq: 4, id: 'r4', json: '{"n":4}' },
      { seq: 5, id: 'r5', json: '{"n":5}' },
    ]);
    await c.close();
  });

  it('sees only readable bytes and waits for appends', async () => {
    const s = logState(dir);
    const seg = await addSegment(s, 1, 3, true);
    const full = seg.readable;
    seg.readable = 0;
    const c = new ReadCursor(s);
    let got: number[] | null = null;
    const pending = c.read(10).then((r) => (got = seqs(r)));
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toBeNull();
    seg.readable = full;
    s.appended.notify();
    await pending;
    expect(got).toEqual([1, 2, 3]);
    await c.close();
    await seg.fh?.close();
  });

  it('skips acked records and re-anchors when its segment is deleted', async () => {
    const s = logState(dir);
    const a = await addSegment(s, 1, 3);
    await addSegment(s, 4, 6);
    const c = new ReadCursor(s);
    expect(seqs(await c.read(1))).toEqual([1]);
    s.acked = 4; // dropped under the reader
    await deleteSegment(s, a);
    expect(seqs(await c.read(10))).toEqual([5, 6]);
    await c.close();
  });

  it('skips records acked (or dropped) while a chunk is being read', async () => {
    const s = logState(dir);
    await addSegment(s, 1, 3);
    let reads = 0;
    // 0 when the cursor is made and when a read starts; 2 from then on, as if an ack landed meanwhile.
    Object.defineProperty(s, 'acked', { get: () => (++reads <= 2 ? 0 : 2) });
    const c = new ReadCursor(s);
    expect(seqs(await c.read(10))).toEqual([3]);
    await c.close();
  });

  it('returns [] once closed', async () => {
    const s = logState(dir);
    const c = new ReadCursor(s);
    const pending = c.read(10);
    await new Promise((r) => setTimeout(r, 10)); // the reader waits for appends
    s.closed = true;
    s.appended.notify();
    expect(await pending).toEqual([]);
  });

  it('returns [] when closed while it was anchoring to a segment (the close notified before the read began to wait)', async () => {
    const s = logState(dir);
    const seg = await addSegment(s, 1, 3, true);
    seg.readable = 0; // nothing to read yet: the read ends up waiting for appends
    const c = new ReadCursor(s);
    const pending = c.read(10); // runs to its first await: opening the segment
    s.closed = true;
    s.appended.notify(); // nobody waits yet
    const hung = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 2000).unref());
    expect(await Promise.race([pending, hung])).toEqual([]);
    await c.close();
    await seg.fh?.close();
  });
});
