import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAckFile } from './ack-file.js';
import { Acks } from './acks.js';
import { addSegment, logState } from './log-state.fixture.js';
import { makeRoom } from './overflow.js';
import type { LogState } from './segments.js';
import { WriteHealth } from './write-health.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-dq-ovf-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function acksOf(s: LogState): Acks {
  return new Acks(s, new WriteHealth(s.dir, undefined));
}

describe('makeRoom', () => {
  it('returns at once when the bytes fit', async () => {
    const s = logState(dir);
    const a = await addSegment(s, 1, 3);
    await makeRoom(s, false, acksOf(s), s.maxBytes - a.size);
    expect(s.segments).toEqual([a]);
  });

  it('drop-oldest: deletes the oldest segments, counts their unacked records and acks past them', async () => {
    const s = logState(dir, { acked: 1 });
    const a = await addSegment(s, 1, 3);
    const b = await addSegment(s, 4, 6);
    const c = await addSegment(s, 7, 8, true);
    const s2 = Object.assign(s, { maxBytes: a.size + b.size + c.size });
    await makeRoom(s2, true, acksOf(s2), b.size);
    expect(s.segments).toEqual([b, c]);
    expect(s.dropped).toBe(2);
    expect(s.acked).toBe(3);
    expect(await readAckFile(dir)).toBe(3);
    await makeRoom(s2, true, acksOf(s2), b.size + 1); // b is as large as a: b must go too
    expect(s.segments).toEqual([c]);
    expect(s.dropped).toBe(5);
    expect(s.acked).toBe(6);
    await c.fh?.close();
  });

  it('retires a fully acked active segment before anything else', async () => {
    const s = logState(dir, { acked: 8 });
    const c = await addSegment(s, 7, 8, true);
    const s2 = Object.assign(s, { maxBytes: c.size });
    await makeRoom(s2, false, acksOf(s2), 1);
    expect(s.segments).toEqual([]);
    expect(c.fh).toBeNull();
    expect(s.dropped).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it('block: waits until bytes are freed, and rejects once closed', async () => {
    const s = logState(dir);
    const a = await addSegment(s, 1, 3);
    const s2 = Object.assign(s, { maxBytes: a.size });
    let done = false;
    const room = makeRoom(s2, false, acksOf(s2), 1).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    expect(s.segments).toEqual([a]);
    s.bytes = 0;
    s.freed.notify();
    await room;
    expect(s.dropped).toBe(0);

    s.bytes = a.size;
    const closed = makeRoom(s2, false, acksOf(s2), 1);
    s.closed = true;
    s.freed.notify();
    await expect(closed).rejects.toThrow(/is closed/);
  });
});
