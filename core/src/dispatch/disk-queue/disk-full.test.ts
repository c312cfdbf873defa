/**
 * The disk queue on a real full disk: a small tmpfs mounted for these tests (needs root, as in
 * the project's container; unmounted in afterAll). Filling it with a filler file gives real
 * ENOSPC on the queue's writes; deleting the filler frees the space.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../util/logger.js';
import { createDiskQueue } from './queue.js';
import { mountTmpfs } from './tmpfs.fixture.js';
import type { Tmpfs } from './tmpfs.fixture.js';
import type { DiskQueue, DiskQueueItem, DiskQueueOptions, DiskQueueRecord } from './types.js';

let fs: Tmpfs;
let dir: string;
const queues: DiskQueue[] = [];

beforeAll(async () => {
  fs = await mountTmpfs('128k', 'k8stream-dq-tmpfs-');
});
afterAll(async () => {
  // Nothing to unmount when the mount failed (its one-line error is the report).
  await (fs as Tmpfs | undefined)?.unmount();
});
beforeEach(() => {
  dir = join(fs.dir, 'queue');
});
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close().catch(() => undefined)));
  await fs.clear();
});

async function queue(opts: Partial<DiskQueueOptions> = {}): Promise<DiskQueue> {
  const q = await createDiskQueue({
    dir,
    maxBytes: 1024 * 1024,
    segmentBytes: 32 * 1024,
    fsync: 'always',
    overflow: 'block',
    retry: { initialMs: 5, maxMs: 20 },
    ...opts,
  });
  queues.push(q);
  return q;
}

function items(from: number, count: number): DiskQueueItem[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `r${from + i}`;
    return { id, json: JSON.stringify({ id, pad: 'x'.repeat(60) }) };
  });
}

const fillUp = (leavePages = 0): Promise<void> => fs.fillUp(leavePages);

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function readN(q: DiskQueue, count: number): Promise<DiskQueueRecord[]> {
  const out: DiskQueueRecord[] = [];
  while (out.length < count) out.push(...(await q.read(count - out.length)));
  return out;
}

async function segmentBytesOnDisk(): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) if (name.startsWith('seg-')) total += (await stat(join(dir, name))).size;
  return total;
}

describe('disk queue on a full disk', () => {
  it('retries a failing append until space frees up; all or nothing, no torn record', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'debug', format: 'json', write: (t) => void lines.push(JSON.parse(t) as Record<string, unknown>) });
    const q = await queue({ logger });
    await q.append(items(0, 10));
    // One page left: the next append (about 10 KiB) is cut short by ENOSPC mid-write.
    await fillUp(1);
    const counts: number[] = [];
    let resolved = false;
    const appending = q
      .append(items(10, 100), (n) => void counts.push(n))
      .then(() => {
        resolved = true;
      });
    await until(() => q.stats().writeErrors >= 3, 'three failed writes');
    expect(resolved).toBe(false);
    expect(counts).toEqual([]);
    expect(q.stats()).toMatchObject({ records: 10, writeFailing: true });
    // The partial write was cut back: only the first append's frames are on disk.
    expect(await segmentBytesOnDisk()).toBe(q.stats().bytes);
    const failed = lines.filter((l) => l.level === 'error');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ dir, errno: 'ENOSPC', action: 'append to and fsync a segment' });

    await fs.freeUp();
    await appending;
    expect(counts).toEqual([100]);
    expect(q.stats()).toMatchObject({ records: 110, writeFailing: false });
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'disk buffer writes recovered')).toEqual([expect.objectContaining({ level: 'info', dir, failures: q.stats().writeErrors })]);
    const got = await readN(q, 110);
    expect(got.map((r) => r.id)).toEqual(items(0, 110).map((i) => i.id));
    expect(got.map((r) => r.seq)).toEqual(Array.from({ length: 110 }, (_, i) => i + 1));

    // Replay after reopen: the same records, nothing torn.
    await q.close();
    const again = await queue();
    expect(again.stats()).toMatchObject({ records: 110, truncatedRecords: 0, corruptSegments: 0 });
    expect((await readN(again, 110)).map((r) => r.id)).toEqual(items(0, 110).map((i) => i.id));
  });

  it('readers never see records before onWritten reported them', async () => {
    const q = await queue({ segmentBytes: 2 * 1024 });
    let reported = 0;
    const counts: number[] = [];
    const reading = q.read(1000).then((got) => ({ got, reportedThen: reported }));
    await q.append(items(0, 100), (n) => {
      reported = n;
      counts.push(n);
    });
    const { got, reportedThen } = await reading;
    expect(got.length).toBeGreaterThan(0);
    expect(reportedThen).toBeGreaterThanOrEqual(got.length);
    // One call per segment touched, cumulative, ending with every item.
    expect(counts.length).toBe(q.stats().segments);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(100);
  });

  it('close during a failing append rejects it with SINK_CLOSED; nothing was appended', async () => {
    const q = await queue();
    await fillUp();
    const counts: number[] = [];
    const appending = q.append(items(0, 5), (n) => void counts.push(n));
    await until(() => q.stats().writeFailing, 'a failing write');
    await q.close();
    await expect(appending).rejects.toMatchObject({ code: 'SINK_CLOSED' });
    expect(counts).toEqual([]);
    await fs.freeUp();
    const again = await queue();
    expect(again.stats()).toMatchObject({ records: 0, truncatedRecords: 0 });
  });

  it('an ack on a full disk resolves, counts the failure, and the position is written later', async () => {
    const q = await queue();
    await q.append(items(0, 20));
    await readN(q, 20);
    await fillUp();
    await q.ack(10);
    expect(q.stats()).toMatchObject({ acked: 10, records: 10, writeErrors: 1, writeFailing: true });
    await fs.freeUp();
    // The stale position is written at close at the latest.
    await q.close();
    const again = await queue();
    expect(again.stats()).toMatchObject({ acked: 10, records: 10 });
    expect((await readN(again, 10)).map((r) => r.id)).toEqual(items(10, 10).map((i) => i.id));
  });
});
