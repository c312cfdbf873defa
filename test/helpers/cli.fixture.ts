/** Runs the built `k8stream` binary as a child process and lets tests await its output. */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../core/dist/cli/main.js', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stderr (or stdout) has matched `pattern`; rejects if the process exits first. */
  waitFor(pattern: RegExp, stream?: 'stderr' | 'stdout'): Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a process the way `child_process.spawn` does (e.g. inside a cgroup: test/bench/cgroup.mjs). */
export type Spawner = (command: string, args: string[], options: SpawnOptions) => ChildProcess;

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** @default child_process.spawn */
  spawn?: Spawner;
}

export function startCli(args: string[], options: CliOptions = {}): CliRun {
  const child = (options.spawn ?? spawn)(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (!child.stdout || !child.stderr) throw new Error('startCli: the spawner must pipe stdout and stderr');
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; stream: 'stderr' | 'stdout'; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = (w.stream === 'stderr' ? err : out).match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    check();
  });
  const exit = once(child, 'exit').then(([code, signal]) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`process exited (${code ?? signal}) before ${w.pattern} appeared:\n${err}`));
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (pattern, stream = 'stderr') =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, stream, resolve, reject });
        check();
      }),
    exit,
  };
}

/** Run to completion. */
export async function runCli(args: string[], options: CliOptions = {}) {
  const run = startCli(args, options);
  const { code } = await run.exit;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/**
 * Writes `<dir>/<name>.yaml`: the demo events replayed at 2,000/s in a loop into a file sink
 * (`<dir>/<name>`) whose batches close only by count (250) or at shutdown, plus `extra` lines.
 */
export async function writeReplayConfig(dir: string, name: string, extra: string[]): Promise<{ file: string; out: string }> {
  const out = join(dir, name);
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    [
      `cluster: ${name.toLowerCase()}`,
      'source:',
      '  type: replay',
      `  replay: { file: ${join(REPO, 'examples/demo/events.json')}, rate: 2000, follow: true }`,
      'sinks:',
      '  - name: archive',
      '    use: file',
      // Batches only close by count or at shutdown: an hour-long age proves the flush.
      '    batch: { maxEvents: 250, maxAgeMs: 1h }',
      `    config: { dir: ${out}, fsync: false }`,
      `deadLetter: { use: file, config: { dir: ${join(out, 'dl')} } }`,
      ...extra,
      '',
    ].join('\n'),
  );
  return { file, out };
}
