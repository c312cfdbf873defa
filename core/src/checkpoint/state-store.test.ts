import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { K8streamError } from '../errors.js';
import { createFileStateStore, createLeaseStateStore, STATE_FILE } from './state-store.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'k8stream-state-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<K8streamError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(K8streamError);
  return err as K8streamError;
}

describe('createFileStateStore', () => {
  it('describes itself by the state file path', () => {
    const dir = join(root, 'state');
    expect(createFileStateStore(dir).describe).toBe(join(dir, STATE_FILE));
  });

  it('loads null when nothing was saved (directory absent or empty)', async () => {
    expect(await createFileStateStore(join(root, 'missing')).load()).toBeNull();
    expect(await createFileStateStore(root).load()).toBeNull();
  });

  it('saves and loads, creating the directory (recursively)', async () => {
    const dir = join(root, 'a', 'b');
    const store = createFileStateStore(dir);
    await store.save('{"x":1}');
    expect(await store.load()).toBe('{"x":1}');
    expect(await readFile(join(dir, STATE_FILE), 'utf8')).toBe('{"x":1}');
    // a second store on the same dir sees it
    expect(await createFileStateStore(dir).load()).toBe('{"x":1}');
  });

  it('overwrites atomically: no temporary file is left, only state.json', async () => {
    const store = createFileStateStore(root);
    await store.save('first, longer content');
    await store.save('second');
    expect(await store.load()).toBe('second');
    expect(await readdir(root)).toEqual([STATE_FILE]);
  });

  it('concurrent saves never tear the file or fail', async () => {
    const store = createFileStateStore(root);
    const texts = ['a'.repeat(10_000), 'b'.repeat(10), 'c'.repeat(5_000)];
    await Promise.all(texts.map((t) => store.save(t)));
    expect(await store.load()).toBe(texts[2]);
    expect(await readdir(root)).toEqual([STATE_FILE]);
  });

  it('many saves in sequence keep the last', async () => {
    const store = createFileStateStore(root);
    for (let i = 0; i < 20; i++) await store.save(`v${i}`);
    expect(await store.load()).toBe('v19');
    expect(await readdir(root)).toEqual([STATE_FILE]);
  });

  it('a directory under a regular file rejects with STATE_UNAVAILABLE naming the dir', async () => {
    const blocker = join(root, 'file');
    await writeFile(blocker, 'not a dir');
    const dir = join(blocker, 'state');
    const err = await rejection(createFileStateStore(dir).save('{}'));
    expect(err.code).toBe('STATE_UNAVAILABLE');
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(/^cannot save the resume state in /);
    expect(err.path).toBe('state.dir');
    expect(err.hint).toMatch(/writable directory/);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });

  it('loading under a regular file rejects with STATE_UNAVAILABLE (not null)', async () => {
    const blocker = join(root, 'file');
    await writeFile(blocker, 'not a dir');
    const err = await rejection(createFileStateStore(join(blocker, 'state')).load());
    expect(err.code).toBe('STATE_UNAVAILABLE');
    expect(err.message).toMatch(/^cannot read the resume state in /);
  });

  it('a state.json that is a directory rejects load with STATE_UNAVAILABLE', async () => {
    await mkdir(join(root, STATE_FILE));
    const err = await rejection(createFileStateStore(root).load());
    expect(err.code).toBe('STATE_UNAVAILABLE');
    expect((err.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
  });

  it('recovers once the directory becomes usable (the mkdir is retried)', async () => {
    const blocker = join(root, 'parent');
    await writeFile(blocker, 'in the way');
    const dir = join(blocker, 'state');
    const store = createFileStateStore(dir);
    expect((await rejection(store.save('a'))).code).toBe('STATE_UNAVAILABLE');
    await rm(blocker);
    await store.save('b');
    expect(await store.load()).toBe('b');
  });
});

describe('createLeaseStateStore', () => {
  const lease = (over: Partial<{ readState: () => Promise<string | null>; writeState: (v: string) => Promise<void> }> = {}) => ({
    describe: 'lease ns/k8stream',
    readState: vi.fn(over.readState ?? (async () => null)),
    writeState: vi.fn(over.writeState ?? (async () => undefined)),
  });

  it('passes loads, saves and the abort signal through', async () => {
    const l = lease({ readState: async () => '{"v":1}' });
    const store = createLeaseStateStore(l);
    expect(store.describe).toBe('lease ns/k8stream');
    const signal = new AbortController().signal;
    expect(await store.load(signal)).toBe('{"v":1}');
    await store.save('text', signal);
    expect(l.readState).toHaveBeenCalledWith(signal);
    expect(l.writeState).toHaveBeenCalledWith('text', signal);
  });

  it('loads null when the lease holds no state', async () => {
    expect(await createLeaseStateStore(lease()).load()).toBeNull();
  });

  it('wraps read and write failures into STATE_UNAVAILABLE naming the lease', async () => {
    const cause = new Error('409 conflict');
    const store = createLeaseStateStore(
      lease({
        readState: async () => {
          throw cause;
        },
        writeState: async () => {
          throw cause;
        },
      }),
    );
    const r = await rejection(store.load());
    expect(r.code).toBe('STATE_UNAVAILABLE');
    expect(r.message).toBe('cannot read the resume state on lease ns/k8stream: 409 conflict');
    expect(r.path).toBe('leaderElection');
    expect(r.cause).toBe(cause);
    const w = await rejection(store.save('x'));
    expect(w.code).toBe('STATE_UNAVAILABLE');
    expect(w.message).toBe('cannot save the resume state on lease ns/k8stream: 409 conflict');
    expect(w.cause).toBe(cause);
  });

  it('wraps other K8streamErrors, passes STATE_UNAVAILABLE ones through unchanged', async () => {
    const lost = new K8streamError('LEADERSHIP_LOST', 'lost the lease');
    const already = new K8streamError('STATE_UNAVAILABLE', 'already wrapped');
    const a = await rejection(
      createLeaseStateStore(
        lease({
          writeState: async () => {
            throw lost;
          },
        }),
      ).save('x'),
    );
    expect(a.code).toBe('STATE_UNAVAILABLE');
    expect(a.cause).toBe(lost);
    const b = await rejection(
      createLeaseStateStore(
        lease({
          readState: async () => {
            throw already;
          },
        }),
      ).load(),
    );
    expect(b).toBe(already);
  });
});
