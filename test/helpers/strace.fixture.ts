/**
 * Reads a log written by `strace -f -xx -y -s <n> -o <file>`: one entry per system call, in the
 * order strace saw them start, with the line numbers of its start and its end (a call another
 * thread interrupted is split into `<unfinished ...>` and `<... resumed>` lines; the two halves
 * are joined). `-xx` prints every string and every `-y` fd path as `\xHH` bytes, so decoding is
 * exact whatever the bytes; `-y` names the file behind each fd, so calls are matched by path.
 */

export interface Syscall {
  readonly pid: number;
  readonly name: string;
  /** Line (0-based) where the call started and where it returned: order of observation. */
  readonly start: number;
  readonly end: number;
  /** The first argument's fd and its path (`-y`), for calls on a file descriptor. */
  readonly fd?: number;
  readonly path?: string;
  /** The quoted string arguments, decoded. */
  readonly strings: readonly Buffer[];
  /** The return value (-1 on an error). */
  readonly ret: number;
  /** The path behind a returned fd (openat). */
  readonly retPath?: string;
  /** The raw argument text (strings still escaped). */
  readonly args: string;
}

const HEX = /\\x([0-9a-fA-F]{2})/g;

/** Bytes → `\x2f\x74`, as `-xx` prints them (for writing logs in tests). */
export function encodeHex(bytes: string | Uint8Array): string {
  return [...Buffer.from(bytes)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
}

/** `\x2f\x74` → bytes. */
export function decodeHex(escaped: string): Buffer {
  const bytes: number[] = [];
  for (const m of escaped.matchAll(HEX)) bytes.push(parseInt(m[1]!, 16));
  return Buffer.from(bytes);
}

const PREFIX = /^(?:(?:\[pid\s+)?(\d+)\]?\s+)?(\d{2}:\d{2}:\d{2}\.\d+)\s+/;
const WHOLE = /^(\w+)\((.*)\)\s+=\s+(-?\d+)(?:<((?:\\x[0-9a-fA-F]{2})*)>)?/;
const UNFINISHED = /^(\w+)\((.*?)\s*<unfinished \.\.\.>$/;
const RESUMED = /^<\.\.\. (\w+) resumed>(.*)\)\s+=\s+(-?\d+)(?:<((?:\\x[0-9a-fA-F]{2})*)>)?/;
const FIRST_FD = /^(-?\d+)<((?:\\x[0-9a-fA-F]{2})*)>/;
const STRING = /"((?:\\x[0-9a-fA-F]{2})*)"/g;

/** Parses a whole strace log; lines that are not system calls (exits, signals) are skipped. */
export function parseStrace(text: string): Syscall[] {
  const calls: Syscall[] = [];
  const pending = new Map<string, { name: string; args: string; start: number; pid: number }>();
  const lines = text.split('\n');
  const finish = (pid: number, name: string, args: string, start: number, end: number, ret: string, retPath: string | undefined): void => {
    const first = FIRST_FD.exec(args);
    calls.push({
      pid,
      name,
      start,
      end,
      ...(first ? { fd: Number(first[1]), path: decodeHex(first[2]!).toString('utf8') } : {}),
      strings: [...args.matchAll(STRING)].map((m) => decodeHex(m[1]!)),
      ret: Number(ret),
      ...(retPath !== undefined ? { retPath: decodeHex(retPath).toString('utf8') } : {}),
      args,
    });
  };
  for (const [i, line] of lines.entries()) {
    const prefix = PREFIX.exec(line);
    if (!prefix) continue;
    const pid = Number(prefix[1] ?? 0);
    const rest = line.slice(prefix[0].length);
    const resumed = RESUMED.exec(rest);
    if (resumed) {
      const key = `${pid}:${resumed[1]}`;
      const head = pending.get(key);
      if (!head) continue;
      pending.delete(key);
      finish(pid, head.name, head.args + resumed[2]!, head.start, i, resumed[3]!, resumed[4]);
      continue;
    }
    const unfinished = UNFINISHED.exec(rest);
    if (unfinished) {
      pending.set(`${pid}:${unfinished[1]}`, { name: unfinished[1]!, args: unfinished[2]!, start: i, pid });
      continue;
    }
    const whole = WHOLE.exec(rest);
    if (whole) finish(pid, whole[1]!, whole[2]!, i, i, whole[3]!, whole[4]);
  }
  return calls.sort((a, b) => a.start - b.start);
}

/** A rename as `from` → `to`, absolute (renameat/renameat2 resolve against their dir fds). */
export function renamePaths(call: Syscall): { from: string; to: string } | undefined {
  if (call.name === 'rename') {
    const [from, to] = call.strings;
    return from && to ? { from: from.toString('utf8'), to: to.toString('utf8') } : undefined;
  }
  if (call.name !== 'renameat' && call.name !== 'renameat2') return undefined;
  const parts = [...call.args.matchAll(/(?:(-?\d+|AT_FDCWD)<((?:\\x[0-9a-fA-F]{2})*)>)?,?\s*"((?:\\x[0-9a-fA-F]{2})*)"/g)];
  if (parts.length < 2) return undefined;
  const resolve = (m: RegExpMatchArray): string => {
    const name = decodeHex(m[3]!).toString('utf8');
    if (name.startsWith('/') || m[2] === undefined) return name;
    return `${decodeHex(m[2]).toString('utf8')}/${name}`;
  };
  return { from: resolve(parts[0]!), to: resolve(parts[1]!) };
}
