// The WASI log of the fast kernel on its own: lines, the end of a call, the rate limit.
import { describe, expect, it } from 'vitest';
import { WASI_FUNCTIONS, WasiLog } from './wasi.js';
import type { LogLevel } from './host-api.js';

const enc = (s: string) => new TextEncoder().encode(s);

function logWith(perSecond: number) {
  const lines: [LogLevel, string][] = [];
  let now = 0;
  const log = new WasiLog(
    (level, message) => lines.push([level, message]),
    perSecond,
    () => now,
  );
  return { log, lines, advance: (ms: number) => (now += ms) };
}

describe('WasiLog', () => {
  it('logs complete lines as they come, per stream, and open ones at flush; splits UTF-8 safely', () => {
    const { log, lines } = logWith(100);
    const bytes = enc('héllo\nwor');
    log.write(0, bytes.subarray(0, 2)); // cuts "é" in half
    log.write(0, bytes.subarray(2));
    log.write(1, enc('err\r\n'));
    expect(lines).toEqual([
      ['info', 'héllo'],
      ['warn', 'err'],
    ]);
    log.write(0, enc('ld'));
    log.flush();
    expect(lines.at(-1)).toEqual(['info', 'world']);
    log.flush();
    expect(lines).toHaveLength(3);
  });

  it('logs at most N lines a second and then says how many it left out', () => {
    const { log, lines, advance } = logWith(3);
    log.write(0, enc('1\n2\n3\n4\n5\n'));
    log.flush();
    expect(lines.map((l) => l[1])).toEqual(['1', '2', '3']);
    advance(400);
    log.write(1, enc('6\n'));
    log.flush();
    expect(lines).toHaveLength(3);
    advance(700); // a new second
    log.flush();
    expect(lines.slice(3)).toEqual([['warn', '3 lines of stdout/stderr not logged (more than 3 lines a second)']]);
    log.write(0, enc('7\n'));
    expect(lines.at(-1)).toEqual(['info', '7']);
  });

  it('cuts an endless line into pieces instead of keeping it', () => {
    const { log, lines } = logWith(100);
    log.write(0, enc('x'.repeat(10_000)));
    expect(lines.map((l) => l[1].length)).toEqual([4096, 4096]);
    log.flush();
    expect(lines.map((l) => l[1].length)).toEqual([4096, 4096, 1808]);
  });
});

describe('the WASI functions served', () => {
  it('cover every import of WASI preview 1 the Extism PDKs make', () => {
    // From the modules built by the TinyGo, Go, C (wasi-sdk), Haskell and JS PDKs.
    for (const name of [
      'args_get',
      'args_sizes_get',
      'clock_time_get',
      'environ_get',
      'environ_sizes_get',
      'fd_close',
      'fd_fdstat_get',
      'fd_fdstat_set_flags',
      'fd_filestat_get',
      'fd_filestat_set_size',
      'fd_prestat_dir_name',
      'fd_prestat_get',
      'fd_read',
      'fd_seek',
      'fd_write',
      'path_create_directory',
      'path_filestat_get',
      'path_open',
      'poll_oneoff',
      'proc_exit',
      'random_get',
      'sched_yield',
    ]) {
      expect(WASI_FUNCTIONS.has(name), name).toBe(true);
    }
  });
});
