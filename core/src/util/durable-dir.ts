/**
 * Directories that survive a power loss. A new directory's entry lives in its parent, which a
 * sync of the directory itself does not cover: `mkdir -p` here fsyncs the parent of every
 * directory it created.
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** fsyncs a directory so entries created, renamed or deleted in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** `mkdir -p dir`, then fsyncs the parent of each directory it created (none when it existed). */
export async function mkdirDurable(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  const top = resolve(first);
  for (let d = resolve(dir); ; d = dirname(d)) {
    await fsyncDir(dirname(d));
    if (d === top || d === dirname(d)) return;
  }
}
