import { mkdir, mkdtemp, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Acks } from './acks.js';
import { appendItems } from './append.js';
import type { AppendDeps } from './append.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { logState } from './log-state.fixture.js';
import { segmentName } from './recover.js';
import { sealSegment } from './segments.js';
import type { LogState } from './segments.js';
import type { DiskQueueItem } from './types.js';
import { WriteHealth } from './write-health.js';

let dir: string;
let s: LogState;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-dq-app-'));
});
afterEach(async () => {
  for (const seg of s.segments) await sealSegment(s, seg, true);
  await rm(dir, { recursive: true, force: true });
});

function depsOf(st: LogState): AppendDeps {
  const health = new WriteHealth(st.dir, undefined);
  return { dropOldest: false, retry: { initialMs: 5, maxMs: 10 }, health, acks: new Acks(st, health) };
}

function items(from: number, count: number): DiskQueueItem[] {
  return Array.from({ length: count }, (_, i) => ({ id: `r${from + i}`, json: `{"n":${from + i}}` }));
}

const frameSize = encodeFrame(1, 'r1', '{"n":1}').length;

describe('appendItems', () => {
  it('writes consecutive sequences, seals full segments and reports cumulative progress', async () => {
    s = logState(dir, { segmentBytes: frameSize * 2, fsyncAlways: false });
    const counts: number[] = [];
    const onDisk: number[] = [];
    await appendItems(s, depsOf(s), items(1, 5), (n) => {
      counts.push(n);
      onDisk.push(s.nextSeq - 1);
    });
    expect(counts).toEqual([2, 4, 5]);
    expect(onDisk).toEqual([2, 4, 5]); // each count is told once its records are written
    expect(s.segments.map((seg) => [seg.firstSeq, seg.lastSeq, seg.fh === null])).toEqual([
      [1, 2, true],
      [3, 4, true],
      [5, 5, false],
    ]);
    expect(s.segments.every((seg) => seg.readable === seg.size)).toBe(true);
    expect(s.nextSeq).toBe(6);
    expect(s.bytes).toBe(frameSize * 5);
    expect(s.dirty).toBe(true); // the last chunk waits for the background sync
    const buf = await readFile(s.segments[1]!.file);
    expect(decodeFrame(buf, 0)).toMatchObject({ seq: 3, id: 'r3' });
  });

  it('retries a disk error with backoff until the step succeeds', async () => {
    s = logState(dir);
    const deps = depsOf(s);
    const blocker = join(dir, segmentName(1));
    await mkdir(blocker); // the segment's path is taken: EISDIR
    let done = false;
    const pending = appendItems(s, deps, items(1, 2)).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 40));
    expect(done).toBe(false);
    expect(deps.health.errors).toBeGreaterThanOrEqual(2);
    expect(deps.health.failing).toBe(true);
    await rmdir(blocker);
    await pending;
    expect(deps.health.failing).toBe(false);
    expect(s.nextSeq).toBe(3);
  });

  it('rejects a record larger than maxBytes without writing anything', async () => {
    s = logState(dir, { maxBytes: frameSize - 1 });
    await expect(appendItems(s, depsOf(s), items(1, 1))).rejects.toMatchObject({ code: 'EVENT_INVALID' });
    expect(s.segments).toEqual([]);
    expect(s.nextSeq).toBe(1);
  });
});
