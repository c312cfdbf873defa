/**
 * Tests that need a command-line tool get it or fail with one line naming it, never a silent
 * skip: the machines run as root, so a missing tool is installed from Debian's packages first.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function works(command: string, probe: readonly string[]): Promise<boolean> {
  try {
    await run(command, [...probe], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * One line saying why a command failed: apt's last `E: …` line, else the first line of its stderr
 * (`mount: /x: permission denied.`), else the first line of the error message.
 */
export function failureLine(err: unknown): string {
  const stderr = (err as { stderr?: unknown } | null)?.stderr;
  const text = typeof stderr === 'string' ? stderr : Buffer.isBuffer(stderr) ? stderr.toString('utf8') : '';
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const errorLine = lines.filter((l) => l.startsWith('E:')).at(-1);
  return errorLine ?? lines[0] ?? (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/**
 * Resolves once `command probe…` runs. When it does not, installs the Debian `pkg` (`apt-get
 * update` when the plain install finds nothing) and checks again; throws one line naming the
 * tool and the package when it still does not run.
 */
export async function requireTool(command: string, probe: readonly string[], pkg: string): Promise<void> {
  if (await works(command, probe)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', '-qq', pkg], { env, timeout: 300_000 });
  let why = 'installed, but it still does not run (is it on PATH?)';
  try {
    await install().catch(async () => {
      await run('apt-get', ['update', '-qq'], { env, timeout: 300_000 });
      await install();
    });
  } catch (err) {
    why = `installing it failed: ${failureLine(err)}`;
  }
  if (!(await works(command, probe))) throw new Error(`${command} is required (Debian package ${pkg}); ${why}`);
}
