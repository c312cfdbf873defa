// Builds the minimal Go client of scenario G (go-client/main.go) with the Go toolchain, installing
// Debian's golang-go first when `go` is missing (the bench runs as root, like the tests). When
// that fails the Go row is skipped with one loud line; the rest of G runs.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { here } from './harness.mjs';
import { requireTool } from '../helpers/tool.fixture.ts';

const run = promisify(execFile);

/** Resolves with { bin } (the built client) or { skipped: reason }. */
export async function buildGoClient(outDir) {
  try {
    await requireTool('go', ['version'], 'golang-go');
    const bin = join(outDir, 'go-client');
    // Go's build cache lives under $HOME; a bench run without HOME keeps it beside the binary.
    const env = process.env.HOME || process.env.GOCACHE ? process.env : { ...process.env, GOCACHE: join(outDir, 'go-cache') };
    await run('go', ['build', '-o', bin, '.'], { cwd: join(here, 'go-client'), env, timeout: 300_000 });
    return { bin };
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    console.log(`!!! GO CLIENT NOT BUILT (${reason}): the Go client row of G and the CPU-vs-Go target are SKIPPED !!!`);
    return { skipped: reason };
  }
}
