/**
 * Reading back what the file sink wrote: its `dir` is the archive root and its `path` template
 * the key template. Keys are `/`-separated paths relative to the root; `localPath` lets the
 * forensics commands read a batch file in place instead of copying it.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { K8streamError, errorMessage } from '@k8stream/core';
import type { ArchiveListing, ArchiveObject, ArchiveReader } from '@k8stream/core';

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const MISSING = new Set(['ENOENT', 'ENOTDIR']);
const DENIED = new Set(['EACCES', 'EPERM']);

/** Options of {@link fileArchiveReader}. */
export interface FileArchiveOptions {
  /** Name of the sink, for messages. @default 'file' */
  sink?: string;
}

/** An archive reader over the batch files under `root` (absolute), written along `template`. */
export function fileArchiveReader(root: string, template: string, options: FileArchiveOptions = {}): ArchiveReader {
  const sink = options.sink ?? 'file';
  const where = { plugin: sink, path: root };

  const unavailable = (reason: string, err?: unknown): K8streamError =>
    new K8streamError('ARCHIVE_UNAVAILABLE', `file archive ${root}: ${reason}`, {
      ...where,
      ...(err === undefined ? {} : { cause: err }),
      hint: 'check the directory (the file sink\'s "dir", resolved against the config file\'s directory) and that this user may read it',
    });

  /** Throws ARCHIVE_UNAVAILABLE unless the root is a readable directory. */
  const checkRoot = async (): Promise<void> => {
    try {
      if (!(await stat(root)).isDirectory()) throw unavailable('not a directory');
    } catch (err) {
      if (err instanceof K8streamError) throw err;
      const code = codeOf(err);
      if (code !== undefined && MISSING.has(code)) throw unavailable('no such directory', err);
      if (code !== undefined && DENIED.has(code)) throw unavailable(`access denied (${code})`, err);
      throw unavailable(errorMessage(err), err);
    }
  };

  /** Entries of the directory at `rel` (`''` = root, else ending in `/`); [] when it does not exist. */
  const entries = async (rel: string): Promise<Dirent[]> => {
    try {
      return await readdir(path.join(root, rel), { withFileTypes: true });
    } catch (err) {
      const code = codeOf(err);
      if (code !== undefined && MISSING.has(code)) return [];
      if (code !== undefined && DENIED.has(code)) throw unavailable(`cannot list ${rel || '.'}: access denied (${code})`, err);
      throw new K8streamError('ARCHIVE_READ_FAILED', `file archive ${root}: cannot list ${rel || '.'}: ${errorMessage(err)}`, { ...where, cause: err });
    }
  };

  /** Whether an entry is a directory and its size when a file (symbolic links followed). */
  const kindOf = async (rel: string, entry: Dirent): Promise<{ dir: boolean; size: number } | null> => {
    if (entry.isDirectory()) return { dir: true, size: 0 };
    if (!entry.isFile() && !entry.isSymbolicLink()) return null;
    try {
      const s = await stat(path.join(root, rel));
      if (s.isDirectory()) return { dir: true, size: 0 };
      return s.isFile() ? { dir: false, size: s.size } : null;
    } catch (err) {
      if (MISSING.has(codeOf(err) ?? '')) return null; // removed meanwhile, or a dangling link
      throw new K8streamError('ARCHIVE_READ_FAILED', `file archive ${root}: cannot stat ${rel}: ${errorMessage(err)}`, { ...where, cause: err });
    }
  };

  /** Every file below the directory `rel`, recursively. */
  const walk = async (rel: string, into: ArchiveObject[]): Promise<void> => {
    for (const entry of await entries(rel)) {
      const key = `${rel}${entry.name}`;
      const kind = await kindOf(key, entry);
      if (kind === null) continue;
      if (kind.dir) await walk(`${key}/`, into);
      else into.push({ key, size: kind.size });
    }
  };

  const byKey =
    <T>(key: (t: T) => string) =>
    (a: T, b: T) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

  /** The absolute path of a key, or null when it would leave the root. */
  const fileOf = (key: string): string | null => {
    const file = path.resolve(root, ...key.split('/'));
    const rel = path.relative(root, file);
    return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? null : file;
  };

  return {
    template,
    templateValues: {},
    describe: () => root,
    localPath: (key) => fileOf(key) ?? undefined,

    async list(prefix, options = {}): Promise<ArchiveListing> {
      options.signal?.throwIfAborted();
      await checkRoot();
      const cut = prefix.lastIndexOf('/') + 1;
      const dir = prefix.slice(0, cut);
      const start = prefix.slice(cut);
      const objects: ArchiveObject[] = [];
      const prefixes: string[] = [];
      if (dir.split('/').some((s) => s === '..')) return { objects, prefixes };
      for (const entry of await entries(dir)) {
        if (!entry.name.startsWith(start)) continue;
        options.signal?.throwIfAborted();
        const key = `${dir}${entry.name}`;
        const kind = await kindOf(key, entry);
        if (kind === null) continue;
        if (!kind.dir) objects.push({ key, size: kind.size });
        else if (options.delimiter === '/') prefixes.push(`${key}/`);
        else await walk(`${key}/`, objects);
      }
      return { objects: objects.sort(byKey((o) => o.key)), prefixes: prefixes.sort(byKey((p) => p)) };
    },

    async read(key, options = {}): Promise<Uint8Array> {
      options.signal?.throwIfAborted();
      const file = fileOf(key);
      if (file === null) throw new K8streamError('ARCHIVE_READ_FAILED', `file archive ${root}: key ${JSON.stringify(key)} leaves the directory`, { ...where, path: key });
      try {
        const data = await readFile(file, options.signal === undefined ? {} : { signal: options.signal });
        return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      } catch (err) {
        throw new K8streamError('ARCHIVE_READ_FAILED', `file archive ${root}: cannot read ${key}: ${errorMessage(err)}`, { ...where, path: file, cause: err });
      }
    },
  };
}
