// Benchmark P: µs per call of each Extism PDK's "hello" module (Rust, AssemblyScript, C,
// Go/TinyGo, Haskell, JS) in CPU time of the calling thread, warm, with a ~1 KB input — on the kernel k8stream picks
// for it (the fast kernel wherever it can serve the module) and forced onto the Extism JS SDK.
// Figures are the median of several timed batches. Runs against the built core (core/dist).
//
//   node test/bench/pdk-calls.mjs            prints the table
//   K8STREAM_EXTISM_MODULES=<dir>            where the modules are (default /work/shared/extism-modules)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchRecord } from '../../core/dist/transform/bench.js';
import { createInstance } from '../../core/dist/transform/instance.js';

const DEFAULT_DIR = process.env.K8STREAM_EXTISM_MODULES ?? '/work/shared/extism-modules';

/** The hello module of every PDK: file, PDK, exported function. */
export const PDK_HELLO_MODULES = [
  { file: 'hello-from-rust.wasm', pdk: 'rust' },
  { file: 'hello-from-assemblyscript.wasm', pdk: 'assemblyscript' },
  { file: 'hello-from-c.wasm', pdk: 'c (wasi-sdk)' },
  { file: 'hello-from-go.wasm', pdk: 'go (TinyGo)' },
  { file: 'hello-from-haskell.wasm', pdk: 'haskell' },
  { file: 'hello-from-js.wasm', pdk: 'js (QuickJS)' },
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Calls `instance` until `ms` have passed (at least `min` calls); returns ms per call. */
async function warm(instance, input, ms, min = 20) {
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms || calls < min) {
    const out = instance.call(input);
    if (out instanceof Promise) await out;
    calls++;
  }
  return (performance.now() - t0) / calls;
}

/** CPU µs of this thread so far (wall time would count the time other processes hold the core). */
const cpuUs = () => {
  const usage = typeof process.threadCpuUsage === 'function' ? process.threadCpuUsage() : process.cpuUsage();
  return usage.user + usage.system;
};

/** CPU µs per call of one batch of `n` calls. */
async function batch(instance, input, n) {
  const start = cpuUs();
  for (let i = 0; i < n; i++) {
    const out = instance.call(input);
    if (out instanceof Promise) await out;
  }
  return (cpuUs() - start) / n;
}

/**
 * µs per call of each instance: both warmed up first (large modules such as QuickJS or the
 * Haskell runtime reach V8's optimising tier only after a second or so of calls), then their
 * batches alternate, so that other load on the machine falls on both alike; the median batch.
 */
async function compare(instances, input, { batches, batchMs, warmupMs }) {
  const sizes = [];
  for (const instance of instances) sizes.push(Math.max(10, Math.round(batchMs / (await warm(instance, input, warmupMs)))));
  const samples = instances.map(() => []);
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < instances.length; i++) samples[i].push(await batch(instances[i], input, sizes[i]));
  }
  return samples.map(median);
}

/**
 * Measures every PDK's hello module. Options: `dir` (where the modules are), `inputBytes`
 * (1024), `batches` (9), `batchMs` (50), `warmupMs` (1500).
 */
export async function pdkCalls(options = {}) {
  const dir = options.dir ?? DEFAULT_DIR;
  const inputBytes = options.inputBytes ?? 1024;
  const timing = { batches: options.batches ?? 9, batchMs: options.batchMs ?? 50, warmupMs: options.warmupMs ?? 1500 };
  let text = JSON.stringify(benchRecord());
  while (text.length < inputBytes) text += text;
  const input = new TextEncoder().encode(text.slice(0, inputBytes));
  const hooks = { log: () => {} };
  const rows = [];
  for (const { file, pdk } of PDK_HELLO_MODULES) {
    let module;
    try {
      module = await WebAssembly.compile(await readFile(join(dir, file)));
    } catch {
      continue; // not available here
    }
    const wasi = WebAssembly.Module.imports(module).some((i) => i.module === 'wasi_snapshot_preview1');
    const spec = { name: file.replace(/\.wasm$/, ''), module, function: 'hello', config: {}, memoryBytes: 64 << 20, wasi, allowedPaths: {}, allowedHosts: [] };
    const picked = await createInstance(spec, hooks, 'auto');
    const sdk = await createInstance(spec, hooks, 'sdk');
    try {
      const [us, sdkUs] = await compare([picked, sdk], input, timing);
      rows.push({ module: file, pdk, kernel: picked.kernel, usPerCall: Math.round(us * 10) / 10, sdkUsPerCall: Math.round(sdkUs * 10) / 10 });
    } finally {
      await picked.close();
      await sdk.close();
    }
  }
  return { id: 'P', title: `Extism PDK hello modules: CPU µs per call (${inputBytes}-byte input, one thread, warm, median of ${timing.batches} alternating batches)`, rows };
}

/** The result as lines of a text table. */
export function formatPdkCalls(result) {
  const header = ['module', 'pdk', 'kernel', 'µs/call', 'SDK µs/call', 'SDK ÷ picked'];
  const body = result.rows.map((r) => [r.module, r.pdk, r.kernel, r.usPerCall.toFixed(1), r.sdkUsPerCall.toFixed(1), `${(r.sdkUsPerCall / r.usPerCall).toFixed(1)}×`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [`${result.id}: ${result.title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const l of formatPdkCalls(await pdkCalls())) console.log(l);
}
