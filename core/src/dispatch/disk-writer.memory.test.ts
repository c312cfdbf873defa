// What waits for the disk queue's background sync (interval fsync) must not keep the records:
// a 1 s interval at tens of thousands of events a second would hold their JSON in memory. Runs
// in a fresh `node` with gc() on the BUILT code (core/dist, as `npm test` builds it first).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dist = (p: string): string => new URL(`../../dist/${p}`, import.meta.url).href;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-dw-memory-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('disk writer under an interval fsync', () => {
  it('keeps no appended record alive while its persisted callback waits for the background sync', () => {
    const script = `
const { createDiskQueue } = await import(${JSON.stringify(dist('dispatch/disk-queue/queue.js'))});
const { createDiskWriter } = await import(${JSON.stringify(dist('dispatch/disk-writer.js'))});
const { exposeGc } = await import(${JSON.stringify(dist('util/expose-gc.js'))});
const { silentLogger } = await import(${JSON.stringify(dist('util/logger.js'))});
const gc = exposeGc();
const queue = await createDiskQueue({ dir: ${JSON.stringify(join(dir, 'q'))}, maxBytes: 64 * 1024 * 1024, fsync: { intervalMs: 3_600_000 }, overflow: 'block' });
const open = { opening: Promise.resolve(queue), queue, error: null, opened: () => Promise.resolve() };
const writer = createDiskWriter({ bounds: { maxEvents: 1000, maxBytes: 1e9 }, log: silentLogger, open, forget() {}, notify() {} });
let persisted = 0;
const refs = [];
(() => {
  for (let i = 0; i < 20; i++) {
    const item = { id: 'e' + i, json: JSON.stringify({ id: 'e' + i, pad: 'x'.repeat(1000) }), timestamp: null, persisted: () => void persisted++ };
    refs.push(new WeakRef(item));
    writer.add(item);
  }
})();
await writer.flush();
await new Promise((resolve) => setImmediate(resolve));
gc({ type: 'major', execution: 'sync' });
const alive = refs.filter((r) => r.deref() !== undefined).length;
const before = persisted;
await queue.close();
console.log(JSON.stringify({ alive, before, after: persisted }));
`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    // Written, not yet synced: not persisted; the close syncs and persists all 20.
    expect(JSON.parse(result.stdout)).toEqual({ alive: 0, before: 0, after: 20 });
  });
});
