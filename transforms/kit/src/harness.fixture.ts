/**
 * Builds the kit's AssemblyScript test harness (test/assembly/harness.ts) once per source
 * content and opens its exports through the Extism JS SDK, as k8stream loads transforms.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCompiled, openTransform } from '../testing.js';
import type { TransformHandle } from '../testing.js';

export const KIT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let built: Promise<string> | undefined;

/** Path of the compiled harness (built on first use). */
export function harnessWasm(): Promise<string> {
  built ??= ensureCompiled({ entry: 'test/assembly/harness.ts', outFile: 'dist/test/harness.wasm', cwd: KIT_DIR });
  return built;
}

/** A fresh plugin instance whose `call` runs harness export `fn`. */
export async function openHarness(fn: string, config: Record<string, unknown> = {}): Promise<TransformHandle> {
  return openTransform(await harnessWasm(), config, { functionName: fn });
}
