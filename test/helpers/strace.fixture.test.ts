import { describe, expect, it } from 'vitest';
import { decodeHex, encodeHex as hex, parseStrace, renamePaths } from './strace.fixture.ts';

describe('parseStrace', () => {
  it('reads fds with their paths, decoded strings, returned fds and errors', () => {
    const log = [
      `7 10:00:00.000001 openat(AT_FDCWD<${hex('/w')}>, "${hex('/w/a.tmp')}", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 21<${hex('/w/a.tmp')}>`,
      `7 10:00:00.000002 pwrite64(21<${hex('/w/a.tmp')}>, "${hex('x\n\0"y')}", 5, 0) = 5`,
      `7 10:00:00.000003 openat(AT_FDCWD<${hex('/w')}>, "${hex('/w/none')}", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)`,
      '7 10:00:00.000004 +++ exited with 0 +++',
    ].join('\n');
    const [open, write, missing, ...rest] = parseStrace(log);
    expect(rest).toEqual([]);
    expect(open).toMatchObject({ pid: 7, name: 'openat', retPath: '/w/a.tmp', ret: 21, start: 0, end: 0 });
    expect(open!.args).toContain('O_CREAT');
    expect(write).toMatchObject({ name: 'pwrite64', fd: 21, path: '/w/a.tmp', ret: 5, start: 1, end: 1 });
    expect(write!.strings).toEqual([Buffer.from('x\n\0"y')]);
    expect(missing).toMatchObject({ ret: -1 });
    expect(missing!.retPath).toBeUndefined();
  });

  it('joins a call split by another thread, ordered by where it started', () => {
    const log = [
      `8 10:00:00.000001 fsync(22<${hex('/w/a.tmp')}> <unfinished ...>`,
      `9 10:00:00.000002 rename("${hex('/w/b.tmp')}", "${hex('/w/b')}") = 0`,
      '8 10:00:00.000003 <... fsync resumed>) = 0',
      `9 10:00:00.000004 pwrite64(23<${hex('/w/s')}>, "${hex('ab')}" <unfinished ...>`,
      '9 10:00:00.000005 <... pwrite64 resumed>, 2, 0) = 2',
    ].join('\n');
    const calls = parseStrace(log);
    expect(calls.map((c) => [c.name, c.start, c.end])).toEqual([
      ['fsync', 0, 2],
      ['rename', 1, 1],
      ['pwrite64', 3, 4],
    ]);
    expect(calls[0]).toMatchObject({ pid: 8, path: '/w/a.tmp', ret: 0 });
    expect(calls[2]!.strings).toEqual([Buffer.from('ab')]);
  });

  it('decodes -xx escapes exactly', () => {
    expect(decodeHex('\\x00\\xff\\x41')).toEqual(Buffer.from([0, 255, 65]));
    expect(decodeHex(hex('état\n'))).toEqual(Buffer.from('état\n'));
  });
});

describe('renamePaths', () => {
  it('reads rename and resolves renameat2 names against their directory fds', () => {
    const [plain, at, other] = parseStrace(
      [
        `1 10:00:00.000001 rename("${hex('/w/a.tmp')}", "${hex('/w/a')}") = 0`,
        `1 10:00:00.000002 renameat2(AT_FDCWD<${hex('/w')}>, "${hex('b.tmp')}", 5<${hex('/v')}>, "${hex('b')}", RENAME_NOREPLACE) = 0`,
        `1 10:00:00.000003 close(5<${hex('/v')}>) = 0`,
      ].join('\n'),
    );
    expect(renamePaths(plain!)).toEqual({ from: '/w/a.tmp', to: '/w/a' });
    expect(renamePaths(at!)).toEqual({ from: '/w/b.tmp', to: '/v/b' });
    expect(renamePaths(other!)).toBeUndefined();
  });
});
