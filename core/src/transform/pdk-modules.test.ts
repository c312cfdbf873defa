// Real Extism plugins, built by the official PDKs (Rust, AssemblyScript, C, TinyGo, Go, Haskell,
// JS, C++), through the whole transform path — loadTransform, the worker pool, the kernel a
// worker picks — compared output by output with the official `@extism/extism` SDK running the
// same module, wherever that SDK can run it. The modules are used as they are
// (K8STREAM_EXTISM_MODULES, default /work/shared/extism-modules; see its ORIGINS.md).
// pdk-modules.sdk.test.ts reruns this file with K8STREAM_TRANSFORM_KERNEL=sdk; the last test
// checks which kernel the workers ran.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransformConfig } from '../config/types.js';
import type { Logger } from '../util/logger.js';
import { transformConfig } from '../../../test/fixtures/wasm/compile.js';
import { benchRecord } from './bench.js';
import { kernelPreference } from './instance.js';
import { recordKernels } from './kernels.fixture.js';
import { loadTransform, workerSpec } from './load.js';
import type { LoadedTransform } from './load.js';
import { createPool } from './pool.js';
import type { RunResult } from './protocol.js';

const kernels = recordKernels();
const DIR = process.env.K8STREAM_EXTISM_MODULES ?? '/work/shared/extism-modules';
const RECORD = JSON.stringify(benchRecord());
const sdkRun = kernelPreference() === 'sdk';

let work: string;
/** A node:http server in its own thread (a transform's http_request blocks its caller). */
let server: Worker;
let origin: string;
/** Requests the server answered: "METHOD url body". */
const served: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'k8stream-pdk-'));
  await writeFile(path.join(work, 'test.txt'), 'hello from the host\n');
  server = new Worker(
    `const http = require('node:http');
    const { parentPort } = require('node:worker_threads');
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        parentPort.postMessage({ served: req.method + ' ' + req.url + ' ' + body });
        res.writeHead(200, { 'content-type': 'application/json', 'x-k8stream-test': 'headers-seen' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body }));
      });
    });
    server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));`,
    { eval: true },
  );
  server.on('message', (m: { served?: string }) => {
    if (m.served !== undefined) served.push(m.served);
  });
  const port = await new Promise<number>((resolve) => server.on('message', (m: { port?: number }) => m.port !== undefined && resolve(m.port)));
  origin = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await server.terminate();
  await rm(work, { recursive: true, force: true });
});

/** Log lines of the pool, as "level message {fields}". */
const logLines: string[] = [];
function capturingLogger(): Logger {
  const at =
    (level: string) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      logLines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

interface Case {
  file: string;
  fn: string;
  inputs: string[];
  /** Transform name (default: `<file stem>.<fn>`). */
  name?: string;
  overrides?: Partial<TransformConfig>;
}

async function load(c: Case): Promise<LoadedTransform> {
  const name = c.name ?? `${c.file.replace(/\.wasm$/, '')}.${c.fn}`;
  return loadTransform(transformConfig(path.join(DIR, c.file), { name, function: c.fn, memoryMb: 64, ...c.overrides }), { configDir: work });
}

/** Runs the case's inputs, in order, through a one-worker pool; returns the results and the pool's log. */
async function viaK8stream(c: Case, loaded?: LoadedTransform): Promise<RunResult[]> {
  const l = loaded ?? (await load(c));
  const pool = await createPool({ transforms: [{ ...workerSpec(l, work), timeoutMs: l.config.timeoutMs }], size: 1, batchSize: 1, logger: capturingLogger() });
  try {
    const run = await pool.run(0, c.inputs);
    return run.results as RunResult[];
  } finally {
    await pool.close();
  }
}

/** Kernel functions newer than SDK 1.0.3, stubbed so that the official SDK links modules importing them. */
const NEWER_KERNEL: Record<string, (...args: unknown[]) => unknown> = { log_trace: () => {}, get_log_level: () => 2, http_headers: () => 0n };

/** The same inputs through the official SDK, as RunResults (what k8stream must report). */
async function viaOfficialSdk(c: Case, loaded: LoadedTransform): Promise<RunResult[]> {
  const { createPlugin } = await import('@extism/extism');
  const imports = WebAssembly.Module.imports(loaded.module);
  const stubs = Object.fromEntries(Object.entries(NEWER_KERNEL).filter(([name]) => imports.some((i) => i.module === 'extism:host/env' && i.name === name)));
  const plugin = await createPlugin(
    { wasm: [{ module: loaded.module }] },
    {
      useWasi: loaded.importsWasi,
      allowedPaths: workerSpec(loaded, work).allowedPaths,
      config: workerSpec(loaded, work).config,
      runInWorker: false,
      logger: { debug() {}, info() {}, warn() {}, error() {} } as unknown as Console,
      functions: { 'extism:host/env': stubs },
    },
  );
  const results: RunResult[] = [];
  try {
    for (const input of c.inputs) {
      try {
        const out = await plugin.call(c.fn, input);
        const bytes = out === null ? new Uint8Array(0) : out.bytes();
        const text = new TextDecoder().decode(bytes);
        results.push(bytes.length === 0 ? { kind: 'drop' } : text === input ? { kind: 'same' } : { kind: 'output', text, bytes: bytes.length });
      } catch (err) {
        const message = (err as Error).message;
        const fromModule = message.startsWith('Plugin-originated error: ');
        results.push(
          fromModule
            ? { kind: 'error', code: 'TRANSFORM_ERROR', message: message.slice('Plugin-originated error: '.length) }
            : { kind: 'error', code: 'TRANSFORM_TRAP', message: err instanceof WebAssembly.RuntimeError ? `trap: ${message}` : message },
        );
      }
    }
  } finally {
    await plugin.close();
  }
  return results;
}

/**
 * `actual` with the message of each trap the fast kernel raised itself replaced by the official
 * SDK's: a bad memory access is a trap on both, but each kernel words it its own way (the SDK's
 * DataView message vs the fast kernel's). Outputs, module errors and engine traps (`trap: ...`,
 * e.g. `unreachable`) are compared as they are.
 */
function sameTraps(actual: RunResult[], expected: RunResult[]): RunResult[] {
  return actual.map((r, i) => {
    const e = expected[i];
    if (r.kind !== 'error' || r.code !== 'TRANSFORM_TRAP' || e?.kind !== 'error' || e.code !== 'TRANSFORM_TRAP' || sdkRun) return r;
    return /^(load|store|input_load)_u(8|64): /.test(r.message) ? e : r;
  });
}

const HELLO_INPUTS = ['hello world', RECORD, 'ünïcödé ✓ — 日本語'];

/** Modules the official SDK runs as they are: k8stream must give the very same results. */
const SAME_AS_SDK: Case[] = [
  { file: 'alloc-c.wasm', fn: 'run_test', inputs: ['x', 'y'] },
  { file: 'allocations-c.wasm', fn: 'allocations', inputs: ['x'] },
  { file: 'config-tinygo.wasm', fn: 'run_test', inputs: ['x', 'y'] },
  { file: 'config-tinygo.wasm', fn: 'run_test', name: 'config-tinygo.configured', inputs: ['x'], overrides: { config: { thing: 'set by k8stream ✓' } } },
  // count_vowels keeps a running total in a variable: the results depend on the call order.
  { file: 'count_vowels-rust.wasm', fn: 'count_vowels', inputs: ['hello world', 'AEIOU aeiou', RECORD, ''] },
  { file: 'empty-rust.wasm', fn: 'test', inputs: ['x'] },
  { file: 'fail-c.wasm', fn: 'run_test', inputs: ['x', 'y'] },
  { file: 'fs-gostd.wasm', fn: 'run_test', inputs: ['x'] },
  { file: 'fs-tinygo.wasm', fn: 'run_test', inputs: ['x'] },
  { file: 'fs-gostd.wasm', fn: 'run_test', name: 'fs-gostd.files', inputs: ['x'], overrides: { allowedPaths: { '/mnt': '.' } } },
  { file: 'fs-tinygo.wasm', fn: 'run_test', name: 'fs-tinygo.files', inputs: ['x'], overrides: { allowedPaths: { '/mnt': '.' } } },
  { file: 'hello-from-assemblyscript.wasm', fn: 'hello', inputs: HELLO_INPUTS },
  { file: 'hello-from-c.wasm', fn: 'hello', inputs: HELLO_INPUTS },
  { file: 'hello-from-go.wasm', fn: 'hello', inputs: HELLO_INPUTS },
  { file: 'hello-from-haskell.wasm', fn: 'hello', inputs: HELLO_INPUTS },
  { file: 'hello-from-js.wasm', fn: 'hello', inputs: HELLO_INPUTS },
  { file: 'hello-from-rust.wasm', fn: 'hello', inputs: HELLO_INPUTS },
  // Without allowedHosts: no network; the module reports the empty answer itself.
  { file: 'http-rust.wasm', fn: 'http_get', inputs: [JSON.stringify({ url: `${'http://127.0.0.1:1'}/nowhere` })] },
  { file: 'http_headers-rust.wasm', fn: 'http_get', inputs: [JSON.stringify({ url: 'http://127.0.0.1:1/nowhere' })] },
  { file: 'memory-rust.wasm', fn: 'alloc_memory', inputs: ['{"bytes":1000}', '{"bytes":65536}', '{}'] },
  { file: 'memory-rust.wasm', fn: 'alloc_var', inputs: ['{"bytes":1000}', 'not json'] },
  { file: 'unreachable-cpp.wasm', fn: 'do_unreachable', inputs: ['x', 'y'] },
];

/** Transforms that run on the SDK kernel even by default: given allowedPaths. */
const SDK_ONLY = ['fs-gostd.files', 'fs-tinygo.files'];

describe('the Extism PDK modules, compared with the official SDK', () => {
  it('covers every module of the collection', async () => {
    const files = (await readdir(DIR)).filter((f) => f.endsWith('.wasm')).sort();
    const covered = new Set([
      ...SAME_AS_SDK.map((c) => c.file),
      'code-functions-c.wasm',
      'reflect-rust.wasm',
      'loop-rust.wasm',
      'http-rust.wasm',
      'http-tinygo.wasm',
      'http_headers-rust.wasm',
    ]);
    expect(files.length).toBeGreaterThanOrEqual(22);
    expect(files.filter((f) => !covered.has(f))).toEqual([]);
  });

  for (const c of SAME_AS_SDK) {
    it(`${c.name ?? c.file} ${c.fn}: the same results, byte for byte`, async () => {
      const loaded = await load(c);
      const expected = await viaOfficialSdk(c, loaded);
      expect(sameTraps(await viaK8stream(c, loaded), expected)).toEqual(expected);
    });
  }

  it('the modules produce what their PDK promises (the comparison is not vacuous)', async () => {
    const hello = await viaK8stream({ file: 'hello-from-js.wasm', fn: 'hello', inputs: ['hi'] });
    expect(hello).toEqual([{ kind: 'output', text: 'hi\nHello from JavaScript!', bytes: 25 }]);
    const vowels = await viaK8stream({ file: 'count_vowels-rust.wasm', fn: 'count_vowels', inputs: ['aei', 'ou'] });
    expect(vowels.map((r) => (r.kind === 'output' ? JSON.parse(r.text) : r))).toEqual([
      { count: 3, total: 3, vowels: 'aeiouAEIOU' },
      { count: 2, total: 5, vowels: 'aeiouAEIOU' },
    ]);
    const configured = await viaK8stream({ file: 'config-tinygo.wasm', fn: 'run_test', inputs: ['x'], overrides: { config: { thing: 'v' } } });
    expect(configured).toEqual([{ kind: 'output', text: '{"config": "v"}', bytes: 15 }]);
    expect(await viaK8stream({ file: 'fail-c.wasm', fn: 'run_test', inputs: ['x'] })).toEqual([{ kind: 'error', code: 'TRANSFORM_ERROR', message: 'Some error message' }]);
    expect(await viaK8stream({ file: 'unreachable-cpp.wasm', fn: 'do_unreachable', inputs: ['x'] })).toEqual([
      { kind: 'error', code: 'TRANSFORM_TRAP', message: 'trap: unreachable' },
    ]);
  });

  it('reads files only under allowedPaths, on the SDK kernel, and says so once at load', async () => {
    logLines.length = 0;
    const denied = await viaK8stream({ file: 'fs-tinygo.wasm', fn: 'run_test', inputs: ['x'] });
    expect(denied).toEqual([{ kind: 'drop' }]);
    expect(logLines.some((l) => l.includes('open /mnt/test.txt: errno 76'))).toBe(true);
    logLines.length = 0;
    const granted = await viaK8stream({ file: 'fs-tinygo.wasm', fn: 'run_test', name: 'fs-tinygo.files', inputs: ['x', 'y'], overrides: { allowedPaths: { '/mnt': '.' } } });
    expect(granted.map((r) => r.kind)).toEqual(['output', 'output']);
    expect(granted[0]).toMatchObject({ text: expect.stringContaining('hello from the host') });
    const notes = logLines.filter((l) => l.includes('runs on the Extism SDK kernel'));
    expect(notes).toEqual(
      sdkRun
        ? []
        : [
            `info transform log {"transform":"fs-tinygo.files","message":"runs on the Extism SDK kernel: the transform is given allowedPaths (files are served by the SDK kernel's WASI)"}`,
          ],
    );
  });

  it('refuses modules that need host functions of an application (extism:host/user), as the SDK cannot link them either', async () => {
    for (const [file, fn, imported] of [
      ['code-functions-c.wasm', 'count_vowels', 'extism:host/user.hello_world'],
      ['reflect-rust.wasm', 'reflect', 'extism:host/user.host_reflect'],
    ] as const) {
      await expect(load({ file, fn, inputs: [] })).rejects.toMatchObject({
        code: 'TRANSFORM_INVALID',
        message: expect.stringContaining(`imports ${imported} (function), which k8stream does not provide`),
      });
      const { createPlugin } = await import('@extism/extism');
      const module = await WebAssembly.compile(await import('node:fs/promises').then((fs) => fs.readFile(path.join(DIR, file))));
      // (Without WASI: a failed SDK instantiation would leak the /dev/null handles it opened for WASI.)
      await expect(createPlugin({ wasm: [{ module }] }, { useWasi: false, runInWorker: false })).rejects.toThrow(/extism:host\/user/);
    }
  });

  it('stops a module that never returns at its deadline (the SDK would hang its thread)', async () => {
    const results = await viaK8stream({ file: 'loop-rust.wasm', fn: 'loop_forever', inputs: ['x'], overrides: { timeoutMs: 200 } });
    expect(results).toEqual([{ kind: 'error', code: 'TRANSFORM_TIMEOUT', message: expect.stringContaining('200') }]);
  });
});

describe('the HTTP modules against a local server', () => {
  const get = () => JSON.stringify({ url: `${origin}/todos/1` });

  it('http-rust: GET reaches an allowed host, and nothing is sent without allowedHosts', async () => {
    served.length = 0;
    const allowed = await viaK8stream({ file: 'http-rust.wasm', fn: 'http_get', inputs: [get()], overrides: { allowedHosts: ['127.0.0.1'] } });
    expect(allowed).toEqual([{ kind: 'output', text: '{"method":"GET","url":"/todos/1","body":""}', bytes: 43 }]);
    expect(served).toEqual(['GET /todos/1 ']);
    served.length = 0;
    // No allowedHosts: the request answers nothing (address 0), and the module fails on that.
    const denied = await viaK8stream({ file: 'http-rust.wasm', fn: 'http_get', inputs: [get()] });
    expect(denied).toEqual([{ kind: 'error', code: 'TRANSFORM_ERROR', message: 'Failed to allocate memory' }]);
    const elsewhere = await viaK8stream({ file: 'http-rust.wasm', fn: 'http_get', inputs: [get()], overrides: { allowedHosts: ['*.example.com'] } });
    expect(elsewhere).toEqual([{ kind: 'error', code: 'TRANSFORM_TRAP', message: `http_request to ${origin} is not allowed (allowedHosts: *.example.com)` }]);
    expect(served).toEqual([]);
  });

  it('http_headers-rust: the response headers of the last request reach the module (http_headers)', async () => {
    served.length = 0;
    const results = await viaK8stream({ file: 'http_headers-rust.wasm', fn: 'http_get', inputs: [get(), get()], overrides: { allowedHosts: ['127.0.0.1'] } });
    expect(results.map((r) => r.kind)).toEqual(['output', 'output']);
    for (const r of results) {
      const headers = JSON.parse((r as { text: string }).text) as Record<string, string>;
      expect(headers).toMatchObject({ 'content-type': 'application/json', 'x-k8stream-test': 'headers-seen' });
    }
    expect(served).toEqual(['GET /todos/1 ', 'GET /todos/1 ']);
    // Without allowedHosts: no request, no headers (http_headers answers 0: an empty map).
    served.length = 0;
    expect(await viaK8stream({ file: 'http_headers-rust.wasm', fn: 'http_get', inputs: [get()] })).toEqual([{ kind: 'output', text: '{}', bytes: 2 }]);
    expect(served).toEqual([]);
  });

  it('http-tinygo: its fixed URL (jsonplaceholder.typicode.com) is refused unless allowed', async () => {
    const refused = await viaK8stream({ file: 'http-tinygo.wasm', fn: 'run_test', inputs: ['x'], overrides: { allowedHosts: ['127.0.0.1'] } });
    expect(refused).toEqual([{ kind: 'error', code: 'TRANSFORM_TRAP', message: 'http_request to https://jsonplaceholder.typicode.com is not allowed (allowedHosts: 127.0.0.1)' }]);
    // No allowedHosts: the request answers nothing (address 0). The module outputs the bytes of
    // "block 0": one NUL byte on the SDK (its dummy block), nothing on the fast kernel (as in
    // Extism's own kernel, where 0 is no block).
    const quiet = await viaK8stream({ file: 'http-tinygo.wasm', fn: 'run_test', inputs: ['x'] });
    expect(quiet).toEqual(sdkRun ? [{ kind: 'output', text: '\0', bytes: 1 }] : [{ kind: 'drop' }]);
  });
});

describe('kernel', () => {
  it('every transform worker ran on the kernel this run asked for (allowedPaths: the SDK)', () => {
    expect(kernels.reported.length).toBeGreaterThan(20);
    expect(kernels.unexpected(SDK_ONLY)).toEqual([]);
  });
});
