import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiskQueue } from './disk-queue/types.js';
import { K8streamError } from '../errors.js';
import { recordingLogger } from '../util/logger.fixture.js';
import { openDiskBuffer, openFailure } from './disk-open.js';
import type { DiskBuffer } from './disk-open.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-disk-open-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const buffer = (path: string): DiskBuffer => ({ type: 'disk', dir: path, maxBytes: 1024 * 1024, fsync: 'always', overflow: 'block' });

describe('disk buffer open', () => {
  it('names the sink and the directory, keeping an inner K8streamError’s code and hint', () => {
    const inner = new K8streamError('BUFFER_UNAVAILABLE', 'disk queue /d: cannot create', { hint: 'free some space' });
    const e = openFailure('archive', '/d', inner);
    expect([e.code, e.message, e.hint, e.cause]).toEqual([
      'BUFFER_UNAVAILABLE',
      'sink "archive": cannot open the disk buffer in /d: disk queue /d: cannot create',
      'free some space',
      inner,
    ]);
    const errno = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(openFailure('archive', '/d', errno).code).toBe('BUFFER_UNAVAILABLE');
    expect(openFailure('archive', '/d', new Error('bug')).code).toBe('INTERNAL');
  });

  it('opens in the background and runs onOpen before opening resolves', async () => {
    const seen: DiskQueue[] = [];
    const open = openDiskBuffer('archive', buffer(join(dir, 'q')), recordingLogger().logger, (q) => void seen.push(q));
    expect([open.queue, open.error]).toEqual([null, null]);
    const queue = await open.opening;
    expect(queue).not.toBeNull();
    expect(seen).toEqual([queue]);
    expect(open.queue).toBe(queue);
    await expect(open.opened()).resolves.toBeUndefined();
    await queue!.close();
  });

  it('an unusable directory: opening resolves null, the failure is logged once, opened() rejects with it', async () => {
    const file = join(dir, 'file');
    await writeFile(file, 'not a directory');
    const { logger, lines } = recordingLogger();
    let calls = 0;
    const open = openDiskBuffer('archive', buffer(join(file, 'q')), logger, () => void calls++);
    await expect(open.opening).resolves.toBeNull();
    expect(open.error?.code).toBe('BUFFER_UNAVAILABLE');
    expect(open.error?.message).toContain(`sink "archive": cannot open the disk buffer in ${join(file, 'q')}`);
    await expect(open.opened()).rejects.toBe(open.error);
    expect(calls).toBe(0);
    expect(lines.filter((l) => l.level === 'error')).toEqual([
      { level: 'error', msg: 'disk buffer unavailable', fields: { dir: join(file, 'q'), code: 'BUFFER_UNAVAILABLE', error: open.error?.message } },
    ]);
  });
});
