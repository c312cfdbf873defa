/** Test helper: what the file sink left on disk. */
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { decodeBody, encodingForFileName } from '@k8stream/core/testing';
import { isTempFile } from './atomic-write.js';

/** Every regular file under `dir`, sorted; [] when `dir` does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every record in every batch file under `dir` (files sorted by path); fails on leftover temp files. */
export async function readAllRecords(dir: string): Promise<unknown[]> {
  const records: unknown[] = [];
  for (const file of await listFiles(dir)) {
    if (isTempFile(file)) throw new Error(`temporary file left behind: ${file}`);
    const encoding = encodingForFileName(file);
    if (encoding === null) throw new Error(`unexpected file in the sink directory: ${file}`);
    records.push(...decodeBody(await readFile(file), encoding));
  }
  return records;
}
