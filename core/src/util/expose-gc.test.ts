// exposeGc sets a process-wide V8 flag, so it runs in a fresh `node` on the BUILT code (core/dist,
// as `npm test` builds it first), with a worker started afterwards as the transform pool does.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const dist = (p: string): string => new URL(`../../dist/${p}`, import.meta.url).href;

describe('exposeGc', () => {
  it("gives this thread a gc() and puts gc on the global of workers started after it, not on this thread's", () => {
    const script = `
const { exposeGc } = await import(${JSON.stringify(dist('util/expose-gc.js'))});
const gc = exposeGc();
gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
const { Worker } = await import('node:worker_threads');
const worker = new Worker("require('node:worker_threads').parentPort.postMessage(typeof globalThis.gc)", { eval: true, execArgv: [] });
worker.once('message', (inWorker) => {
  console.log(JSON.stringify({ gc: typeof gc, inWorker, onGlobal: typeof globalThis.gc, again: exposeGc() !== null }));
  void worker.terminate();
});
`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ gc: 'function', inWorker: 'function', onGlobal: 'undefined', again: true });
  });
});
