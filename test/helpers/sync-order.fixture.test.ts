import { describe, expect, it } from 'vitest';
import { encodeHex as hex, parseStrace } from './strace.fixture.ts';
import { appends, creations, madeDirs, replaces } from './sync-order.fixture.ts';

/** A strace log from calls written as `name(args) = ret`, one line each, `fd:path` for an fd argument. */
function log(...lines: string[]) {
  const fd = (s: string): string => s.replace(/(\d+):([^,)\s]+)/g, (_, n: string, p: string) => `${n}<${hex(p)}>`);
  const str = (s: string): string => s.replace(/'([^']*)'/g, (_, p: string) => `"${hex(p)}"`);
  return parseStrace(lines.map((l, i) => `1 10:00:00.${String(i).padStart(6, '0')} ${str(fd(l))}`).join('\n'));
}
const open = (path: string, fd: number): string => `openat(AT_FDCWD<${hex('/w')}>, '${path}', O_WRONLY|O_CREAT|O_TRUNC) = ${fd}<${hex(path)}>`;
const to = (p: string) => (t: string) => t === p;

describe('replaces', () => {
  it('accepts write, sync, rename, directory sync, and keeps what was written', () => {
    const [r, ...rest] = replaces(
      log(
        open('/w/a.tmp', 3),
        "pwrite64(3:/w/a.tmp, 'hello', 5, 0) = 5",
        'fdatasync(3:/w/a.tmp) = 0',
        'close(3:/w/a.tmp) = 0',
        "rename('/w/a.tmp', '/w/a') = 0",
        open('/w', 4).replace('O_WRONLY|O_CREAT|O_TRUNC', 'O_RDONLY'),
        'fsync(4:/w) = 0',
      ),
      to('/w/a'),
    );
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ from: '/w/a.tmp', to: '/w/a', renamedAt: 4, durableAt: 6, problems: [] });
    expect(r!.content.toString()).toBe('hello');
  });

  it('names each missing step: no sync after the last write, no directory sync', () => {
    const [r] = replaces(
      log(open('/w/a.tmp', 3), "write(3:/w/a.tmp, 'a', 1) = 1", 'fsync(3:/w/a.tmp) = 0', "write(3:/w/a.tmp, 'b', 1) = 1", "rename('/w/a.tmp', '/w/a') = 0"),
      to('/w/a'),
    );
    expect(r!.problems).toEqual(['/w/a: /w/a.tmp not synced between its last write and the rename', '/w/a: directory /w not synced after the rename']);
    expect(r!.durableAt).toBeUndefined();
  });

  it('does not count a sync still running when the rename starts, nor a directory sync after the next rename', () => {
    const calls = parseStrace(
      [
        `1 10:00:00.000001 openat(AT_FDCWD<${hex('/w')}>, "${hex('/w/a.tmp')}", O_WRONLY|O_CREAT) = 3<${hex('/w/a.tmp')}>`,
        `1 10:00:00.000002 write(3<${hex('/w/a.tmp')}>, "${hex('a')}", 1) = 1`,
        `1 10:00:00.000003 fsync(3<${hex('/w/a.tmp')}> <unfinished ...>`,
        `2 10:00:00.000004 rename("${hex('/w/a.tmp')}", "${hex('/w/a')}") = 0`,
        '1 10:00:00.000005 <... fsync resumed>) = 0',
        `2 10:00:00.000006 openat(AT_FDCWD<${hex('/w')}>, "${hex('/w/a.tmp')}", O_WRONLY|O_CREAT) = 3<${hex('/w/a.tmp')}>`,
        `2 10:00:00.000007 write(3<${hex('/w/a.tmp')}>, "${hex('b')}", 1) = 1`,
        `2 10:00:00.000008 fsync(3<${hex('/w/a.tmp')}>) = 0`,
        `2 10:00:00.000009 rename("${hex('/w/a.tmp')}", "${hex('/w/a')}") = 0`,
        `2 10:00:00.000010 fsync(4<${hex('/w')}>) = 0`,
      ].join('\n'),
    );
    const [first, second] = replaces(calls, to('/w/a'));
    expect(first!.problems).toEqual([
      '/w/a: /w/a.tmp not synced between its last write and the rename',
      '/w/a: directory /w not synced after the rename (before the next rename onto it)',
    ]);
    expect(first!.content.toString()).toBe('a');
    expect(second).toMatchObject({ problems: [], durableAt: 9 });
    expect(second!.content.toString()).toBe('b');
  });

  it('reports a temp file never opened or never written, and skips failed renames and other targets', () => {
    expect(replaces(log("rename('/w/x.tmp', '/w/a') = 0", 'fsync(4:/w) = 0'), to('/w/a'))[0]!.problems).toEqual(['/w/a: the temp file /w/x.tmp was never opened']);
    expect(replaces(log(open('/w/x.tmp', 3), "rename('/w/x.tmp', '/w/a') = 0", 'fsync(4:/w) = 0'), to('/w/a'))[0]!.problems).toEqual([
      '/w/a: nothing written to /w/x.tmp before the rename',
    ]);
    expect(replaces(log("rename('/w/x.tmp', '/w/a') = -1 ENOENT (No such file or directory)", "rename('/w/y.tmp', '/w/b') = 0"), to('/w/a'))).toEqual([]);
  });
});

describe('appends', () => {
  it('finds the first sync of the same file that started after the write returned', () => {
    const out = appends(
      log("pwrite64(5:/w/seg, 'ab', 2, 0) = 2", 'fdatasync(6:/w/other) = 0', 'fdatasync(5:/w/seg) = 0', "pwrite64(5:/w/seg, 'cd', 2, 2) = 2", "write(7:/w/else, 'x', 1) = 1"),
      (p) => p === '/w/seg',
    );
    expect(out.map((a) => [a.content.toString(), a.writtenAt, a.syncedAt])).toEqual([
      ['ab', 0, 2],
      ['cd', 3, undefined],
    ]);
  });

  it('does not count a sync that started before the write returned', () => {
    const seg = hex('/w/seg');
    const calls = parseStrace(
      [
        `2 10:00:00.000001 pwrite64(5<${seg}>, "${hex('ab')}", 2, 0 <unfinished ...>`,
        `1 10:00:00.000002 fdatasync(5<${seg}> <unfinished ...>`,
        '2 10:00:00.000003 <... pwrite64 resumed>) = 2',
        '1 10:00:00.000004 <... fdatasync resumed>) = 0',
      ].join('\n'),
    );
    expect(appends(calls, (p) => p === '/w/seg')).toEqual([{ path: '/w/seg', content: Buffer.from('ab'), writtenAt: 2 }]);
  });
});

describe('creations', () => {
  it('finds the directory sync after a file was created, not after a plain open', () => {
    const out = creations(log(open('/w/seg-1', 5), 'fsync(4:/w) = 0', open('/w/seg-2', 6), `openat(AT_FDCWD<${hex('/w')}>, '/w/seg-1', O_RDONLY) = 7<${hex('/w/seg-1')}>`), (p) =>
      p.startsWith('/w/seg-'),
    );
    expect(out).toEqual([
      { path: '/w/seg-1', createdAt: 0, dirSyncedAt: 1 },
      { path: '/w/seg-2', createdAt: 2 },
    ]);
  });
});

describe('madeDirs', () => {
  it('finds the sync of the parent after a successful mkdir, resolving mkdirat names', () => {
    const out = madeDirs(
      log("mkdir('/w/a', 0777) = 0", 'fsync(4:/w/a) = 0', 'fsync(5:/w) = 0', "mkdirat(6:/w, 'b', 0777) = 0", "mkdir('/w/c', 0777) = -1 EEXIST (File exists)"),
      (p) => p.startsWith('/w/'),
    );
    expect(out).toEqual([
      { path: '/w/a', madeAt: 0, parentSyncedAt: 2 },
      { path: '/w/b', madeAt: 3 },
    ]);
  });
});
