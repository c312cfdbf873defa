#!/usr/bin/env node
/**
 * The `k8stream` binary. Bad input prints one clear message (stack only with --debug).
 * Run directly (`node core/dist/cli/main.js`, the image's entry point) or through the
 * committed `core/bin/k8stream.js`, the package's `bin`, which calls `main()`.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyHeapLimit, deferOptimization, isRun } from './heap-limit.js';
import { setupProcess } from './process-setup.js';

/** Runs the CLI with this process's arguments and streams; sets `process.exitCode`. */
export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // `run` under a memory limit: replaces this process with one whose V8 heap fits (heap-limit.ts).
  applyHeapLimit(argv);
  // Before anything loads @kubernetes/client-node, hence the dynamic import of the rest of k8stream
  // (a static import would be evaluated before this line). See process-setup.ts.
  setupProcess();
  // `run`: no optimizing compiler until the pipeline keeps the process busy (heap-limit.ts).
  const tiers = isRun(argv) ? deferOptimization() : null;
  const { runCli } = await import('./commands.js');
  process.exitCode = await runCli(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    idleGc: true,
    heapResize: true,
    ...(tiers !== null ? { onProgress: (counters) => tiers.watch(counters.received) } : {}),
  });
}

const self = fileURLToPath(import.meta.url);
const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === self) void main();
