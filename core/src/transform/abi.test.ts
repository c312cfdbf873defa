import { describe, expect, it } from 'vitest';
import createPlugin from '@extism/extism';
import { compileWat } from '../../../test/fixtures/wasm/compile.js';
import type { WasmFixture } from '../../../test/fixtures/wasm/compile.js';
import { EXTISM_ENV, KERNEL_FUNCTIONS, WASI_PREVIEW1 } from './abi.js';

const FIXTURES: WasmFixture[] = ['echo', 'trap', 'loop', 'membomb', 'invalid-json', 'drop', 'error', 'fanout', 'config', 'http', 'select', 'wasi', 'tag', 'exit'];

describe('transform ABI = the Extism plugin ABI', () => {
  it('the fixtures import only standard Extism kernel functions (and WASI)', async () => {
    for (const name of FIXTURES) {
      const module = await WebAssembly.compile(await compileWat(name));
      for (const imp of WebAssembly.Module.imports(module)) {
        expect(imp.module === EXTISM_ENV ? KERNEL_FUNCTIONS.has(imp.name) : imp.module === WASI_PREVIEW1).toBe(true);
      }
      expect(WebAssembly.Module.exports(module).some((e) => e.name === 'transform' && e.kind === 'function')).toBe(true);
    }
  });

  it('the raw-kernel fixtures run unchanged on the stock Extism JS SDK', async () => {
    const input = JSON.stringify({ schema: 'k8stream.event/v1', id: 'abi', message: 'héllo\nworld' });
    const echo = await createPlugin({ wasm: [{ data: await compileWat('echo') }] }, { useWasi: false });
    try {
      expect((await echo.call('transform', input))?.text()).toBe(input);
    } finally {
      await echo.close();
    }

    const config = await createPlugin({ wasm: [{ data: await compileWat('config') }] }, { useWasi: false, config: { output: '{"a":1}' } });
    try {
      expect((await config.call('transform', input))?.text()).toBe('{"a":1}');
    } finally {
      await config.close();
    }

    const error = await createPlugin({ wasm: [{ data: await compileWat('error') }] }, { useWasi: false });
    try {
      await expect(error.call('transform', input)).rejects.toThrow('Plugin-originated error: event rejected by policy');
    } finally {
      await error.close();
    }

    const drop = await createPlugin({ wasm: [{ data: await compileWat('drop') }] }, { useWasi: false });
    try {
      expect(await drop.call('transform', input)).toBeNull();
    } finally {
      await drop.close();
    }
  });
});
