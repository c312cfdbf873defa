import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import { hasHeapFlag, hasSemiSpaceFlag, memoryBudget, readMemoryLimit } from './memory-limit.js';
import type { MemoryLimitSources } from './memory-limit.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** What cgroup v1 writes for "no limit" (2^63 rounded down to a 4 KiB page). */
const V1_UNLIMITED = '9223372036854771712';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'k8stream-memlimit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes files under a fresh dir in the temp dir (`cgroup/...` is the cgroup mount, `proc` /proc/self/cgroup). */
function files(entries: Record<string, string>): MemoryLimitSources {
  const root = mkdtempSync(join(dir, 'case-'));
  for (const [path, text] of Object.entries(entries)) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return { env: {}, procSelfCgroup: join(root, 'proc'), cgroupRoot: join(root, 'cgroup'), constrainedMemory: () => 0 };
}

describe('readMemoryLimit', () => {
  it('cgroup v2: memory.max of the own group', () => {
    const sources = files({ proc: '0::/kubepods/pod1/ctr\n', 'cgroup/kubepods/pod1/ctr/memory.max': `${128 * MiB}\n` });
    expect(readMemoryLimit(sources)).toEqual({ bytes: 128 * MiB, source: 'cgroup v2', file: join(sources.cgroupRoot!, 'kubepods/pod1/ctr/memory.max') });
  });

  it('cgroup v2: the smallest limit among the group and its ancestors (a pod limit on the parent)', () => {
    const sources = files({
      proc: '0::/kubepods/pod1/ctr\n',
      'cgroup/kubepods/pod1/ctr/memory.max': 'max\n',
      'cgroup/kubepods/pod1/memory.max': `${256 * MiB}\n`,
      'cgroup/kubepods/memory.max': `${8 * GiB}\n`,
    });
    expect(readMemoryLimit(sources)).toMatchObject({ bytes: 256 * MiB, source: 'cgroup v2' });
  });

  it('cgroup v2 inside a cgroup namespace: the group is / and the limit at the mount root', () => {
    const sources = files({ proc: '0::/\n', 'cgroup/memory.max': `${64 * MiB}\n` });
    expect(readMemoryLimit(sources)).toMatchObject({ bytes: 64 * MiB, source: 'cgroup v2' });
  });

  it('cgroup v2 "max" is no limit', () => {
    const sources = files({ proc: '0::/a\n', 'cgroup/a/memory.max': 'max\n', 'cgroup/memory.max': 'max\n' });
    expect(readMemoryLimit(sources)).toEqual({ bytes: null, source: 'none' });
  });

  it('cgroup v1: memory.limit_in_bytes under the memory controller', () => {
    const sources = files({
      proc: '12:pids:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n0::/\n',
      'cgroup/memory/docker/abc/memory.limit_in_bytes': `${512 * MiB}\n`,
      'cgroup/memory/memory.limit_in_bytes': `${V1_UNLIMITED}\n`,
    });
    expect(readMemoryLimit(sources)).toEqual({ bytes: 512 * MiB, source: 'cgroup v1', file: join(sources.cgroupRoot!, 'memory/docker/abc/memory.limit_in_bytes') });
  });

  it('cgroup v1: a controller list that includes memory', () => {
    const sources = files({ proc: '3:cpu,memory:/g\n', 'cgroup/memory/g/memory.limit_in_bytes': `${96 * MiB}\n` });
    expect(readMemoryLimit(sources)).toMatchObject({ bytes: 96 * MiB, source: 'cgroup v1' });
  });

  it('cgroup v1 "unlimited" (2^63 rounded to a page) is no limit', () => {
    const sources = files({ proc: '4:memory:/x\n', 'cgroup/memory/x/memory.limit_in_bytes': V1_UNLIMITED, 'cgroup/memory/memory.limit_in_bytes': V1_UNLIMITED });
    expect(readMemoryLimit(sources)).toEqual({ bytes: null, source: 'none' });
  });

  it('missing files, an unreadable /proc/self/cgroup or garbage: no limit', () => {
    expect(readMemoryLimit(files({}))).toEqual({ bytes: null, source: 'none' });
    expect(readMemoryLimit(files({ proc: '0::/gone\n4:memory:/gone\n' }))).toEqual({ bytes: null, source: 'none' });
    expect(readMemoryLimit(files({ proc: 'nonsense\n0::/\n', 'cgroup/memory.max': 'lots\n' }))).toEqual({ bytes: null, source: 'none' });
  });

  it('process.constrainedMemory() counts when it is the smallest (or the only) limit', () => {
    const sources = files({ proc: '0::/\n', 'cgroup/memory.max': `${256 * MiB}\n` });
    expect(readMemoryLimit({ ...sources, constrainedMemory: () => 100 * MiB })).toEqual({ bytes: 100 * MiB, source: 'constrainedMemory' });
    expect(readMemoryLimit({ ...sources, constrainedMemory: () => 300 * MiB })).toMatchObject({ bytes: 256 * MiB, source: 'cgroup v2' });
    expect(readMemoryLimit({ ...files({}), constrainedMemory: () => 200 * MiB })).toEqual({ bytes: 200 * MiB, source: 'constrainedMemory' });
    // A huge value (some libuv versions report "unlimited" as such) is no limit.
    expect(readMemoryLimit({ ...files({}), constrainedMemory: () => Number(V1_UNLIMITED) })).toEqual({ bytes: null, source: 'none' });
  });

  it('the smallest of v1, v2 and constrainedMemory wins', () => {
    const sources = files({
      proc: '4:memory:/g\n0::/g\n',
      'cgroup/g/memory.max': `${300 * MiB}\n`,
      'cgroup/memory/g/memory.limit_in_bytes': `${200 * MiB}\n`,
    });
    expect(readMemoryLimit({ ...sources, constrainedMemory: () => 250 * MiB })).toMatchObject({ bytes: 200 * MiB, source: 'cgroup v1' });
  });

  it('K8STREAM_MEMORY_LIMIT overrides whatever the cgroups say', () => {
    const sources = files({ proc: '0::/\n', 'cgroup/memory.max': `${64 * MiB}\n` });
    expect(readMemoryLimit({ ...sources, env: { K8STREAM_MEMORY_LIMIT: '128Mi' } })).toEqual({ bytes: 128 * MiB, source: 'K8STREAM_MEMORY_LIMIT' });
    expect(readMemoryLimit({ ...sources, env: { K8STREAM_MEMORY_LIMIT: '2GiB' } })).toEqual({ bytes: 2 * GiB, source: 'K8STREAM_MEMORY_LIMIT' });
    expect(readMemoryLimit({ ...sources, env: { K8STREAM_MEMORY_LIMIT: 'none' } })).toEqual({ bytes: null, source: 'K8STREAM_MEMORY_LIMIT' });
    expect(readMemoryLimit({ ...sources, env: { K8STREAM_MEMORY_LIMIT: '0' } })).toEqual({ bytes: null, source: 'K8STREAM_MEMORY_LIMIT' });
    expect(readMemoryLimit({ ...sources, env: { K8STREAM_MEMORY_LIMIT: '' } })).toMatchObject({ bytes: 64 * MiB, source: 'cgroup v2' });
  });

  it('an invalid K8STREAM_MEMORY_LIMIT is a CONFIG_INVALID error, not a silent "no limit"', () => {
    const run = () => readMemoryLimit({ ...files({}), env: { K8STREAM_MEMORY_LIMIT: 'lots' } });
    expect(run).toThrow(K8streamError);
    expect(run).toThrow(/K8STREAM_MEMORY_LIMIT: expected a size/);
  });
});

describe('memoryBudget', () => {
  it.each([
    // limit, heapMb, semiSpaceMb, queueMaxBytes, workerHeapMb, workers (on 2 cores), tracked events
    [64 * MiB, 35, 2, 4 * MiB, 32, 1, 65_536],
    [128 * MiB, 70, 4, 8 * MiB, 32, 1, 131_072],
    [256 * MiB, 140, 8, 16 * MiB, 32, 1, 262_144],
    [512 * MiB, 281, 8, 32 * MiB, 51, 2, 524_288],
    [2 * GiB, 1126, 8, 64 * MiB, 204, 2, 1_000_000],
    [32 * GiB, 4096, 8, 64 * MiB, 256, 2, 1_000_000],
    [16 * MiB, 32, 1, 4 * MiB, 32, 1, 20_000],
    [null, 1024, 8, 64 * MiB, null, 2, 1_000_000],
  ])(
    'limit %s → heap %s MB, semi-space %s MB, queue %s, worker heap %s MB, %s workers, %s tracked events',
    (limit, heapMb, semiSpaceMb, queueMaxBytes, workerHeapMb, workers, tracked) => {
      expect(memoryBudget(limit, 2)).toEqual({ limitBytes: limit, heapMb, semiSpaceMb, queueMaxBytes, workerHeapMb, transformWorkers: workers, trackedEvents: tracked });
    },
  );

  it('with transforms, sizes the main heap from what their workers leave (24 MiB each)', () => {
    expect(memoryBudget(96 * MiB, 2, 1)).toMatchObject({ heapMb: 39, semiSpaceMb: 2, queueMaxBytes: 6 * MiB, transformWorkers: 1, workerHeapMb: 32 });
    expect(memoryBudget(128 * MiB, 2, 2)).toMatchObject({ heapMb: 57, semiSpaceMb: 3, transformWorkers: 1 });
    expect(memoryBudget(1 * GiB, 2, 1)).toMatchObject({ heapMb: Math.floor((1024 - 48) * 0.55), transformWorkers: 2 });
    expect(memoryBudget(48 * MiB, 2, 1).heapMb).toBe(32);
    expect(memoryBudget(null, 2, 1).heapMb).toBe(1024);
  });

  it('never more workers than cores', () => {
    expect(memoryBudget(null, 1).transformWorkers).toBe(1);
    expect(memoryBudget(4 * GiB, 1).transformWorkers).toBe(1);
    expect(memoryBudget(4 * GiB, 16).transformWorkers).toBe(2);
  });
});

describe('hasHeapFlag', () => {
  it.each([
    [['--max-old-space-size=100'], true],
    [['--max_old_space_size=100'], true],
    [['--enable-source-maps', '--max-old-space-size', '100'], true],
    [['--max-semi-space-size=16'], false],
    [[], false],
    ['--enable-source-maps --max-old-space-size=96', true],
    ['--enable-source-maps', false],
    [undefined, false],
  ])('%j → %s', (flags, expected) => {
    expect(hasHeapFlag(flags)).toBe(expected);
  });

  it('hasSemiSpaceFlag', () => {
    expect(hasSemiSpaceFlag('--max-semi-space-size=8')).toBe(true);
    expect(hasSemiSpaceFlag(['--max_semi_space_size=8'])).toBe(true);
    expect(hasSemiSpaceFlag(['--max-old-space-size=8'])).toBe(false);
  });
});
