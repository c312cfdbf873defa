/**
 * Test fixture: a small tmpfs for real ENOSPC and EROFS (needs root, as in the project's CI
 * container). Not part of the build (`*.fixture.ts` is excluded like tests).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failureLine, requireTool } from '../../../../test/helpers/tool.fixture.js';

export interface Tmpfs {
  /** The mount point. */
  dir: string;
  /** Removes everything in it. */
  clear(): Promise<void>;
  /** Writes zeros to `<dir>/filler` until ENOSPC, then frees `leavePages` 4 KiB pages again. */
  fillUp(leavePages?: number): Promise<void>;
  /** Deletes the filler file (space is free again). */
  freeUp(): Promise<void>;
  unmount(): Promise<void>;
}

/**
 * Mounts a tmpfs with mount `options` (`size=128k`, `ro,size=16k`) on `dir`. Without the `mount`
 * command (Debian package mount) or the right to mount (root: CAP_SYS_ADMIN), throws one line
 * naming what is missing: never a silent skip.
 */
export async function mountTmpfsAt(dir: string, options: string): Promise<void> {
  await requireTool('mount', ['--version'], 'mount');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    const uid = process.getuid?.() ?? 'unknown';
    throw new Error(`these tests mount a tmpfs (a real ENOSPC/EROFS) and need root with CAP_SYS_ADMIN (uid ${uid}): mount failed: ${failureLine(err)}`, { cause: err });
  }
}

export async function mountTmpfs(size: string, prefix = 'k8stream-tmpfs-'): Promise<Tmpfs> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await mountTmpfsAt(dir, `size=${size}`);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    async clear() {
      for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
    },
    async fillUp(leavePages = 0) {
      const fh = await open(filler, 'w');
      const page = Buffer.alloc(4096);
      try {
        for (;;) await fh.write(page);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        await fh.close();
      }
      if (leavePages > 0) {
        const { size: filled } = await stat(filler);
        const fh2 = await open(filler, 'r+');
        try {
          await fh2.truncate(Math.max(0, filled - leavePages * 4096));
        } finally {
          await fh2.close();
        }
      }
    },
    async freeUp() {
      await rm(filler, { force: true });
    },
    async unmount() {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
