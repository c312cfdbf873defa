/** Staging objects: bounded downloads, retries, skips, abort; local files in place. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { K8streamError } from '../../errors.js';
import type { ArchiveReader } from '../../plugins/api.js';
import { fetchObjects } from './fetch.js';
import type { Candidate } from './fetch.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'k8stream-fetch-test-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/**
 * An in-memory archive: `read` answers on the next turn of the event loop (so every call the pool
 * starts at once is in flight together), fails as `failures` says, and counts calls in flight.
 */
function memoryArchive(objects: Record<string, string>, failures: Record<string, number> = {}) {
  const calls: string[] = [];
  const state = { inFlight: 0, maxInFlight: 0 };
  const left = { ...failures };
  const reader: ArchiveReader = {
    template: '{batchId}{ext}',
    templateValues: {},
    describe: () => 'memory',
    list: () => Promise.resolve({ objects: [], prefixes: [] }),
    read: (key) => {
      calls.push(key);
      state.maxInFlight = Math.max(state.maxInFlight, ++state.inFlight);
      return new Promise((resolve, reject) => {
        setImmediate(() => {
          state.inFlight--;
          if ((left[key] ?? 0) > 0) {
            left[key]!--;
            reject(new K8streamError('ARCHIVE_READ_FAILED', `cannot read ${key}: boom`));
          } else resolve(new TextEncoder().encode(objects[key] ?? ''));
        });
      });
    },
  };
  return { reader, calls, state };
}

const candidates = (n: number): Candidate[] => Array.from({ length: n }, (_, i) => ({ key: `p/b-${String(i).padStart(2, '0')}.ndjson.gz`, size: 1, extension: '.ndjson.gz' }));

describe('fetchObjects: remote objects', () => {
  it('downloads at most 8 at a time into one temporary directory, keeping each extension, and dispose removes it', async () => {
    const list = candidates(20);
    const { reader, state } = memoryArchive(Object.fromEntries(list.map((c) => [c.key, `body of ${c.key}`])));
    const progress: [number, number][] = [];
    const fetched = await fetchObjects(reader, list, { tmpDir: tmp, onProgress: (n, b) => progress.push([n, b]) });
    expect(state.maxInFlight).toBe(8);
    expect(fetched.files.map((f) => f.key)).toEqual(list.map((c) => c.key));
    expect(fetched.files.every((f) => f.path.endsWith('.ndjson.gz') && f.extension === '.ndjson.gz')).toBe(true);
    expect(await readFile(fetched.files[3]!.path, 'utf8')).toBe('body of p/b-03.ndjson.gz');
    expect(fetched.bytes).toBe(list.reduce((n, c) => n + `body of ${c.key}`.length, 0));
    expect(progress.at(-1)).toEqual([20, fetched.bytes]);
    expect(progress.map(([n]) => n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const dir = path.dirname(fetched.files[0]!.path);
    expect(await readdir(dir)).toHaveLength(20);
    await fetched.dispose();
    expect(await readdir(tmp)).toEqual([]);
  });

  it('tries a failing read three times: a second-try success is staged, a third failure is skipped with its key', async () => {
    const list = candidates(3);
    const { reader, calls } = memoryArchive({ [list[0]!.key]: 'a', [list[1]!.key]: 'b', [list[2]!.key]: 'c' }, { [list[0]!.key]: 1, [list[2]!.key]: 5 });
    const fetched = await fetchObjects(reader, list, { tmpDir: tmp, retryDelayMs: 1 });
    expect(fetched.files.map((f) => f.key)).toEqual([list[0]!.key, list[1]!.key]);
    expect(fetched.skipped).toEqual([{ key: list[2]!.key, code: 'ARCHIVE_READ_FAILED', reason: `cannot read ${list[2]!.key}: boom` }]);
    expect(calls.filter((k) => k === list[0]!.key)).toHaveLength(2);
    expect(calls.filter((k) => k === list[2]!.key)).toHaveLength(3);
    await fetched.dispose();
  });

  it('stops on abort, removes what it downloaded and throws the reason', async () => {
    const list = candidates(30);
    const controller = new AbortController();
    const { reader, calls } = memoryArchive(Object.fromEntries(list.map((c) => [c.key, 'x'])));
    const reason = new Error('interrupted');
    const fetching = fetchObjects(reader, list, {
      tmpDir: tmp,
      signal: controller.signal,
      onProgress: (n) => {
        if (n === 10) controller.abort(reason);
      },
    });
    await expect(fetching).rejects.toBe(reason);
    expect(calls.length).toBeLessThan(30);
    expect(await readdir(tmp)).toEqual([]);
  });
});

describe('fetchObjects: a local archive', () => {
  it('stages files in place, and skips one that cannot be opened', async () => {
    await writeFile(path.join(tmp, 'a.ndjson'), 'abc');
    const reader: ArchiveReader = {
      ...memoryArchive({}).reader,
      localPath: (key) => (key === 'nolocal.ndjson' ? undefined : path.join(tmp, key)),
    };
    const list: Candidate[] = [
      { key: 'a.ndjson', size: 3, extension: '.ndjson' },
      { key: 'missing.ndjson', size: 9, extension: '.ndjson' },
      { key: 'nolocal.ndjson', size: 9, extension: '.ndjson' },
    ];
    const fetched = await fetchObjects(reader, list);
    expect(fetched.files).toEqual([{ path: path.join(tmp, 'a.ndjson'), key: 'a.ndjson', extension: '.ndjson', size: 3 }]);
    expect(fetched.bytes).toBe(3);
    expect(fetched.skipped).toEqual([
      { key: 'missing.ndjson', code: 'ARCHIVE_READ_FAILED', reason: expect.stringContaining('ENOENT') },
      { key: 'nolocal.ndjson', code: 'ARCHIVE_READ_FAILED', reason: 'no local file for nolocal.ndjson' },
    ]);
    await fetched.dispose();
    expect(await readFile(path.join(tmp, 'a.ndjson'), 'utf8')).toBe('abc');
  });
});
