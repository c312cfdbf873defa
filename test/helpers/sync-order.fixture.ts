/**
 * What a strace log (`strace.fixture.ts`) says about durability: for files replaced atomically,
 * whether each one was written, synced, renamed and its directory synced, in that order; for
 * files appended in place, when each write was synced. Order is the order strace saw the calls:
 * a sync counts only if it returned before the next step started.
 */
import { dirname } from 'node:path';
import { renamePaths } from './strace.fixture.ts';
import type { Syscall } from './strace.fixture.ts';

const WRITES = new Set(['write', 'pwrite64', 'writev', 'pwritev', 'pwritev2']);
const SYNCS = new Set(['fsync', 'fdatasync']);

const isWrite = (c: Syscall, path: string): boolean => WRITES.has(c.name) && c.path === path && c.ret >= 0;
const isSync = (c: Syscall, path: string): boolean => SYNCS.has(c.name) && c.path === path && c.ret === 0;

/** The first successful sync of `path` that started after `calls[i]` returned (undefined if none did). */
function syncAfter(calls: readonly Syscall[], i: number, path: string): Syscall | undefined {
  const call = calls[i]!;
  for (let k = i + 1; k < calls.length; k++) {
    const c = calls[k]!;
    if (c.start > call.end && isSync(c, path)) return c;
  }
  return undefined;
}

/** One temp file renamed over its final name. */
export interface Replace {
  from: string;
  to: string;
  /** What was written to the temp file (from the strings strace printed: pass a large `-s`). */
  content: Buffer;
  /** Line of the rename's start. */
  renamedAt: number;
  /** Line where the directory sync after the rename returned: the new name is durable. */
  durableAt?: number;
  /** Each missing step, in words. */
  problems: string[];
}

/** Every successful rename whose target `match`es, with the steps that made it durable. */
export function replaces(calls: readonly Syscall[], match: (to: string) => boolean): Replace[] {
  const out: Replace[] = [];
  for (const [i, call] of calls.entries()) {
    const paths = call.ret === 0 ? renamePaths(call) : undefined;
    if (!paths || !match(paths.to)) continue;
    const { from, to } = paths;
    const problems: string[] = [];
    const before = calls.slice(0, i).filter((c) => c.end < call.start);
    const opened = before.findLast((c) => c.name === 'openat' && c.retPath === from);
    const since = opened ? before.filter((c) => c.start > opened.end) : [];
    const writes = since.filter((c) => isWrite(c, from));
    const lastWrite = Math.max(-1, ...writes.map((w) => w.end));
    if (!opened) problems.push(`${to}: the temp file ${from} was never opened`);
    else if (writes.length === 0) problems.push(`${to}: nothing written to ${from} before the rename`);
    else if (!since.some((c) => c.start > lastWrite && isSync(c, from))) problems.push(`${to}: ${from} not synced between its last write and the rename`);
    const dir = dirname(to);
    const next = calls.slice(i + 1).find((c) => c.ret === 0 && renamePaths(c)?.to === to);
    const dirSync = calls.slice(i + 1).find((c) => c.start > call.end && (next === undefined || c.end < next.start) && isSync(c, dir));
    if (!dirSync) problems.push(`${to}: directory ${dir} not synced after the rename${next ? ' (before the next rename onto it)' : ''}`);
    out.push({
      from,
      to,
      content: Buffer.concat(writes.flatMap((w) => (w.name === 'write' || w.name === 'pwrite64' ? w.strings.slice(0, 1) : w.strings))),
      renamedAt: call.start,
      ...(dirSync ? { durableAt: dirSync.end } : {}),
      problems,
    });
  }
  return out;
}

/** One write to a file appended in place. */
export interface Append {
  path: string;
  content: Buffer;
  /** Line where the write returned. */
  writtenAt: number;
  /** Line where the first sync of that file after the write returned; absent if none did. */
  syncedAt?: number;
}

/** Every successful write to a file whose path `match`es, with the sync that made it durable. */
export function appends(calls: readonly Syscall[], match: (path: string) => boolean): Append[] {
  const out: Append[] = [];
  for (const [i, call] of calls.entries()) {
    if (!WRITES.has(call.name) || call.ret < 0 || call.path === undefined || !match(call.path)) continue;
    const path = call.path;
    const sync = syncAfter(calls, i, path);
    out.push({ path, content: call.strings[0] ?? Buffer.alloc(0), writtenAt: call.end, ...(sync ? { syncedAt: sync.end } : {}) });
  }
  return out;
}

/** A file created (opened with O_CREAT) whose path `match`es, and when its directory entry became durable. */
export interface Creation {
  path: string;
  /** Line where the open returned. */
  createdAt: number;
  /** Line where the first sync of its directory after the create returned; absent if none did. */
  dirSyncedAt?: number;
}

/** Every file `match` accepts that an open created (O_CREAT), with the directory sync after it. */
export function creations(calls: readonly Syscall[], match: (path: string) => boolean): Creation[] {
  const out: Creation[] = [];
  for (const [i, call] of calls.entries()) {
    if (call.name !== 'openat' || call.retPath === undefined || !call.args.includes('O_CREAT') || !match(call.retPath)) continue;
    const dir = dirname(call.retPath);
    const sync = syncAfter(calls, i, dir);
    out.push({ path: call.retPath, createdAt: call.end, ...(sync ? { dirSyncedAt: sync.end } : {}) });
  }
  return out;
}

/** A directory made (mkdir/mkdirat) whose path `match`es, and when its entry in the parent became durable. */
export interface MadeDir {
  path: string;
  /** Line where the mkdir returned. */
  madeAt: number;
  /** Line where the first sync of the parent after the mkdir returned; absent if none did. */
  parentSyncedAt?: number;
}

/** Every directory `match` accepts that a successful mkdir made, with the parent sync after it. */
export function madeDirs(calls: readonly Syscall[], match: (path: string) => boolean): MadeDir[] {
  const out: MadeDir[] = [];
  for (const [i, call] of calls.entries()) {
    if ((call.name !== 'mkdir' && call.name !== 'mkdirat') || call.ret !== 0) continue;
    const name = call.strings[0]?.toString('utf8');
    if (name === undefined) continue;
    const path = name.startsWith('/') || call.path === undefined ? name : `${call.path}/${name}`;
    if (!match(path)) continue;
    const parent = dirname(path);
    const sync = syncAfter(calls, i, parent);
    out.push({ path, madeAt: call.end, ...(sync ? { parentSyncedAt: sync.end } : {}) });
  }
  return out;
}
