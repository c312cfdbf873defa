import { mkdtemp, readdir, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addSegment, logState } from './log-state.fixture.js';
import { activeSegment, assertOpen, deleteSegment, openActiveSegment, sealSegment } from './segments.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-dq-seg-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('segments', () => {
  it('creates one active segment starting at nextSeq and reuses it until sealed', async () => {
    const s = logState(dir, { nextSeq: 42 });
    const seg = await openActiveSegment(s);
    expect(seg).toMatchObject({ firstSeq: 42, lastSeq: 41, size: 0, readable: 0 });
    expect(await readdir(dir)).toEqual(['seg-0000000000000042.log']);
    expect(await openActiveSegment(s)).toBe(seg);
    expect(activeSegment(s)).toBe(seg);
    await sealSegment(s, seg);
    expect(seg.fh).toBeNull();
    expect(activeSegment(s)).toBeUndefined();
    await sealSegment(s, seg); // sealing twice is a no-op
    const next = await openActiveSegment(s);
    expect(next).not.toBe(seg);
    expect(s.segments).toEqual([seg, next]);
    await sealSegment(s, next, true);
  });

  it('deletes a segment: forgets it, frees its bytes, unlinks it and wakes appenders', async () => {
    const s = logState(dir);
    const a = await addSegment(s, 1, 3);
    const b = await addSegment(s, 4, 5);
    let woken = false;
    void s.freed.wait().then(() => (woken = true));
    await deleteSegment(s, a);
    expect(s.segments).toEqual([b]);
    expect(s.bytes).toBe(b.size);
    expect(await readdir(dir)).toEqual(['seg-0000000000000004.log']);
    await Promise.resolve();
    expect(woken).toBe(true);
    await deleteSegment(s, a); // already forgotten: no-op
    expect(s.bytes).toBe(b.size);
    await unlink(b.file);
    await deleteSegment(s, b); // file already gone: fine
    expect(s.segments).toEqual([]);
    expect(s.bytes).toBe(0);
  });

  it('rejects use after close', () => {
    const s = logState(dir);
    expect(() => assertOpen(s)).not.toThrow();
    s.closed = true;
    expect(() => assertOpen(s)).toThrow(/is closed/);
  });
});
