/**
 * WASI preview 1 for the fast kernel: the part the Extism PDKs import (TinyGo, Go, C via
 * wasi-sdk, Haskell, the JS PDK), with no filesystem and no network. What a module sees is what
 * the SDK's WASI (Node's `node:wasi`) shows a module given no `allowedPaths`:
 *
 * - fds 0, 1, 2 are character devices; stdin reads as empty; stdout and stderr are written to
 *   the transform's log (info and warn), line by line, at most {@link WASI_LOG_LINES_PER_SECOND}
 *   lines a second per instance (the rest counted and summarised). A line still open when a
 *   call ends is logged then.
 * - no other fd exists (`EBADF`): no preopened directory, so `path_open` and friends have
 *   nothing to open; sockets likewise.
 * - arguments and environment are empty; clocks and `random_get` are the host's;
 *   `poll_oneoff` sleeps for clock subscriptions (the call's deadline still applies).
 * - `proc_exit(code)` unwinds the call with a {@link WasiExit}: code 0 ends the call as a
 *   success with the output set so far, any other code fails it (Extism's own runtime does
 *   the same).
 *
 * A module given `allowedPaths` runs on the SDK path (real files). Must stay loadable by Node's
 * type stripping (the worker imports it).
 */
import { truncate } from './host-api.js';
import type { LogLevel } from './host-api.js';

/** Thrown by `proc_exit`: unwinds the module's call. */
export class WasiExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`the module exited with code ${code}`);
    this.name = 'WasiExit';
    this.code = code;
  }
}

/** The message of a call that ended with `proc_exit(code)`, code ≠ 0. */
export function exitMessage(code: number): string {
  return `the module exited with code ${code}`;
}

const ESUCCESS = 0;
const EBADF = 8;
const EINVAL = 28;
const ENOSYS = 52;
const ENOTCAPABLE = 76;

const FILETYPE_CHARACTER_DEVICE = 2;
/** Rights of the stdio fds (what node:wasi reports for them: all). */
const STDIO_RIGHTS = 0x3fff_ffffn;
const FDFLAGS_APPEND = 1;

/** Most lines of stdout/stderr logged per second and instance. */
export const WASI_LOG_LINES_PER_SECOND = 100;
/** Longest line logged (longer ones are cut). */
const MAX_LINE_CHARS = 4096;

/** Functions on fds that exist only as refusals here (no files, no sockets). */
const EBADF_FUNCTIONS = [
  'fd_advise',
  'fd_allocate',
  'fd_datasync',
  'fd_fdstat_set_rights',
  'fd_filestat_set_times',
  'fd_pread',
  'fd_pwrite',
  'fd_readdir',
  'fd_renumber',
  'fd_sync',
  'fd_prestat_get',
  'fd_prestat_dir_name',
  'sock_accept',
  'sock_recv',
  'sock_send',
  'sock_shutdown',
] as const;

/** Functions on paths, relative to a directory fd: there is none (no preopens). */
const PATH_FUNCTIONS = [
  'path_create_directory',
  'path_filestat_get',
  'path_filestat_set_times',
  'path_link',
  'path_open',
  'path_readlink',
  'path_remove_directory',
  'path_rename',
  'path_symlink',
  'path_unlink_file',
] as const;

/** Every WASI preview 1 function the fast kernel serves (all of preview 1). */
export const WASI_FUNCTIONS: ReadonlySet<string> = new Set([
  ...EBADF_FUNCTIONS,
  ...PATH_FUNCTIONS,
  'args_get',
  'args_sizes_get',
  'environ_get',
  'environ_sizes_get',
  'clock_res_get',
  'clock_time_get',
  'fd_close',
  'fd_fdstat_get',
  'fd_fdstat_set_flags',
  'fd_filestat_get',
  'fd_filestat_set_size',
  'fd_read',
  'fd_seek',
  'fd_tell',
  'fd_write',
  'poll_oneoff',
  'proc_exit',
  'proc_raise',
  'random_get',
  'sched_yield',
]);

/**
 * stdout/stderr of one instance as log lines: bytes buffered until a newline (or the end of
 * the call), lines rate-limited per second, the suppressed ones counted and summarised.
 */
export class WasiLog {
  readonly #log: (level: LogLevel, message: string) => void;
  readonly #perSecond: number;
  readonly #now: () => number;
  readonly #pending: [string, string] = ['', ''];
  readonly #decoders = [new TextDecoder(), new TextDecoder()];
  #windowStart = -Infinity;
  #inWindow = 0;
  #suppressed = 0;
  /** Bytes were written since the last flush (most calls write none: flush is then free). */
  #written = false;

  constructor(log: (level: LogLevel, message: string) => void, perSecond = WASI_LOG_LINES_PER_SECOND, now: () => number = () => performance.now()) {
    this.#log = log;
    this.#perSecond = perSecond;
    this.#now = now;
  }

  /** Bytes written to fd 1 (stream 0) or 2 (stream 1). */
  write(stream: 0 | 1, bytes: Uint8Array): void {
    this.#written = true;
    let text = this.#pending[stream] + this.#decoders[stream]!.decode(bytes, { stream: true });
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      this.#line(stream, text.slice(0, nl));
      text = text.slice(nl + 1);
      nl = text.indexOf('\n');
    }
    // An endless line is logged in pieces rather than kept.
    while (text.length > MAX_LINE_CHARS) {
      this.#line(stream, text.slice(0, MAX_LINE_CHARS));
      text = text.slice(MAX_LINE_CHARS);
    }
    this.#pending[stream] = text;
  }

  /** End of a call: logs open lines, and the count of suppressed lines once their second is over. */
  flush(): void {
    if (!this.#written && this.#suppressed === 0) return;
    this.#written = false;
    for (const stream of [0, 1] as const) {
      const rest = this.#pending[stream] + this.#decoders[stream]!.decode();
      this.#pending[stream] = '';
      if (rest !== '') this.#line(stream, rest);
    }
    if (this.#suppressed > 0 && this.#now() - this.#windowStart >= 1000) this.#summarise();
  }

  #line(stream: 0 | 1, line: string): void {
    const now = this.#now();
    if (now - this.#windowStart >= 1000) {
      if (this.#suppressed > 0) this.#summarise();
      this.#windowStart = now;
      this.#inWindow = 0;
    }
    if (this.#inWindow >= this.#perSecond) {
      this.#suppressed++;
      return;
    }
    this.#inWindow++;
    this.#log(stream === 0 ? 'info' : 'warn', truncate(line.endsWith('\r') ? line.slice(0, -1) : line));
  }

  #summarise(): void {
    this.#log('warn', `${this.#suppressed} lines of stdout/stderr not logged (more than ${this.#perSecond} lines a second)`);
    this.#suppressed = 0;
  }
}

/** Sleeps the thread (poll_oneoff on a clock): no event loop turn, like a blocking syscall. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepNs(ns: bigint): void {
  if (ns <= 0n) return;
  Atomics.wait(sleeper, 0, 0, Number(ns) / 1e6);
}

function realtimeNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

/**
 * The `wasi_snapshot_preview1` import object of one instance. `memory()` answers the guest's
 * exported memory (bound after instantiation).
 */
export function wasiImports(memory: () => WebAssembly.Memory, log: WasiLog): Record<string, (...args: never[]) => unknown> {
  const view = () => new DataView(memory().buffer);
  const bytes = () => new Uint8Array(memory().buffer);
  // The stdio fds a module closed (then EBADF, as anywhere else).
  const closed = new Set<number>();
  const stdio = (fd: number) => fd >= 0 && fd <= 2 && !closed.has(fd);
  const zeroSizes = (a: number, b: number): number => {
    const v = view();
    v.setUint32(a, 0, true);
    v.setUint32(b, 0, true);
    return ESUCCESS;
  };
  const clockNs = (id: number): bigint | null => {
    switch (id) {
      case 0:
        return realtimeNs();
      // monotonic, process and thread CPU time: the host's monotonic clock
      case 1:
      case 2:
      case 3:
        return process.hrtime.bigint();
      default:
        return null;
    }
  };
  const functions: Record<string, (...args: never[]) => unknown> = {
    args_get: () => ESUCCESS,
    args_sizes_get: zeroSizes,
    environ_get: () => ESUCCESS,
    environ_sizes_get: zeroSizes,
    clock_res_get: (id: number, out: number) => {
      if (clockNs(id) === null) return EINVAL;
      view().setBigUint64(out, 1n, true);
      return ESUCCESS;
    },
    clock_time_get: (id: number, _precision: bigint, out: number) => {
      const ns = clockNs(id);
      if (ns === null) return EINVAL;
      view().setBigUint64(out, ns, true);
      return ESUCCESS;
    },
    random_get: (at: number, length: number) => {
      const all = bytes();
      for (let done = 0; done < length; done += 65536) crypto.getRandomValues(all.subarray(at + done, at + Math.min(length, done + 65536)));
      return ESUCCESS;
    },
    fd_write: (fd: number, iovs: number, count: number, written: number) => {
      if ((fd !== 1 && fd !== 2) || !stdio(fd)) return EBADF;
      const v = view();
      const all = bytes();
      let total = 0;
      for (let i = 0; i < count; i++) {
        const at = v.getUint32(iovs + i * 8, true);
        const length = v.getUint32(iovs + i * 8 + 4, true);
        if (length > 0) log.write(fd === 1 ? 0 : 1, all.subarray(at, at + length));
        total += length;
      }
      v.setUint32(written, total, true);
      return ESUCCESS;
    },
    fd_read: (fd: number, _iovs: number, _count: number, read: number) => {
      if (fd !== 0 || !stdio(fd)) return EBADF;
      view().setUint32(read, 0, true); // stdin is empty
      return ESUCCESS;
    },
    fd_close: (fd: number) => {
      if (!stdio(fd)) return EBADF;
      closed.add(fd);
      return ESUCCESS;
    },
    // The stdio fds are /dev/null on the SDK path: seekable, always at 0.
    fd_seek: (fd: number, _offset: bigint, _whence: number, out: number) => {
      if (!stdio(fd)) return EBADF;
      view().setBigUint64(out, 0n, true);
      return ESUCCESS;
    },
    fd_tell: (fd: number, out: number) => {
      if (!stdio(fd)) return EBADF;
      view().setBigUint64(out, 0n, true);
      return ESUCCESS;
    },
    fd_fdstat_get: (fd: number, out: number) => {
      if (!stdio(fd)) return EBADF;
      const v = view();
      v.setUint8(out, FILETYPE_CHARACTER_DEVICE);
      v.setUint16(out + 2, fd === 0 ? 0 : FDFLAGS_APPEND, true);
      v.setBigUint64(out + 8, STDIO_RIGHTS, true);
      v.setBigUint64(out + 16, STDIO_RIGHTS, true);
      return ESUCCESS;
    },
    fd_fdstat_set_flags: (fd: number) => (stdio(fd) ? ESUCCESS : EBADF),
    fd_filestat_get: (fd: number, out: number) => {
      if (!stdio(fd)) return EBADF;
      bytes().fill(0, out, out + 64);
      view().setUint8(out + 16, FILETYPE_CHARACTER_DEVICE);
      view().setBigUint64(out + 24, 1n, true); // nlink
      return ESUCCESS;
    },
    fd_filestat_set_size: (fd: number) => (stdio(fd) ? EINVAL : EBADF),
    poll_oneoff: (subscriptions: number, events: number, count: number, eventCount: number) => {
      const v = view();
      let sleep: bigint | null = null;
      for (let i = 0; i < count; i++) {
        const at = subscriptions + i * 48;
        if (v.getUint8(at + 8) !== 0) continue; // fd subscriptions: handled below
        const timeout = v.getBigUint64(at + 24, true);
        const absolute = (v.getUint16(at + 40, true) & 1) !== 0;
        const now = clockNs(v.getUint32(at + 16, true)) ?? 0n;
        const wait = absolute ? timeout - now : timeout;
        sleep = sleep === null || wait < sleep ? wait : sleep;
      }
      const anyFd = Array.from({ length: count }, (_, i) => v.getUint8(subscriptions + i * 48 + 8) !== 0).some(Boolean);
      if (!anyFd && sleep !== null) sleepNs(sleep);
      let n = 0;
      for (let i = 0; i < count; i++) {
        const at = subscriptions + i * 48;
        const type = v.getUint8(at + 8);
        if (type === 0 && anyFd) continue; // an fd is ready at once: the clocks have not expired
        const out = events + n * 32;
        v.setBigUint64(out, v.getBigUint64(at, true), true);
        const fd = type === 0 ? -1 : v.getUint32(at + 16, true);
        v.setUint16(out + 8, type === 0 || stdio(fd) ? ESUCCESS : EBADF, true);
        v.setUint8(out + 10, type);
        v.setBigUint64(out + 16, 0n, true);
        v.setUint16(out + 24, 0, true);
        n++;
      }
      v.setUint32(eventCount, n, true);
      return ESUCCESS;
    },
    proc_exit: (code: number) => {
      throw new WasiExit(code >>> 0);
    },
    proc_raise: () => ENOSYS,
    sched_yield: () => ESUCCESS,
  };
  for (const name of EBADF_FUNCTIONS) functions[name] = () => EBADF;
  // As node:wasi answers: a negative fd is invalid, a stdio fd is no directory, others do not exist.
  for (const name of PATH_FUNCTIONS) functions[name] = (fd: number) => (fd < 0 ? EINVAL : stdio(fd) ? ENOTCAPABLE : EBADF);
  return functions;
}
