/**
 * Loads a configured transform: resolves `use` (path, npm package, or pinned https URL),
 * reads the module, caps its memory at `memoryMb` by rewriting the binary, compiles it once
 * (`WebAssembly.compile`; never run on the main thread), and checks it against the ABI: the
 * configured function is exported, and it imports nothing but the Extism kernel and WASI.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { K8streamError, errorMessage } from '../errors.js';
import type { TransformConfig } from '../config/types.js';
import { EXTISM_ENV, KERNEL_FUNCTIONS, WASI_PREVIEW1 } from './abi.js';
import { fetchPinned, sha256Hex } from './fetch.js';
import type { FetchOptions } from './fetch.js';
import type { WorkerTransformSpec } from './protocol.js';
import { describeSource, resolveTransformSource } from './resolve.js';
import type { TransformSource } from './resolve.js';
import { capMemory } from './wasm-memory.js';
import type { CappedMemory } from './wasm-memory.js';

export interface LoadOptions {
  /** Directory of the config file: relative paths and packages resolve from here. */
  configDir: string;
  /** Cache for https modules. @default ~/.cache/k8stream/transforms */
  cacheDir?: string;
  /** Extra CA certificates (PEM) trusted for https downloads. */
  ca?: FetchOptions['ca'];
  /** Also look for packages next to the core. @default true */
  searchCore?: boolean;
}

/** A transform ready to be instantiated in workers. */
export interface LoadedTransform {
  config: TransformConfig;
  source: TransformSource;
  /** sha256 (hex) of the module as read, before the memory cap. */
  sha256: string;
  /** Compiled, with memory capped. */
  module: WebAssembly.Module;
  /** The module imports WASI preview 1. */
  importsWasi: boolean;
  memories: CappedMemory[];
}

const MiB = 1024 * 1024;

function invalid(config: TransformConfig, source: TransformSource, message: string, hint?: string): K8streamError {
  return new K8streamError('TRANSFORM_INVALID', `transform "${config.name}" (${describeSource(source)}): ${message}`, {
    plugin: config.name,
    ...(hint ? { hint } : {}),
  });
}

async function readModule(source: TransformSource, config: TransformConfig, options: LoadOptions): Promise<Uint8Array> {
  if (source.kind === 'url') {
    const fetched = await fetchPinned(source.url, source.sha256, {
      ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
    return fetched.bytes;
  }
  try {
    return new Uint8Array(await readFile(source.file));
  } catch (err) {
    throw new K8streamError('PLUGIN_LOAD_FAILED', `transform "${config.name}": cannot read ${source.file}: ${errorMessage(err)}`, {
      plugin: config.name,
      path: source.file,
      cause: err,
    });
  }
}

/** Checks imports against the ABI; returns whether the module imports WASI. */
function checkImports(module: WebAssembly.Module, config: TransformConfig, source: TransformSource): boolean {
  let wasi = false;
  const unknown: string[] = [];
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module === WASI_PREVIEW1) {
      wasi = true;
    } else if (imp.module !== EXTISM_ENV || imp.kind !== 'function' || !KERNEL_FUNCTIONS.has(imp.name)) {
      unknown.push(`${imp.module}.${imp.name} (${imp.kind})`);
    }
  }
  if (unknown.length > 0) {
    throw invalid(
      config,
      source,
      `imports ${unknown.join(', ')}, which k8stream does not provide`,
      `k8stream serves the Extism kernel functions (${EXTISM_ENV}: ${[...KERNEL_FUNCTIONS].join(', ')}) and WASI preview 1; host functions an application registers for its plugins (extism:host/user) do not exist here`,
    );
  }
  return wasi;
}

/** Resolves, reads, caps, compiles and checks one transform. */
export async function loadTransform(config: TransformConfig, options: LoadOptions): Promise<LoadedTransform> {
  const source = resolveTransformSource(config.use, {
    configDir: options.configDir,
    name: config.name,
    sha256: config.sha256,
    ...(options.searchCore !== undefined ? { searchCore: options.searchCore } : {}),
  });
  const bytes = await readModule(source, config, options);
  // The label names the module as written (`use`): a file that is not wasm is found by its path.
  const capped = capMemory(bytes, config.memoryMb * MiB, `transform "${config.name}" (${config.use})`);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(capped.bytes);
  } catch (err) {
    throw invalid(config, source, `not a valid WebAssembly module: ${errorMessage(err)}`);
  }
  const functions = WebAssembly.Module.exports(module)
    .filter((e) => e.kind === 'function')
    .map((e) => e.name);
  if (!functions.includes(config.function)) {
    throw invalid(
      config,
      source,
      `does not export a function named "${config.function}" (it exports ${functions.length > 0 ? functions.map((f) => `"${f}"`).join(', ') : 'no functions'})`,
      'set `function` in the transform config to the exported name',
    );
  }
  const importsWasi = checkImports(module, config, source);
  for (const [guest, host] of Object.entries(config.allowedPaths)) {
    const abs = path.resolve(options.configDir, host);
    let ok: boolean;
    try {
      ok = statSync(abs).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) throw invalid(config, source, `allowedPaths["${guest}"]: ${abs} is not a directory`);
  }
  return { config, source, sha256: sha256Hex(bytes), module, importsWasi, memories: capped.memories };
}

/** Loads every transform (in parallel); rejects with the first error in config order. */
export async function loadTransforms(configs: readonly TransformConfig[], options: LoadOptions): Promise<LoadedTransform[]> {
  const settled = await Promise.allSettled(configs.map((c) => loadTransform(c, options)));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<LoadedTransform>).value);
}

/**
 * The Extism plugin config of a transform: every value a string. Strings stay as they are,
 * numbers and booleans become their text, objects and arrays are JSON-encoded; null and
 * undefined values are left out (the key reads as unset).
 */
export function pluginConfig(config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || value === null) continue;
    out[key] = typeof value === 'string' ? value : typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
  }
  return out;
}

/** What a worker needs to instantiate `loaded`. */
export function workerSpec(loaded: LoadedTransform, configDir: string): WorkerTransformSpec {
  const { config } = loaded;
  const allowedPaths: Record<string, string> = {};
  for (const [guest, host] of Object.entries(config.allowedPaths)) allowedPaths[guest] = path.resolve(configDir, host);
  return {
    name: config.name,
    module: loaded.module,
    function: config.function,
    config: pluginConfig(config.config),
    memoryBytes: config.memoryMb * MiB,
    wasi: loaded.importsWasi || Object.keys(allowedPaths).length > 0,
    allowedPaths,
    allowedHosts: [...config.allowedHosts],
    kernelNote: new SharedArrayBuffer(4),
  };
}
