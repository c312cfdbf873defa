import { mkdtemp, open as fsOpen, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { K8streamError } from '../../errors.js';
import { createDiskQueue } from './queue.js';
import type { DiskQueue, DiskQueueItem, DiskQueueOptions, DiskQueueRecord } from './types.js';

let dir: string;
const open: DiskQueue[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-dq-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((q) => q.close()));
  await rm(dir, { recursive: true, force: true });
});

async function queue(opts: Partial<DiskQueueOptions> = {}): Promise<DiskQueue> {
  const q = await createDiskQueue({ dir, maxBytes: 1024 * 1024, fsync: 'always', overflow: 'block', ...opts });
  open.push(q);
  return q;
}

function items(from: number, count: number, pad = 20): DiskQueueItem[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `r${from + i}`;
    return { id, json: JSON.stringify({ id, pad: 'x'.repeat(pad) }) };
  });
}

/** Reads until `count` records arrived. */
async function readN(q: DiskQueue, count: number, max = 1000): Promise<DiskQueueRecord[]> {
  const out: DiskQueueRecord[] = [];
  while (out.length < count) {
    const got = await q.read(Math.min(max, count - out.length));
    if (got.length === 0) break;
    out.push(...got);
  }
  return out;
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('seg-')).sort();
}

async function reopen(q: DiskQueue, opts: Partial<DiskQueueOptions> = {}): Promise<DiskQueue> {
  await q.close();
  return queue(opts);
}

describe('disk queue', () => {
  it('returns appended records in order with increasing seqs', async () => {
    const q = await queue({ segmentBytes: 500 });
    await q.append(items(0, 30));
    await q.append(items(30, 20));
    const got = await readN(q, 50, 7);
    expect(got.map((r) => r.id)).toEqual(items(0, 50).map((i) => i.id));
    expect(got.map((r) => r.json)).toEqual(items(0, 50).map((i) => i.json));
    expect(got.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(q.stats()).toMatchObject({ records: 50, dropped: 0, truncatedRecords: 0, corruptSegments: 0 });
    expect(q.stats().segments).toBeGreaterThan(1);
  });

  it('makes a waiting read resolve on append and return [] on close', async () => {
    const q = await queue();
    const pending = q.read(10);
    await q.append(items(0, 2));
    expect((await pending).map((r) => r.id)).toEqual(['r0', 'r1']);
    const waiting = q.read(10);
    await q.close();
    expect(await waiting).toEqual([]);
    await expect(q.append(items(2, 1))).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });

  it('replays exactly the unacked records after close and reopen', async () => {
    let q = await queue({ segmentBytes: 400 });
    await q.append(items(0, 40));
    const first = await readN(q, 25);
    await q.ack(first[24]!.seq);
    q = await reopen(q, { segmentBytes: 400 });
    expect(q.stats().records).toBe(15);
    const replay = await readN(q, 15);
    expect(replay.map((r) => r.id)).toEqual(items(25, 15).map((i) => i.id));
    expect(replay.map((r) => r.seq)).toEqual(Array.from({ length: 15 }, (_, i) => 26 + i));
    await q.append(items(40, 1));
    expect(await q.read(5)).toEqual([{ seq: 41, id: 'r40', json: items(40, 1)[0]!.json }]);
  });

  it('close waits for an ack under way, and an ack after close writes nothing', async () => {
    const q = await queue({ segmentBytes: 300 });
    await q.append(items(0, 30));
    const got = await readN(q, 30);
    // The ack deletes sealed segments first (awaiting the disk), then writes the ack file: close
    // begins in between and must not resolve before that write.
    const acking = q.ack(got[20]!.seq);
    await q.close();
    const ackFile = await readFile(join(dir, 'ack'));
    expect(Number(ackFile.readBigUInt64LE(0))).toBe(got[20]!.seq);
    await acking;
    await q.ack(30);
    expect(await readFile(join(dir, 'ack'))).toEqual(ackFile);
  });

  it('deletes segments once all their records are acked', async () => {
    const q = await queue({ segmentBytes: 300 });
    await q.append(items(0, 30));
    const before = await segmentFiles();
    expect(before.length).toBeGreaterThan(3);
    const got = await readN(q, 30);
    await q.ack(got[14]!.seq);
    const middle = await segmentFiles();
    expect(middle.length).toBeLessThan(before.length);
    expect(middle.length).toBeGreaterThan(0);
    await q.ack(30);
    // The last segment is still open for appends; the next append retires it when room is needed.
    expect(q.stats().records).toBe(0);
    const sizes = await Promise.all((await segmentFiles()).map(async (n) => (await stat(join(dir, n))).size));
    expect(q.stats().bytes).toBe(sizes.reduce((a, b) => a + b, 0));
    const q2 = await reopen(q, { segmentBytes: 300 });
    expect(await segmentFiles()).toEqual([]);
    expect(q2.stats()).toMatchObject({ bytes: 0, records: 0, segments: 0 });
  });

  it('truncates a torn tail, counts it and replays the rest', async () => {
    let q = await queue();
    await q.append(items(0, 10));
    await q.close();
    const [seg] = await segmentFiles();
    const file = join(dir, seg!);
    const size = (await stat(file)).size;
    await truncate(file, size - 5);
    q = await queue();
    expect(q.stats()).toMatchObject({ records: 9, truncatedRecords: 1, corruptSegments: 0 });
    expect((await stat(file)).size).toBe((size / 10) * 9);
    expect((await readN(q, 9)).map((r) => r.id)).toEqual(items(0, 9).map((i) => i.id));
    await q.append(items(9, 1));
    expect((await q.read(5)).map((r) => [r.seq, r.id])).toEqual([[10, 'r9']]);
  });

  it('detects a flipped byte by CRC: keeps the records before it', async () => {
    let q = await queue();
    await q.append(items(0, 10));
    await q.close();
    const file = join(dir, (await segmentFiles())[0]!);
    const buf = await readFile(file);
    const frame = buf.length / 10;
    buf[frame * 6 + 30] = buf[frame * 6 + 30]! ^ 0x20;
    await writeFile(file, buf);
    q = await queue();
    expect(q.stats()).toMatchObject({ records: 6, truncatedRecords: 1 });
    expect((await readN(q, 6)).map((r) => r.id)).toEqual(items(0, 6).map((i) => i.id));
  });

  it('counts a corrupt middle segment and still replays later segments', async () => {
    let q = await queue({ segmentBytes: 300 });
    await q.append(items(0, 30));
    await q.close();
    const files = await segmentFiles();
    expect(files.length).toBeGreaterThan(2);
    const middle = join(dir, files[1]!);
    const buf = await readFile(middle);
    buf[12] = buf[12]! ^ 0xff;
    await writeFile(middle, buf);
    q = await queue({ segmentBytes: 300 });
    expect(q.stats()).toMatchObject({ truncatedRecords: 1, corruptSegments: 1 });
    const all = await readN(q, q.stats().records);
    const ids = all.map((r) => r.id);
    expect(ids[0]).toBe('r0');
    expect(ids.at(-1)).toBe('r29');
    expect(all.every((r, i) => i === 0 || r.seq > all[i - 1]!.seq)).toBe(true);
    for (const r of all) expect(JSON.parse(r.json)).toEqual({ id: r.id, pad: 'x'.repeat(20) });
  });

  it('never throws at open on garbage segments or a corrupt ack file', async () => {
    await writeFile(join(dir, 'seg-0000000000000001.log'), Buffer.from('garbage that is not a frame'));
    await writeFile(join(dir, 'ack'), Buffer.from('nonsense'));
    const q = await queue();
    expect(q.stats()).toMatchObject({ records: 0, segments: 0, truncatedRecords: 1 });
    await q.append(items(0, 1));
    expect((await q.read(1)).map((r) => r.seq)).toEqual([1]);
  });

  it('block: append waits for room and resolves after an ack', async () => {
    const q = await queue({ maxBytes: 2000, segmentBytes: 500 });
    await q.append(items(0, 20));
    const full = q.stats().bytes;
    expect(full).toBeLessThanOrEqual(2000);
    let resolved = false;
    const blocked = q.append(items(20, 10)).then(() => {
      resolved = true;
    });
    const got = await readN(q, 20);
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    await q.ack(got.at(-1)!.seq);
    await blocked;
    expect(resolved).toBe(true);
    expect((await readN(q, 10)).map((r) => r.id)).toEqual(items(20, 10).map((i) => i.id));
    expect(q.stats()).toMatchObject({ dropped: 0, records: 10 });
  });

  it('block: a blocked append rejects with SINK_CLOSED when the queue closes', async () => {
    const q = await queue({ maxBytes: 1000, segmentBytes: 250 });
    await q.append(items(0, 10));
    const blocked = q.append(items(10, 10));
    await q.close();
    await expect(blocked).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });

  it('drop-oldest: deletes the oldest segments and counts the dropped records', async () => {
    const q = await queue({ maxBytes: 2000, segmentBytes: 500, overflow: 'drop-oldest' });
    await q.append(items(0, 100));
    const s = q.stats();
    expect(s.bytes).toBeLessThanOrEqual(2000);
    expect(s.dropped + s.records).toBe(100);
    expect(s.dropped).toBeGreaterThan(0);
    const rest = await readN(q, s.records);
    expect(rest.map((r) => r.id)).toEqual(items(s.dropped, s.records).map((i) => i.id));
    expect(rest.at(-1)!.id).toBe('r99');
  });

  it('rejects a record larger than maxBytes with EVENT_INVALID', async () => {
    const q = await queue({ maxBytes: 100 });
    await expect(q.append(items(0, 1, 200))).rejects.toMatchObject({ code: 'EVENT_INVALID', path: 'r0' });
    expect(q.stats().records).toBe(0);
  });

  it('reports an unusable directory as BUFFER_UNAVAILABLE naming the dir', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const bad = join(dir, 'file', 'queue');
    const err = await createDiskQueue({ dir: bad, maxBytes: 1000, fsync: 'always', overflow: 'block' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(K8streamError);
    expect(err).toMatchObject({ code: 'BUFFER_UNAVAILABLE', path: bad });
    expect((err as Error).message).toContain(bad);
  });

  it('fsync always: onDurable comes with onWritten, before the append resolves', async () => {
    const q = await queue();
    const log: string[] = [];
    await q.append(
      items(0, 3),
      (n) => log.push(`written ${n}`),
      (n) => log.push(`durable ${n}`),
    );
    expect(log).toEqual(['written 3', 'durable 3']);
  });

  it('fsync interval: onDurable only after the background sync fsynced the segment and its new directory entry', async () => {
    const proto = Object.getPrototypeOf(await fsOpen(dir, 'r').then(async (fh) => (await fh.close(), fh))) as FileHandle;
    const log: string[] = [];
    const realDatasync: (this: FileHandle) => Promise<void> = Reflect.get(proto, 'datasync');
    const realSync: (this: FileHandle) => Promise<void> = Reflect.get(proto, 'sync');
    const datasync = vi.spyOn(proto, 'datasync').mockImplementation(function (this: FileHandle) {
      log.push('datasync');
      return realDatasync.call(this);
    });
    const sync = vi.spyOn(proto, 'sync').mockImplementation(function (this: FileHandle) {
      log.push('sync');
      return realSync.call(this);
    });
    try {
      const q = await queue({ fsync: { intervalMs: 5 } });
      log.length = 0; // opening syncs the ack file and the directory
      let durable: (n: number) => void = () => undefined;
      const done = new Promise<number>((resolve) => (durable = resolve));
      await q.append(
        items(0, 4),
        (n) => log.push(`written ${n}`),
        (n) => {
          log.push(`durable ${n}`);
          durable(n);
        },
      );
      expect(log).toEqual(['written 4']);
      expect(await done).toBe(4);
      expect(log).toEqual(['written 4', 'datasync', 'sync', 'durable 4']);
    } finally {
      datasync.mockRestore();
      sync.mockRestore();
    }
  });

  it('fsync interval: close makes what waits for the background sync durable', async () => {
    const q = await queue({ fsync: { intervalMs: 3_600_000 } });
    const log: string[] = [];
    await q.append(
      items(0, 2),
      (n) => log.push(`written ${n}`),
      (n) => log.push(`durable ${n}`),
    );
    await q.append(items(2, 1), undefined, (n) => log.push(`durable ${n} of 1`));
    expect(log).toEqual(['written 2']);
    await q.close();
    expect(log).toEqual(['written 2', 'durable 2', 'durable 1 of 1']);
  });

  it('fsync interval mode persists across reopen too', async () => {
    let q = await queue({ fsync: { intervalMs: 10 } });
    await q.append(items(0, 5));
    q = await reopen(q, { fsync: { intervalMs: 10 } });
    expect((await readN(q, 5)).map((r) => r.id)).toEqual(items(0, 5).map((i) => i.id));
  });
});
