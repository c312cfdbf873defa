import { mkdir, mkdtemp, readdir, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAckFile } from './ack-file.js';
import { Acks } from './acks.js';
import { addSegment, logState } from './log-state.fixture.js';
import type { LogState } from './segments.js';
import { WriteHealth } from './write-health.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-dq-acks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function acksOf(s: LogState): { acks: Acks; health: WriteHealth } {
  const health = new WriteHealth(s.dir, undefined);
  return { acks: new Acks(s, health), health };
}

describe('Acks', () => {
  it('deletes sealed, fully acked segments and persists the position', async () => {
    const s = logState(dir);
    const a = await addSegment(s, 1, 3);
    const b = await addSegment(s, 4, 6);
    const { acks } = acksOf(s);
    await acks.ack(4);
    expect(s.acked).toBe(4);
    expect(s.segments).toEqual([b]);
    expect(s.bytes).toBe(b.size);
    expect(await readAckFile(dir)).toBe(4);
    expect((await readdir(dir)).sort()).toEqual(['ack', 'seg-0000000000000004.log']);
    expect(a.file).not.toBe(b.file);
  });

  it('keeps the active segment (the next append retires it) and clamps to the last appended sequence', async () => {
    const s = logState(dir);
    const c = await addSegment(s, 1, 2, true);
    const { acks } = acksOf(s);
    await acks.ack(99.7);
    expect(s.acked).toBe(2);
    expect(s.segments).toEqual([c]);
    expect(await readAckFile(dir)).toBe(2);
    await acks.ack(1); // behind: no-op
    expect(s.acked).toBe(2);
    await c.fh?.close();
  });

  it('leaves the ack file stale on a disk error, without failing, and rewrites it later', async () => {
    const s = logState(dir);
    await addSegment(s, 1, 3, true);
    const { acks, health } = acksOf(s);
    await mkdir(join(dir, 'ack.tmp')); // the ack file's temp path is taken: EISDIR
    await acks.ack(2);
    expect(s.acked).toBe(2);
    expect(acks.stale).toBe(true);
    expect(health.errors).toBe(1);
    expect(health.failing).toBe(true);
    await rmdir(join(dir, 'ack.tmp'));
    await acks.persist();
    expect(acks.stale).toBe(false);
    expect(health.failing).toBe(false);
    expect(await readAckFile(dir)).toBe(2);
    await s.segments[0]?.fh?.close();
  });

  it('writes nothing once closed', async () => {
    const s = logState(dir);
    await addSegment(s, 1, 3);
    const { acks } = acksOf(s);
    await acks.close();
    await acks.ack(3);
    expect(s.acked).toBe(0);
    expect(await readdir(dir)).toEqual(['seg-0000000000000001.log']);
  });
});
