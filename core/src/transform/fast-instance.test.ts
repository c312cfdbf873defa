// The fast kernel (kernel-wasm.ts + fast-instance.ts): the kernel module on its own, then whole
// modules — WAT fixtures, inline WAT, the built-in AssemblyScript transforms — compared with
// the SDK path call by call.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '@k8stream/transform-kit/testing';
import { compileWat, compileWatSource } from '../../../test/fixtures/wasm/compile.js';
import type { WasmFixture } from '../../../test/fixtures/wasm/compile.js';
import { benchRecord } from './bench.js';
import { FastInstance, fastPathBlocker } from './fast-instance.js';
import { CallError, KERNEL_ENV, SdkInstance, createInstance } from './instance.js';
import type { InstanceHooks, LogLevel, TransformInstance } from './instance.js';
import { FIRST_ADDRESS, kernelModule, kernelModuleBytes } from './kernel-wasm.js';
import { pluginConfig } from './load.js';
import type { WorkerTransformSpec } from './protocol.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
const RECORD = JSON.stringify(benchRecord());

function specOf(module: WebAssembly.Module, overrides: Partial<WorkerTransformSpec> = {}): WorkerTransformSpec {
  return { name: 't', module, function: 'transform', config: {}, memoryBytes: 16 << 20, wasi: false, allowedPaths: {}, allowedHosts: [], ...overrides };
}

async function fixtureSpec(name: WasmFixture, overrides: Partial<WorkerTransformSpec> = {}): Promise<WorkerTransformSpec> {
  return specOf(await WebAssembly.compile(await compileWat(name)), overrides);
}

async function watSpec(source: string, overrides: Partial<WorkerTransformSpec> = {}): Promise<WorkerTransformSpec> {
  return specOf(await WebAssembly.compile(await compileWatSource(source)), overrides);
}

const logs: [LogLevel, string][] = [];
const hooks: InstanceHooks = { log: (level, message) => logs.push([level, message]) };
const open: TransformInstance[] = [];
afterEach(async () => {
  logs.length = 0;
  await Promise.all(open.splice(0).map((i) => i.close()));
});

function fast(spec: WorkerTransformSpec): FastInstance {
  const instance = FastInstance.create(spec, hooks);
  open.push(instance);
  return instance;
}

/** What a call did, comparable across kernels. */
type Outcome = { output: string | null } | { error: string; fromModule: boolean };

async function outcome(instance: TransformInstance, input: string): Promise<Outcome> {
  try {
    return { output: dec(await instance.call(enc(input))) };
  } catch (err) {
    if (!(err instanceof CallError)) throw err;
    return { error: err.message, fromModule: err.fromModule };
  }
}

/** The kernel instantiated on its own, its `fail` import recording and throwing. */
function bareKernel(capBytes = 1 << 20) {
  const failures: number[] = [];
  const fail = (code: number) => {
    failures.push(code);
    throw new Error(`fail ${code}`);
  };
  const k = new WebAssembly.Instance(kernelModule(capBytes), { host: { fail } }).exports as Record<string, any>;
  return { k, failures };
}

describe('the kernel module', () => {
  it('is generated from TypeScript, valid, and exports the Extism memory functions', () => {
    const bytes = kernelModuleBytes(1 << 20);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const names = WebAssembly.Module.exports(kernelModule(1 << 20)).map((e) => e.name);
    for (const f of [
      'alloc',
      'free',
      'length',
      'length_unsafe',
      'load_u8',
      'load_u64',
      'store_u8',
      'store_u64',
      'input_offset',
      'input_length',
      'input_load_u8',
      'input_load_u64',
      'output_set',
      'error_set',
    ]) {
      expect(names).toContain(f);
    }
    expect(WebAssembly.Module.imports(kernelModule(1 << 20))).toEqual([{ module: 'host', name: 'fail', kind: 'function' }]);
  });

  it('hands out non-zero, 8-aligned u64 addresses whose length() is the allocated size', () => {
    const { k } = bareKernel();
    const input = k.begin(13);
    expect(input).toBe(FIRST_ADDRESS);
    expect(k.input_offset()).toBe(BigInt(input));
    expect(k.input_length()).toBe(13n);
    expect(k.length(BigInt(input))).toBe(13n);
    const a = k.alloc(5n);
    const b = k.alloc(0n);
    const c = k.alloc(100n);
    for (const addr of [a, b, c]) {
      expect(typeof addr).toBe('bigint');
      expect(addr % 8n).toBe(0n);
      expect(addr).toBeGreaterThan(0n);
    }
    expect(new Set([a, b, c]).size).toBe(3);
    expect([k.length(a), k.length(b), k.length_unsafe(c)]).toEqual([5n, 0n, 100n]);
    // Not a block: 0, past the heap, inside a block, unaligned.
    expect([k.length(0n), k.length(c + 4096n), k.length(c + 8n), k.length(a + 1n)]).toEqual([0n, 0n, 0n, 0n]);
    // Every call starts from the same fresh heap.
    expect(k.begin(13)).toBe(input);
    expect(k.alloc(5n)).toBe(a);
  });

  it('stores and loads little-endian u8/u64, zeroes new blocks, and bounds every access', () => {
    const { k, failures } = bareKernel();
    k.begin(0);
    const a = k.alloc(16n);
    expect(k.load_u64(a)).toBe(0n);
    k.store_u64(a, 0x0102030405060708n);
    k.store_u8(a + 8n, 0xff);
    expect(k.load_u8(a)).toBe(8);
    expect(k.load_u64(a)).toBe(0x0102030405060708n);
    expect(k.load_u8(a + 8n)).toBe(0xff);
    expect(() => k.load_u64(a + 9n)).toThrow('fail 2');
    expect(() => k.load_u8(0n)).toThrow('fail 2');
    expect(() => k.store_u8(a + 16n, 1)).toThrow('fail 3');
    expect(() => k.store_u64(-8n, 1n)).toThrow('fail 3');
    // After a reset, the old block reads as zeroes once allocated again, padding included.
    k.begin(0);
    expect(k.load_u64(k.alloc(16n))).toBe(0n);
    k.begin(0);
    const small = k.alloc(1n);
    k.store_u64(small, -1n);
    k.begin(0);
    expect(k.load_u64(k.alloc(1n))).toBe(0n);
    expect(failures).toEqual([2, 2, 3, 3]);
  });

  it('reads the input only inside it', () => {
    const { k } = bareKernel();
    const at = k.begin(10);
    new Uint8Array(k.memory.buffer, at, 10).set(enc('0123456789'));
    expect(k.input_load_u8(9n)).toBe(0x39);
    expect(k.input_load_u64(2n)).toBe(0x3938373635343332n);
    expect(() => k.input_load_u8(10n)).toThrow('fail 4');
    expect(() => k.input_load_u64(3n)).toThrow('fail 4');
    expect(() => k.input_load_u64(-1n)).toThrow('fail 4');
  });

  it('refuses an allocation beyond its cap instead of growing', () => {
    const { k, failures } = bareKernel(64 * 1024);
    k.begin(0);
    expect(() => k.alloc(65n * 1024n)).toThrow('fail 1');
    k.alloc(60n * 1024n);
    expect(() => k.alloc(8n * 1024n)).toThrow('fail 1');
    expect(() => k.alloc(-1n)).toThrow('fail 1');
    expect(failures).toEqual([1, 1, 1]);
    expect(k.memory.buffer.byteLength).toBeLessThanOrEqual(2 * 65_536);
  });

  it('checks output_set against its block and error_set against the heap', () => {
    const { k } = bareKernel();
    k.begin(0);
    const a = k.alloc(4n);
    expect(() => k.output_set(a, 5n)).toThrow('fail 6');
    expect(() => k.output_set(a + 64n, 1n)).toThrow('fail 5');
    k.output_set(a, 3n);
    expect([k.out_addr.value, k.out_len.value]).toEqual([Number(a), 3]);
    expect(() => k.error_set(12345n)).toThrow('fail 7');
    k.error_set(a);
    expect(k.err_addr.value).toBe(Number(a));
    k.begin(0);
    expect([k.out_addr.value, k.out_len.value, k.err_addr.value]).toEqual([0, 0, 0]);
  });
});

describe('fast instances', () => {
  it('picks the fast kernel for kernel-only and WASI modules, the SDK for allowedPaths, and follows the switch', async () => {
    for (const [name, wasi] of [
      ['echo', false],
      ['config', false],
      ['error', false],
      ['http', false],
      ['select', false],
      ['tag', false],
      ['exit', true],
      ['wasi', true],
    ] as const) {
      const spec = await fixtureSpec(name, { wasi });
      expect(fastPathBlocker(spec)).toBeNull();
      const instance = await createInstance(spec, hooks);
      open.push(instance);
      expect(instance.kernel).toBe('fast');
    }
    const files = await fixtureSpec('wasi', { wasi: true, allowedPaths: { '/data': '/tmp' } });
    const reason = "the transform is given allowedPaths (files are served by the SDK kernel's WASI)";
    expect(fastPathBlocker(files)).toBe(reason);
    const fallback = await createInstance(files, hooks);
    open.push(fallback);
    expect(fallback.kernel).toBe('sdk');
    expect(logs).toContainEqual(['info', `runs on the Extism SDK kernel: ${reason}`]);
    await expect(createInstance(files, hooks, 'fast')).rejects.toThrow(`the fast kernel cannot serve this module: ${reason}`);
    const noMemory = await watSpec(`(module
      (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))
      (func (export "transform") (result i32) (i32.const 0)))`);
    expect(fastPathBlocker(noMemory)).toBe('the module imports WASI but exports no memory');
    const unknown = await watSpec(`(module
      (import "wasi_snapshot_preview1" "fd_frobnicate" (func (result i32)))
      (memory (export "memory") 1)
      (func (export "transform") (result i32) (i32.const 0)))`);
    expect(fastPathBlocker(unknown)).toBe('the module imports wasi_snapshot_preview1.fd_frobnicate (function)');
    const forced = await createInstance(await fixtureSpec('echo'), hooks, 'sdk');
    open.push(forced);
    expect(forced.kernel).toBe('sdk');
    const previous = process.env[KERNEL_ENV];
    process.env[KERNEL_ENV] = 'sdk';
    try {
      const fromEnv = await createInstance(await fixtureSpec('echo'), hooks);
      open.push(fromEnv);
      expect(fromEnv.kernel).toBe('sdk');
    } finally {
      if (previous === undefined) delete process.env[KERNEL_ENV];
      else process.env[KERNEL_ENV] = previous;
    }
  });

  it('falls back to the SDK when a kernel import has another signature than Extism’s', async () => {
    const spec = await watSpec(`(module
      (import "extism:host/env" "store_u8" (func (param i64 i64)))
      (func (export "transform") (result i32) (i32.const 0)))`);
    const instance = await createInstance(spec, hooks);
    open.push(instance);
    expect(instance.kernel).toBe('sdk');
    expect(logs[0]?.[1]).toMatch(/^runs on the Extism SDK kernel: link error/);
  });

  it('answers synchronously and gives the same results as the SDK for every WAT fixture', async () => {
    const inputs = [
      RECORD,
      '{"schema":"k8stream.event/v1","id":"x"}',
      '{"schema":"k8stream.event/v1","id":"Taps"}',
      '{"schema":"k8stream.event/v1","id":"Err"}',
      '{"schema":"k8stream.event/v1","id":"Drop"}',
      '{"schema":"k8stream.event/v1","id":"Json"}',
      '{"schema":"k8stream.event/v1","id":"Fan"}',
      'héllo',
    ];
    const fixtures: WasmFixture[] = ['echo', 'trap', 'invalid-json', 'drop', 'error', 'fanout', 'config', 'select', 'tag'];
    for (const name of fixtures) {
      const spec = await fixtureSpec(name, { config: { output: '{"a":1}' } });
      const f = fast(spec);
      const s = await SdkInstance.create(spec, hooks);
      open.push(s);
      if (name === 'echo') expect(dec(f.call(enc(RECORD)) as Uint8Array)).toBe(RECORD);
      for (const input of inputs) expect([name, input, await outcome(f, input)]).toEqual([name, input, await outcome(s, input)]);
    }
  });

  it('serves an empty config value as a zero-length block and a missing one as 0', async () => {
    const empty = fast(await fixtureSpec('config', { config: { output: '' } }));
    expect(empty.call(enc(RECORD))).toEqual(new Uint8Array(0));
    const missing = fast(await fixtureSpec('config'));
    expect(() => missing.call(enc(RECORD))).toThrow(new CallError('missing config: output', true));
  });

  it('reports error_set through the error channel and keeps the instance', async () => {
    const f = fast(await fixtureSpec('error'));
    for (let i = 0; i < 2; i++) {
      const err = (() => {
        try {
          f.call(enc(RECORD));
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(CallError);
      expect(err).toMatchObject({ message: 'event rejected by policy', fromModule: true });
    }
  });

  it('fails a call whose output_set is longer than its block, or points at no block', async () => {
    const longer = fast(
      await watSpec(`(module
        (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
        (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
        (func (export "transform") (result i32)
          (call $output_set (call $alloc (i64.const 4)) (i64.const 5)) (i32.const 0)))`),
    );
    expect(() => longer.call(enc(RECORD))).toThrow(new CallError('output_set: length 5 is longer than its block (4 bytes)', false));
    const nowhere = fast(
      await watSpec(`(module
        (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
        (func (export "transform") (result i32) (call $output_set (i64.const 4096) (i64.const 1)) (i32.const 0)))`),
    );
    expect(() => nowhere.call(enc(RECORD))).toThrow(new CallError('output_set: invalid memory block (addr=0x1000)', false));
  });

  it('cuts the output to the length output_set names', async () => {
    const f = fast(
      await watSpec(`(module
        (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
        (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
        (func (export "transform") (result i32) (call $output_set (call $input_offset) (i64.const 3)) (i32.const 0)))`),
    );
    expect(dec(f.call(enc('abcdef')))).toBe('abc');
  });

  it('fails an allocation beyond memoryBytes with a clear error', async () => {
    const f = fast(
      await watSpec(
        `(module
          (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
          (func (export "transform") (result i32)
            (loop $more (drop (call $alloc (i64.const 65536))) (br $more))
            (i32.const 0)))`,
        { memoryBytes: 1 << 20 },
      ),
    );
    expect(() => f.call(enc(RECORD))).toThrow(new CallError('host memory allocated by one call exceeds the memory cap of 1048576 bytes', false));
  });

  const counter = `(module
    (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
    (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
    (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
    (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
    (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
    (import "extism:host/env" "input_length" (func $input_length (result i64)))
    (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
    (func (export "transform") (result i32)
      (local $key i64) (local $old i64) (local $n i32) (local $new i64)
      (local.set $key (call $alloc (i64.const 1)))
      (call $store_u8 (local.get $key) (i32.const 99)) ;; "c"
      (local.set $old (call $var_get (local.get $key)))
      (if (i64.ne (local.get $old) (i64.const 0)) (then (local.set $n (i32.sub (call $load_u8 (local.get $old)) (i32.const 48)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (local.set $new (call $alloc (i64.const 1)))
      (call $store_u8 (local.get $new) (i32.add (i32.const 48) (local.get $n)))
      (call $var_set (local.get $key) (local.get $new))
      (if (i64.eq (call $input_length) (i64.const 4)) (then unreachable)) ;; "trap"
      (call $output_set (local.get $new) (i64.const 1))
      (i32.const 0)))`;

  it('keeps variables across calls, and resets them when a trap recreates the instance', async () => {
    const f = fast(await watSpec(counter));
    expect([1, 2, 3].map(() => dec(f.call(enc('go'))))).toEqual(['1', '2', '3']);
    expect(() => f.call(enc('trap'))).toThrow(/^trap: unreachable/);
    expect(dec(f.call(enc('go')))).toBe('1');
  });

  it('fails a call whose input exceeds memoryBytes before the module runs, keeping the instance', async () => {
    const f = fast(await watSpec(counter, { memoryBytes: 64 * 1024 }));
    expect(dec(f.call(enc('go')))).toBe('1');
    expect(() => f.call(new Uint8Array(65 * 1024))).toThrow(new CallError('host memory allocated by one call exceeds the memory cap of 65536 bytes', false));
    expect(dec(f.call(enc('go')))).toBe('2');
  });

  it('logs through the hooks', async () => {
    const f = fast(
      await watSpec(`(module
        (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
        (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
        (import "extism:host/env" "log_warn" (func $log_warn (param i64)))
        (import "extism:host/env" "log_info" (func $log_info (param i64)))
        (import "extism:host/env" "get_log_level" (func $get_log_level (result i32)))
        (func (export "transform") (result i32) (local $m i64)
          (local.set $m (call $alloc (i64.const 1)))
          (call $store_u8 (local.get $m) (i32.add (i32.const 48) (call $get_log_level)))
          (call $log_warn (local.get $m))
          (call $log_info (i64.const 8))
          (i32.const 0)))`),
    );
    expect(f.call(enc(RECORD))).toBeNull();
    expect(logs).toEqual([
      ['warn', '2'],
      ['error', 'failed to log(info): bad block reference in addr 0x8'],
    ]);
  });
});

describe('the built-in transforms (Extism AssemblyScript PDK) on the fast kernel', () => {
  const TRANSFORMS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../transforms');
  const cases: [string, Record<string, unknown>][] = [
    ['redact', {}],
    ['filter', { drop: { namespaces: ['shop'] } }],
    ['filter', { drop: { namespaces: ['nothing-matches'] } }],
    ['cloudevents', {}],
    ['route-tag', {}],
  ];
  const modules = new Map<string, WebAssembly.Module>();
  beforeAll(async () => {
    for (const name of new Set(cases.map(([n]) => n))) {
      const wasm = await ensureBuilt(path.join(TRANSFORMS, name));
      modules.set(name, await WebAssembly.compile(await readFile(wasm)));
    }
  }, 240_000);

  it('give the same outputs and errors as on the SDK, call after call', async () => {
    const records = [
      { ...benchRecord(1), message: 'login failed for bob@example.com with password=hunter2' },
      benchRecord(2),
      { ...benchRecord(3), namespace: 'shop', message: 'héllo ✓ wörld\n\t"quoted"' },
      { schema: 'k8stream.event/v1', id: 'minimal' },
    ].map((r) => JSON.stringify(r));
    records.push('not json');
    for (const [name, config] of cases) {
      const spec = specOf(modules.get(name)!, { name, config: pluginConfig(config) });
      expect(fastPathBlocker(spec)).toBeNull();
      const f = fast(spec);
      const s = await SdkInstance.create(spec, hooks);
      open.push(s);
      for (let round = 0; round < 3; round++) {
        for (const input of records) expect([name, input, await outcome(f, input)]).toEqual([name, input, await outcome(s, input)]);
      }
    }
    const redact = fast(specOf(modules.get('redact')!));
    const masked = dec(redact.call(enc(records[0]!)))!;
    expect(masked).toContain('[REDACTED:');
    expect(masked).not.toContain('hunter2');
  });
});

describe('WASI on the fast kernel, compared with the SDK path', () => {
  /** A module that calls `body` (WAT instructions) and outputs the bytes it stored at 1024.. (count at 1020). */
  const wasiModule = (imports: string, body: string, extra = '') => `(module
    ${imports}
    (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
    (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
    (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
    (import "extism:host/env" "error_set" (func $error_set (param i64)))
    (memory (export "memory") 1)
    (data (i32.const 2048) "stdout line\\nsecond\\npartial")
    (data (i32.const 2100) "to stderr\\n")
    (data (i32.const 2200) "/x")
    ${extra}
    (func $emit (param $v i32)
      (i32.store8 (i32.add (i32.const 1024) (i32.load (i32.const 1020))) (local.get $v))
      (i32.store (i32.const 1020) (i32.add (i32.load (i32.const 1020)) (i32.const 1))))
    (func $flush (result i64)
      (local $out i64) (local $i i32)
      (local.set $out (call $alloc (i64.extend_i32_u (i32.load (i32.const 1020)))))
      (block $done (loop $copy
        (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 1020))))
        (call $store_u8 (i64.add (local.get $out) (i64.extend_i32_u (local.get $i))) (i32.load8_u (i32.add (i32.const 1024) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
      (call $output_set (local.get $out) (i64.extend_i32_u (i32.load (i32.const 1020))))
      (local.get $out))
    (func (export "transform") (result i32)
      (i32.store (i32.const 1020) (i32.const 0))
      ${body}
      (i32.const 0)))`;

  async function both(source: string): Promise<[TransformInstance, TransformInstance]> {
    const spec = await watSpec(source, { wasi: true });
    const f = await createInstance(spec, hooks);
    const s = await SdkInstance.create(spec, hooks);
    open.push(f, s);
    expect([f.kernel, s.kernel]).toEqual(['fast', 'sdk']);
    return [f, s];
  }

  it('answers the WASI calls the PDKs make with the errnos and values of node:wasi (no files, no network)', async () => {
    const imports = `
      (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_filestat_get" (func $filestat (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_filestat_get" (func $pstat (param i32 i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "args_sizes_get" (func $args (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
      (import "wasi_snapshot_preview1" "clock_res_get" (func $res (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
      (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))`;
    const body = `
      ;; poll_oneoff: one relative clock subscription of 1 ms (userdata 0x2a), as Go's time.Sleep
      (i64.store (i32.const 800) (i64.const 42)) (i32.store8 (i32.const 808) (i32.const 0))
      (i32.store (i32.const 816) (i32.const 1)) (i64.store (i32.const 824) (i64.const 1000000))
      (i64.store (i32.const 832) (i64.const 0)) (i32.store16 (i32.const 840) (i32.const 0))
      (call $emit (call $poll (i32.const 800) (i32.const 900) (i32.const 1) (i32.const 960)))
      (call $emit (i32.load (i32.const 960)))                 ;; one event
      (call $emit (i32.load8_u (i32.const 900)))              ;; its userdata
      (call $emit (i32.load16_u (i32.const 908)))             ;; no error
      (call $emit (i32.load8_u (i32.const 910)))              ;; type: clock
      (call $emit (call $fdstat (i32.const 1) (i32.const 512)))
      (call $emit (i32.load8_u (i32.const 512)))   ;; filetype: character device
      (call $emit (i32.load8_u (i32.const 514)))   ;; flags: append on stdout
      (call $emit (call $fdstat (i32.const 0) (i32.const 512)))
      (call $emit (i32.load8_u (i32.const 514)))
      (call $emit (call $fdstat (i32.const 7) (i32.const 512)))
      (i32.store (i32.const 600) (i32.const 2048)) (i32.store (i32.const 604) (i32.const 3))
      (call $emit (call $write (i32.const 0) (i32.const 600) (i32.const 1) (i32.const 608)))
      (call $emit (call $write (i32.const 9) (i32.const 600) (i32.const 1) (i32.const 608)))
      (i32.store (i32.const 608) (i32.const 99))
      (call $emit (call $read (i32.const 0) (i32.const 600) (i32.const 1) (i32.const 608)))
      (call $emit (i32.load (i32.const 608)))     ;; stdin is empty: 0 bytes read
      (call $emit (call $read (i32.const 1) (i32.const 600) (i32.const 1) (i32.const 608)))
      (call $emit (call $seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 608)))
      (call $emit (call $seek (i32.const 5) (i64.const 0) (i32.const 0) (i32.const 608)))
      (call $emit (call $prestat (i32.const 3) (i32.const 512)))
      (call $emit (call $filestat (i32.const 2) (i32.const 512)))
      (call $emit (i32.load8_u (i32.const 528)))
      (call $emit (call $filestat (i32.const 4) (i32.const 512)))
      (call $emit (call $open (i32.const -1) (i32.const 1) (i32.const 2200) (i32.const 2) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 512)))
      (call $emit (call $open (i32.const 3) (i32.const 1) (i32.const 2200) (i32.const 2) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 512)))
      (call $emit (call $pstat (i32.const 5) (i32.const 0) (i32.const 2200) (i32.const 2) (i32.const 512)))
      (i32.store (i32.const 700) (i32.const 99)) (i32.store (i32.const 704) (i32.const 99))
      (call $emit (call $args (i32.const 700) (i32.const 704)))
      (call $emit (i32.add (i32.load (i32.const 700)) (i32.load (i32.const 704))))
      (i32.store (i32.const 700) (i32.const 99)) (i32.store (i32.const 704) (i32.const 99))
      (call $emit (call $env (i32.const 700) (i32.const 704)))
      (call $emit (i32.add (i32.load (i32.const 700)) (i32.load (i32.const 704))))
      (call $emit (call $clock (i32.const 0) (i64.const 1) (i32.const 712)))
      (call $emit (i64.gt_u (i64.load (i32.const 712)) (i64.const 1700000000000000000)))  ;; after 2023, in ns
      (call $emit (call $clock (i32.const 1) (i64.const 1) (i32.const 712)))
      (call $emit (call $clock (i32.const 9) (i64.const 1) (i32.const 712)))
      (call $emit (call $res (i32.const 1) (i32.const 712)))
      (i64.store (i32.const 720) (i64.const 0))
      (call $emit (call $random (i32.const 720) (i32.const 8)))
      (call $emit (i64.ne (i64.load (i32.const 720)) (i64.const 0)))
      (call $emit (call $yield))
      (call $emit (call $close (i32.const 1)))
      (call $emit (call $write (i32.const 1) (i32.const 600) (i32.const 1) (i32.const 608)))
      (call $emit (call $close (i32.const 1)))
      (drop (call $flush))`;
    const [f, s] = await both(wasiModule(imports, body));
    const fastOut = [...(await f.call(enc('x')))!];
    const sdkOut = [...(await s.call(enc('x')))!];
    expect(fastOut).toEqual(sdkOut);
    // (and the values are the expected ones, not two identical mistakes)
    expect(fastOut).toEqual([0, 1, 42, 0, 0, 0, 2, 1, 0, 0, 8, 8, 8, 0, 0, 8, 0, 8, 8, 0, 2, 8, 28, 8, 8, 0, 0, 0, 0, 0, 1, 0, 28, 0, 0, 1, 0, 0, 8, 8]);
  });

  it('ends a call at proc_exit: code 0 keeps the output and the error so far, another code fails the call; the instance is recreated', async () => {
    const imports = `(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (import "extism:host/env" "input_length" (func $input_length (result i64)))
      (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
      (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))`;
    // Input length: 1 = output "A" then exit 0; 2 = error "A" then exit 0; 3 = exit 3; 4 = exit 0
    // with nothing set; 5 = counts the calls since instantiation (a global) and outputs it.
    const body = `
      (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
      (call $emit (i32.const 65))
      (if (i64.eq (call $input_length) (i64.const 1)) (then (drop (call $flush)) (call $exit (i32.const 0)) unreachable))
      (if (i64.eq (call $input_length) (i64.const 2)) (then (call $error_set (call $flush)) (call $exit (i32.const 0)) unreachable))
      (if (i64.eq (call $input_length) (i64.const 3)) (then (call $exit (i32.const 3)) unreachable))
      (if (i64.eq (call $input_length) (i64.const 4)) (then (call $exit (i32.const 0)) unreachable))
      (call $emit (i32.add (i32.const 48) (global.get $calls)))
      (drop (call $flush))`;
    const [f, s] = await both(wasiModule(imports, body, '(global $calls (mut i32) (i32.const 0))'));
    for (const instance of [f, s]) {
      const results = [];
      for (const input of ['12345', '12345', 'x', 'xy', 'xyz', '12345', 'xyzw', '12345']) results.push(await outcome(instance, input));
      expect(results).toEqual([
        { output: 'A1' },
        { output: 'A2' },
        { output: 'A' },
        { error: 'A', fromModule: true },
        { error: 'the module exited with code 3', fromModule: true },
        { output: 'A1' }, // recreated after the exit: a fresh instance
        { output: null },
        { output: 'A1' },
      ]);
    }
  });

  it("runs a reactor's _initialize once per instantiation, before hs_init (as the SDK does)", async () => {
    const imports = `(import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))`;
    const extra = `(global $order (mut i32) (i32.const 0))
      (func (export "_initialize") (global.set $order (i32.add (i32.mul (global.get $order) (i32.const 10)) (i32.const 1))))
      (func (export "hs_init") (param i32 i32) (global.set $order (i32.add (i32.mul (global.get $order) (i32.const 10)) (i32.const 2))))
      (func (export "_start") (global.set $order (i32.const 9)))`;
    const body = `(call $emit (i32.add (i32.const 48) (global.get $order))) (drop (call $flush))`;
    const [f, s] = await both(wasiModule(imports, body, extra));
    // "12": _initialize, then hs_init, and not _start ('0' + 12 = '<').
    expect([dec(await f.call(enc('x'))), dec(await f.call(enc('x')))]).toEqual(['<', '<']);
    expect(dec(await s.call(enc('x')))).toBe('<');
  });

  it("logs stdout (info) and stderr (warn) line by line, an open line at the call's end", async () => {
    const imports = `(import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))`;
    const body = `
      (i32.store (i32.const 600) (i32.const 2048)) (i32.store (i32.const 604) (i32.const 26))
      (i32.store (i32.const 608) (i32.const 2100)) (i32.store (i32.const 612) (i32.const 10))
      (call $emit (call $write (i32.const 1) (i32.const 600) (i32.const 1) (i32.const 700)))
      (call $emit (i32.load (i32.const 700)))
      (call $emit (call $write (i32.const 2) (i32.const 608) (i32.const 1) (i32.const 700)))
      (drop (call $flush))`;
    const [f] = await both(wasiModule(imports, body));
    logs.length = 0;
    expect([...(await f.call(enc('x')))!]).toEqual([0, 26, 0]);
    expect(logs).toEqual([
      ['info', 'stdout line'],
      ['info', 'second'],
      ['warn', 'to stderr'],
      ['info', 'partial'],
    ]);
  });

  it('keeps a trap a trap', async () => {
    const imports = `(import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))`;
    const [f, s] = await both(wasiModule(imports, 'unreachable'));
    expect(await outcome(f, 'x')).toEqual({ error: 'trap: unreachable', fromModule: false });
    expect(await outcome(s, 'x')).toEqual({ error: 'trap: unreachable', fromModule: false });
  });
});
