import { describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { K8streamError } from '../errors.js';
import { compileWat } from '../../../test/fixtures/wasm/compile.js';
import { capMemory, memoryCapPages, readMemories, WASM_PAGE_BYTES } from './wasm-memory.js';

const wabt = wabtInit();

async function wat(source: string, features: Record<string, boolean> = {}): Promise<Uint8Array> {
  const module = (await wabt).parseWat('inline.wat', source, features);
  try {
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

const MiB = 1024 * 1024;

describe('memoryCapPages', () => {
  it('counts 16 pages of 64 KiB per MiB', () => {
    expect(memoryCapPages(1)).toBe(16);
    expect(memoryCapPages(64)).toBe(1024);
    expect(16 * WASM_PAGE_BYTES).toBe(MiB);
  });
});

describe('capMemory', () => {
  it('stops a memory bomb at the cap: memory.grow fails and the module traps instead of reaching GBs', async () => {
    const original = await compileWat('membomb');
    expect(readMemories(original)).toEqual([{ imported: false, min: 1, max: null, pageSize: 65_536, shared: false, memory64: false }]);
    const { bytes, memories } = capMemory(original, 4 * MiB, 'membomb');
    expect(memories).toEqual([{ imported: false, min: 1, max: null, pageSize: 65_536, shared: false, memory64: false, cappedMax: 64 }]);
    const { instance } = await WebAssembly.instantiate(bytes);
    const exports = instance.exports as { transform: () => number; pages: () => number; memory: WebAssembly.Memory };
    expect(() => exports.transform()).toThrow(WebAssembly.RuntimeError);
    // 1 page, then +16 three times (49); the next +16 would be 65 > 64 and is refused.
    expect(exports.pages()).toBe(49);
    expect(exports.memory.buffer.byteLength).toBe(49 * WASM_PAGE_BYTES);
    expect(() => exports.memory.grow(16)).toThrow(RangeError);
  });

  it('lowers a larger maximum and keeps a smaller one', async () => {
    const bigger = capMemory(await wat('(module (memory 2 4096))'), 1 * MiB);
    expect(bigger.memories.map((m) => [m.min, m.max, m.cappedMax])).toEqual([[2, 4096, 16]]);
    expect(readMemories(bigger.bytes)).toEqual([{ imported: false, min: 2, max: 16, pageSize: 65_536, shared: false, memory64: false }]);

    const smaller = capMemory(await wat('(module (memory 2 8))'), 1 * MiB);
    expect(readMemories(smaller.bytes)[0]?.max).toBe(8);
  });

  it('encodes multi-byte sizes and keeps every other section intact', async () => {
    const source = `(module
      (import "extism:host/env" "input_length" (func $len (result i64)))
      (memory (export "memory") 200)
      (global $g (mut i32) (i32.const 7))
      (data (i32.const 0) "hello")
      (func (export "transform") (result i32) (drop (call $len)) (global.get $g)))`;
    const original = await wat(source);
    const { bytes } = capMemory(original, 32 * MiB);
    expect(readMemories(bytes)).toEqual([{ imported: false, min: 200, max: 512, pageSize: 65_536, shared: false, memory64: false }]);
    const module = await WebAssembly.compile(bytes);
    expect(WebAssembly.Module.exports(module)).toEqual(WebAssembly.Module.exports(await WebAssembly.compile(original)));
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'extism:host/env', name: 'input_length', kind: 'function' }]);
    const { exports } = await WebAssembly.instantiate(module, { 'extism:host/env': { input_length: () => 0n } });
    expect((exports.transform as () => number)()).toBe(7);
    expect(new TextDecoder().decode(new Uint8Array((exports.memory as WebAssembly.Memory).buffer, 0, 5))).toBe('hello');
  });

  it('caps imported memories and skips other imports of every kind', async () => {
    const source = `(module
      (import "env" "f" (func (param i32)))
      (import "env" "t" (table 1 funcref))
      (import "env" "g" (global i64))
      (import "env" "mem" (memory 3)))`;
    const { bytes, memories } = capMemory(await wat(source), 2 * MiB);
    expect(memories).toEqual([{ imported: true, min: 3, max: null, pageSize: 65_536, shared: false, memory64: false, cappedMax: 32 }]);
    const module = await WebAssembly.compile(bytes);
    expect(WebAssembly.Module.imports(module).map((i) => i.kind)).toEqual(['function', 'table', 'global', 'memory']);
    const memory = new WebAssembly.Memory({ initial: 3, maximum: 32 });
    await expect(
      WebAssembly.instantiate(module, {
        env: { f: () => {}, t: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }), g: new WebAssembly.Global({ value: 'i64' }, 0n), mem: memory },
      }),
    ).resolves.toBeInstanceOf(WebAssembly.Instance);
  });

  it('handles shared and 64-bit memories', async () => {
    const shared = capMemory(await wat('(module (memory 1 100 shared))', { threads: true }), 1 * MiB);
    expect(shared.memories).toEqual([{ imported: false, min: 1, max: 100, pageSize: 65_536, shared: true, memory64: false, cappedMax: 16 }]);
    await expect(WebAssembly.compile(shared.bytes)).resolves.toBeInstanceOf(WebAssembly.Module);

    const wide = capMemory(await wat('(module (memory i64 1))', { memory64: true }), 1 * MiB);
    expect(wide.memories).toEqual([{ imported: false, min: 1, max: null, pageSize: 65_536, shared: false, memory64: true, cappedMax: 16 }]);
  });

  it('leaves a module without memory byte for byte as it was', async () => {
    const original = await wat('(module (func (export "transform") (result i32) (i32.const 0)))');
    const { bytes, memories } = capMemory(original, MiB);
    expect(memories).toEqual([]);
    expect(Buffer.from(bytes).equals(Buffer.from(original))).toBe(true);
  });

  it('refuses a module whose initial memory is above the cap, naming it', async () => {
    const bytes = await wat('(module (memory 40))');
    let caught: unknown;
    try {
      capMemory(bytes, 2 * MiB, 'redact');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(K8streamError);
    expect((caught as K8streamError).code).toBe('TRANSFORM_INVALID');
    expect((caught as K8streamError).message).toBe("redact: the module's memory starts at 40 pages (2.5 MiB), above its memory cap of 32 pages");
  });

  it('refuses bytes that are not a core module', () => {
    expect(() => capMemory(new TextEncoder().encode('not wasm at all'), MiB, 'x')).toThrow('x: not a WebAssembly module (missing the \\0asm header)');
    const component = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
    expect(() => capMemory(component, MiB, 'x')).toThrow('x: not a WebAssembly core module version 1 (components are not supported)');
    const truncated = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01]);
    expect(() => capMemory(truncated, MiB, 'x')).toThrow(/^x: truncated module/);
  });
});
