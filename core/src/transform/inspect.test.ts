import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.js';
import { compileWatSource, writeWasm } from '../../../test/fixtures/wasm/compile.js';
import { fastPathBlocker } from './fast-instance.js';
import { KERNEL_ENV } from './instance.js';
import { formatInspection, inspectTransform, readSignatures } from './inspect.js';
import { loadTransform, workerSpec } from './load.js';

/** Real Extism PDK plugins (read-only). */
const EXTISM = '/work/shared/extism-modules';

let dir: string;
const savedKernel = process.env[KERNEL_ENV];
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'k8stream-inspect-'));
  await writeWasm(dir, 'wasi');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  if (savedKernel === undefined) delete process.env[KERNEL_ENV];
  else process.env[KERNEL_ENV] = savedKernel;
});

const entry = (use: string, extra: Record<string, unknown> = {}) => validateConfig({ transforms: [{ use, ...extra }] }).transforms[0]!;

describe('readSignatures', () => {
  it('reads function signatures past imported tables, memories and globals', async () => {
    const wasm = await compileWatSource(`(module
      (import "env" "table" (table 1 10 funcref))
      (import "env" "memory" (memory 1 2))
      (import "env" "global" (global (mut i64)))
      (import "extism:host/env" "alloc" (func (param i64) (result i64)))
      (import "env" "pair" (func (param f32 f64) (result i32 i64)))
      (func $run (export "run") (result i32) (i32.const 0))
      (func (export "nothing"))
      (export "alias" (func 0))
      (global (export "g") i32 (i32.const 1)))`);
    const signatures = readSignatures(wasm)!;
    expect(signatures.imports).toEqual([undefined, undefined, undefined, '(i64) -> i64', '(f32, f64) -> (i32, i64)']);
    expect(Object.fromEntries(signatures.exports)).toEqual({ run: '() -> i32', nothing: '() -> ()', alias: '(i64) -> i64' });
  });

  it('gives up (null) rather than guess on a truncated binary', () => {
    expect(readSignatures(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 9, 1, 0x60]))).toBeNull();
  });
});

describe('inspectTransform', () => {
  it('an Extism-only module: exports, grouped imports with signatures, loadable, the fast kernel', async () => {
    delete process.env[KERNEL_ENV];
    const r = await inspectTransform(entry(path.join(EXTISM, 'hello-from-rust.wasm'), { function: 'hello' }), { configDir: dir });
    expect(r).toMatchObject({ function: 'hello', exportsFunction: true, loadable: true, kernel: 'fast', problems: [], error: null });
    expect(r.exports).toContainEqual({ name: 'hello', kind: 'function', signature: '() -> i32' });
    expect(r.exports).toContainEqual({ name: 'memory', kind: 'memory' });
    expect(r.imports.map((g) => [g.module, g.items.length])).toEqual([
      ['extism:host/env', 8],
      ['wasi_snapshot_preview1', 0],
    ]);
    expect(r.imports[0]!.items).toContainEqual({ name: 'output_set', kind: 'function', signature: '(i64, i64) -> ()' });
    expect(r.sha256).toMatch(/^3d54a2df0ccb0704/);

    process.env[KERNEL_ENV] = 'sdk';
    const forced = await inspectTransform(entry(path.join(EXTISM, 'hello-from-rust.wasm'), { function: 'hello' }), { configDir: dir });
    expect(forced.kernel).toBe('sdk');
    expect(forced.kernelReason).toContain(`${KERNEL_ENV}=sdk`);
  });

  it('a WASI module: its WASI imports, and the kernel the workers would pick (fastPathBlocker on the loaded spec)', async () => {
    delete process.env[KERNEL_ENV];
    for (const [config, configDir] of [
      [entry(path.join(EXTISM, 'fs-tinygo.wasm'), { function: 'run_test' }), dir],
      [entry('./wasi.wasm'), dir],
      [entry('./wasi.wasm', { allowedPaths: { '/data': '.' } }), dir],
    ] as const) {
      const r = await inspectTransform(config, { configDir });
      const blocker = fastPathBlocker(workerSpec(await loadTransform(config, { configDir }), configDir));
      expect(r.loadable).toBe(true);
      expect(r.kernel).toBe(blocker === null ? 'fast' : 'sdk');
      if (blocker !== null) expect(r.kernelReason).toBe(blocker);
      expect(r.imports[1]!.module).toBe('wasi_snapshot_preview1');
      expect(r.imports[1]!.items.length).toBeGreaterThan(0);
    }
    const fs = await inspectTransform(entry(path.join(EXTISM, 'fs-tinygo.wasm'), { function: 'run_test' }), { configDir: dir });
    expect(fs.imports[1]!.items.map((i) => i.name)).toEqual(expect.arrayContaining(['path_open', 'fd_read', 'fd_prestat_get']));
    expect(formatInspection(fs)).toMatch(/^ {4}function path_open +\(i32, i32, i32, i32, i32, i64, i64, i32, i32\) -> i32$/m);
  });

  it('a foreign import: not loadable, the loader names the import; a missing function too, both reported', async () => {
    const file = path.join(EXTISM, 'code-functions-c.wasm');
    const r = await inspectTransform(entry(file, { function: 'count_vowels' }), { configDir: dir });
    expect(r).toMatchObject({ exportsFunction: true, loadable: false, kernel: null });
    expect(r.imports.map((g) => g.module)).toEqual(['extism:host/env', 'wasi_snapshot_preview1', 'extism:host/user']);
    expect(r.imports[2]!.items).toEqual([{ name: 'hello_world', kind: 'function', signature: '(i64) -> i64' }]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toBe(`transform "code-functions-c" (${file}): imports extism:host/user.hello_world (function), which k8stream does not provide`);
    expect(r.error?.code).toBe('TRANSFORM_INVALID');

    const both = await inspectTransform(entry(file), { configDir: dir });
    expect(both.exportsFunction).toBe(false);
    expect(both.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('does not export a function named "transform"'),
      expect.stringContaining('imports extism:host/user.hello_world (function)'),
    ]);
    expect(both.error?.message).toContain('does not export a function named "transform"');
  });

  it('throws a coded error naming the file when there is nothing to inspect', async () => {
    const bogus = path.join(dir, 'bogus.wasm');
    await writeFile(bogus, 'not wasm at all');
    await expect(inspectTransform(entry(bogus), { configDir: dir })).rejects.toMatchObject({
      code: 'TRANSFORM_INVALID',
      message: expect.stringContaining(`transform "bogus" (${bogus}): not a valid WebAssembly module`) as unknown,
    });
    await expect(inspectTransform(entry('./missing.wasm'), { configDir: dir })).rejects.toMatchObject({
      message: expect.stringContaining('missing.wasm') as unknown,
    });
  });
});
