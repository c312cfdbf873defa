/**
 * Puts the chosen batch objects on local disk for the engine. A local archive's files are used in
 * place; remote objects are downloaded, at most `concurrency` at a time, into a fresh temporary
 * directory (each keeps its extension, the engine decodes by it). An object still failing after
 * `attempts` tries is skipped and reported with its key; the others go on.
 */
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { K8streamError, errorMessage } from '../../errors.js';
import type { ArchiveReader } from '../../plugins/api.js';
import type { SkippedObject, StagedFile } from '../types.js';
import { mapLimit } from './pool.js';

/** A listed object chosen for the window. */
export interface Candidate {
  key: string;
  size: number;
  extension: string;
}

export interface FetchOptions {
  /** Downloads in flight. @default 8 */
  concurrency?: number;
  /** Tries per object. @default 3 */
  attempts?: number;
  /** Wait before the second try; doubled for each further one. @default 200 */
  retryDelayMs?: number;
  signal?: AbortSignal | undefined;
  /** Where the temporary directory is created. @default os.tmpdir() */
  tmpDir?: string;
  /** After each object: how many are done and the bytes staged so far. */
  onProgress?: (fetched: number, bytes: number) => void;
}

export interface Fetched {
  /** In the candidates' order, skipped ones left out. */
  files: StagedFile[];
  skipped: SkippedObject[];
  bytes: number;
  /** Removes the downloaded copies (a no-op when nothing was downloaded). */
  dispose(): Promise<void>;
}

/** The abort reason as an Error. */
function aborted(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** Reads `key`, trying up to `attempts` times; the last error is thrown. */
export async function readWithRetries(
  reader: ArchiveReader,
  key: string,
  options: Required<Pick<FetchOptions, 'attempts' | 'retryDelayMs'>> & { signal?: AbortSignal | undefined },
) {
  let wait = options.retryDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await reader.read(key, options.signal === undefined ? {} : { signal: options.signal });
    } catch (err) {
      if (options.signal?.aborted) throw aborted(options.signal);
      if (attempt >= options.attempts) throw err;
    }
    await delay(wait, undefined, options.signal === undefined ? {} : { signal: options.signal });
    wait *= 2;
  }
}

function skip(key: string, err: unknown): SkippedObject {
  return { key, code: 'ARCHIVE_READ_FAILED', reason: errorMessage(err) };
}

/** Files of a local archive, in place: each checked readable, none copied. */
async function inPlace(reader: ArchiveReader, candidates: readonly Candidate[], options: FetchOptions): Promise<Fetched> {
  const files: StagedFile[] = [];
  const skipped: SkippedObject[] = [];
  let bytes = 0;
  for (const c of candidates) {
    options.signal?.throwIfAborted();
    const file = reader.localPath!(c.key);
    try {
      if (file === undefined) throw new Error(`no local file for ${c.key}`);
      await access(file, constants.R_OK);
      files.push({ path: file, key: c.key, extension: c.extension, size: c.size });
      bytes += c.size;
    } catch (err) {
      skipped.push(skip(c.key, err));
    }
    options.onProgress?.(files.length + skipped.length, bytes);
  }
  return { files, skipped, bytes, dispose: async () => {} };
}

/** Remote objects, downloaded into a temporary directory. */
async function downloaded(reader: ArchiveReader, candidates: readonly Candidate[], options: FetchOptions): Promise<Fetched> {
  const dir = await mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'k8stream-archive-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const retry = { attempts: options.attempts ?? 3, retryDelayMs: options.retryDelayMs ?? 200, signal: options.signal };
  const skipped: SkippedObject[] = [];
  let bytes = 0;
  let done = 0;
  try {
    const staged = await mapLimit(candidates, options.concurrency ?? 8, async (c, i): Promise<StagedFile | null> => {
      let body: Uint8Array;
      try {
        if (options.signal?.aborted) throw aborted(options.signal);
        body = await readWithRetries(reader, c.key, retry);
      } catch (err) {
        if (options.signal?.aborted) throw aborted(options.signal);
        skipped.push(skip(c.key, err));
        options.onProgress?.(++done, bytes);
        return null;
      }
      if (options.signal?.aborted) throw aborted(options.signal);
      const file = path.join(dir, `${String(i).padStart(6, '0')}-${path.posix.basename(c.key)}`);
      try {
        await writeFile(file, body);
      } catch (err) {
        throw new K8streamError('ARCHIVE_READ_FAILED', `cannot store a copy of ${c.key} in ${dir}: ${errorMessage(err)}`, { path: file, cause: err });
      }
      bytes += body.byteLength;
      options.onProgress?.(++done, bytes);
      return { path: file, key: c.key, extension: c.extension, size: body.byteLength };
    });
    skipped.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { files: staged.filter((f): f is StagedFile => f !== null), skipped, bytes, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** Stages the candidates: in place when the reader has local files, else downloaded. */
export function fetchObjects(reader: ArchiveReader, candidates: readonly Candidate[], options: FetchOptions = {}): Promise<Fetched> {
  return typeof reader.localPath === 'function' ? inPlace(reader, candidates, options) : downloaded(reader, candidates, options);
}
