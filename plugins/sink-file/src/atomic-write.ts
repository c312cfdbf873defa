/**
 * Crash-safe file writes: the data goes to `<file>.tmp-<random>` in the same directory, is
 * fsynced, and is renamed over `<file>`; then the directory is fsynced so the rename itself is
 * durable. A crash at any point leaves either no file or the complete file under the final name
 * (and at worst a `*.tmp-*` leftover, never under the final name). Writing the same file again
 * replaces it whole, so a retried batch is idempotent.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

/** The handle operations the writer uses (a subset of `fs.promises.FileHandle`). */
export interface WritableHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  chmod(mode: number): Promise<void>;
  close(): Promise<void>;
}

/** The file system operations the writer uses; tests pass a wrapper that fails or stalls on purpose. */
export interface AtomicFs {
  open(file: string, flags: string, mode?: number): Promise<WritableHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(file: string, options: { force: boolean }): Promise<void>;
  mkdir(dir: string, options: { recursive: true }): Promise<string | undefined>;
}

/** Node's own `fs.promises`. */
export const nodeFs: AtomicFs = {
  open: (file, flags, mode) => fsp.open(file, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  rm: (file, options) => fsp.rm(file, options),
  mkdir: (dir, options) => fsp.mkdir(dir, options),
};

export interface AtomicWriteOptions {
  /** fsync the file before the rename and the directory after it. @default true */
  fsync?: boolean;
  /** Permissions of the file (applied with chmod, so the umask does not change them). */
  mode?: number | undefined;
  /** Stops the write before the rename; the temp file is removed. */
  signal?: AbortSignal;
  /** @default nodeFs */
  fs?: AtomicFs;
  /** Bytes per write call. @default 1 MiB */
  chunkSize?: number;
}

/** Suffix of temporary files: `<final>.tmp-<12 hex>`. */
export const TEMP_MARKER = '.tmp-';

/** True for a temporary file name left by an interrupted write. */
export function isTempFile(name: string): boolean {
  return /\.tmp-[0-9a-f]{12}$/.test(name);
}

/** fsyncs a directory so entries created or renamed in it are durable. Platforms that cannot (EISDIR, EINVAL, EPERM) are ignored. */
export async function fsyncDirectory(dir: string, fs: AtomicFs = nodeFs): Promise<void> {
  let handle: WritableHandle;
  try {
    handle = await fs.open(dir, 'r');
  } catch (err) {
    if (isIgnorableDirSyncError(err)) return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    if (!isIgnorableDirSyncError(err)) throw err;
  } finally {
    await handle.close();
  }
}

function isIgnorableDirSyncError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EISDIR' || code === 'EINVAL' || code === 'EPERM' || code === 'ENOTSUP';
}

/**
 * Creates `dir` and its missing parents; with `fsync`, also fsyncs the parent of every directory
 * it created, so the new directories survive a power loss.
 */
export async function ensureDirectory(dir: string, options: { fsync?: boolean; fs?: AtomicFs } = {}): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const first = await fs.mkdir(dir, { recursive: true });
  if (first === undefined || options.fsync === false) return;
  const parents: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    parents.push(path.dirname(d));
    if (d === path.resolve(first) || d === path.dirname(d)) break;
  }
  for (const parent of parents) await fsyncDirectory(parent, fs);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/**
 * Writes `data` to `file` atomically (see the module comment). The directory must exist
 * ({@link ensureDirectory}). On any failure the temporary file is removed and the error rethrown
 * unchanged (callers classify it).
 */
export async function writeFileAtomic(file: string, data: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const fsync = options.fsync ?? true;
  const chunkSize = options.chunkSize ?? 1024 * 1024;
  const { signal } = options;
  throwIfAborted(signal);
  const temp = `${file}${TEMP_MARKER}${randomBytes(6).toString('hex')}`;
  const handle = await fs.open(temp, 'wx', options.mode ?? 0o666);
  let renamed = false;
  try {
    try {
      if (options.mode !== undefined) await handle.chmod(options.mode);
      for (let offset = 0; offset < data.byteLength;) {
        throwIfAborted(signal);
        const length = Math.min(chunkSize, data.byteLength - offset);
        const { bytesWritten } = await handle.write(data, offset, length, offset);
        if (bytesWritten <= 0) throw new Error(`write to ${temp} made no progress`);
        offset += bytesWritten;
      }
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    throwIfAborted(signal);
    await fs.rename(temp, file);
    renamed = true;
    if (fsync) await fsyncDirectory(path.dirname(file), fs);
  } catch (err) {
    if (!renamed) await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}
