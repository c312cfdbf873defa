/**
 * What `k8stream transform inspect` shows about a module: its exports and imports (with function
 * signatures read from the binary), whether it exports the configured function, whether
 * k8stream can load it (the loader's own checks, `loadTransform`) and which kernel would run it
 * (`fastPathBlocker`, the decision the workers make).
 */
import { readFile } from 'node:fs/promises';
import { K8streamError, errorMessage, isK8streamError } from '../errors.js';
import type { TransformConfig } from '../config/types.js';
import { EXTISM_ENV, WASI_PREVIEW1 } from './abi.js';
import { fastPathBlocker } from './fast-instance.js';
import { fetchPinned, sha256Hex } from './fetch.js';
import { KERNEL_ENV, kernelPreference } from './instance.js';
import { loadTransform, workerSpec } from './load.js';
import type { LoadOptions } from './load.js';
import { describeSource, resolveTransformSource } from './resolve.js';

export interface InspectedItem {
  name: string;
  /** `function`, `memory`, `table`, `global` or `tag`. */
  kind: string;
  /** Functions: `(i64, i32) -> i64`; absent when the binary could not be read for it. */
  signature?: string;
}

export interface InspectedImports {
  module: string;
  items: InspectedItem[];
}

export interface InspectProblem {
  code: string;
  message: string;
  hint?: string;
}

export interface InspectResult {
  /** Where the module came from (path, package, or URL). */
  module: string;
  sha256: string;
  bytes: number;
  /** The configured function (default `transform`). */
  function: string;
  exportsFunction: boolean;
  exports: InspectedItem[];
  /** Grouped by module: `extism:host/env` and `wasi_snapshot_preview1` first (always listed), then the others. */
  imports: InspectedImports[];
  /** True when k8stream loads it (every check a transform must pass at startup). */
  loadable: boolean;
  /** The kernel a worker would run it on; null when it is not loadable (or cannot run). */
  kernel: 'fast' | 'sdk' | null;
  kernelReason: string;
  /** Why it is not loadable, as the loader reports it (empty when loadable). */
  problems: InspectProblem[];
  /** The loader's first error, for callers that rethrow it. */
  error: K8streamError | null;
}

const VALUE_TYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

interface Signatures {
  /** By import position (functions only). */
  imports: (string | undefined)[];
  /** By export name (functions only). */
  exports: Map<string, string>;
}

/**
 * Function signatures from the type, import, function and export sections. Returns null for
 * anything it does not understand (GC types, typed references): signatures are a convenience.
 */
export function readSignatures(wasm: Uint8Array): Signatures | null {
  let at = 8;
  const byte = (): number => {
    if (at >= wasm.length) throw new Error('truncated');
    return wasm[at++]!;
  };
  const leb = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
  };
  const name = (): void => {
    const length = leb(); // read before `at` is: `at += leb()` would add to the old position
    at += length;
  };
  const limits = (): void => {
    const flags = byte();
    leb();
    if (flags & 1) leb();
  };
  const valueType = (): string => {
    const t = VALUE_TYPES[byte()];
    if (t === undefined) throw new Error('unknown value type');
    return t;
  };
  try {
    const types: string[] = [];
    const functionTypes: number[] = [];
    const imports: (string | undefined)[] = [];
    const exports = new Map<string, string>();
    while (at < wasm.length) {
      const id = byte();
      const size = leb();
      const end = at + size;
      if (id === 1) {
        for (let n = leb(); n > 0; n--) {
          if (byte() !== 0x60) return null;
          const params = Array.from({ length: leb() }, valueType);
          const results = Array.from({ length: leb() }, valueType);
          types.push(`(${params.join(', ')}) -> ${results.length === 0 ? '()' : results.length === 1 ? results[0] : `(${results.join(', ')})`}`);
        }
      } else if (id === 2) {
        for (let n = leb(); n > 0; n--) {
          name();
          name();
          const kind = byte();
          if (kind === 0) {
            const type = leb();
            functionTypes.push(type);
            imports.push(types[type]);
            continue;
          }
          imports.push(undefined);
          if (kind === 1) {
            valueType();
            limits();
          } else if (kind === 2) {
            limits();
          } else if (kind === 3) {
            valueType();
            byte();
          } else if (kind === 4) {
            byte();
            leb();
          } else {
            return null;
          }
        }
      } else if (id === 3) {
        for (let n = leb(); n > 0; n--) functionTypes.push(leb());
      } else if (id === 7) {
        for (let n = leb(); n > 0; n--) {
          const length = leb();
          const exportName = new TextDecoder().decode(wasm.subarray(at, at + length));
          at += length;
          const kind = byte();
          const index = leb();
          const type = kind === 0 ? functionTypes[index] : undefined;
          if (type !== undefined && types[type] !== undefined) exports.set(exportName, types[type]);
        }
      }
      at = end;
    }
    return { imports, exports };
  } catch {
    return null;
  }
}

async function readBytes(config: TransformConfig, options: LoadOptions): Promise<{ source: string; bytes: Uint8Array }> {
  const source = resolveTransformSource(config.use, {
    configDir: options.configDir,
    name: config.name,
    sha256: config.sha256,
    ...(options.searchCore !== undefined ? { searchCore: options.searchCore } : {}),
  });
  if (source.kind === 'url') {
    const fetched = await fetchPinned(source.url, source.sha256, {
      ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
    return { source: describeSource(source), bytes: fetched.bytes };
  }
  try {
    return { source: describeSource(source), bytes: new Uint8Array(await readFile(source.file)) };
  } catch (err) {
    throw new K8streamError('PLUGIN_LOAD_FAILED', `transform "${config.name}": cannot read ${source.file}: ${errorMessage(err)}`, {
      plugin: config.name,
      path: source.file,
      cause: err,
    });
  }
}

function problemOf(err: unknown): InspectProblem {
  if (isK8streamError(err)) return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  return { code: 'INTERNAL', message: errorMessage(err) };
}

function asK8streamError(err: unknown): K8streamError {
  return isK8streamError(err) ? err : new K8streamError('INTERNAL', errorMessage(err), { cause: err });
}

/**
 * Inspects the module of `config`. Throws (a coded K8streamError naming the module) only when
 * there is nothing to inspect: not found, unreadable, not WebAssembly. A module that k8stream
 * would refuse is described, with `loadable: false` and the loader's reasons in `problems`.
 */
export async function inspectTransform(config: TransformConfig, options: LoadOptions): Promise<InspectResult> {
  const { source, bytes } = await readBytes(config, options);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (err) {
    throw new K8streamError('TRANSFORM_INVALID', `transform "${config.name}" (${source}): not a valid WebAssembly module: ${errorMessage(err)}`, {
      plugin: config.name,
      cause: err,
    });
  }
  const signatures = readSignatures(bytes);
  const exports: InspectedItem[] = WebAssembly.Module.exports(module).map((e) => {
    const signature = e.kind === 'function' ? signatures?.exports.get(e.name) : undefined;
    return { name: e.name, kind: e.kind, ...(signature !== undefined ? { signature } : {}) };
  });
  const groups = new Map<string, InspectedItem[]>([
    [EXTISM_ENV, []],
    [WASI_PREVIEW1, []],
  ]);
  WebAssembly.Module.imports(module).forEach((imp, i) => {
    const signature = imp.kind === 'function' ? signatures?.imports[i] : undefined;
    let group = groups.get(imp.module);
    if (!group) groups.set(imp.module, (group = []));
    group.push({ name: imp.name, kind: imp.kind, ...(signature !== undefined ? { signature } : {}) });
  });
  const functions = exports.filter((e) => e.kind === 'function').map((e) => e.name);
  const exportsFunction = functions.includes(config.function);

  const problems: InspectProblem[] = [];
  let error: K8streamError | null = null;
  let kernel: InspectResult['kernel'] = null;
  let kernelReason = 'not loadable';
  try {
    const loaded = await loadTransform(config, options);
    const blocker = fastPathBlocker(workerSpec(loaded, options.configDir));
    const preference = kernelPreference();
    if (preference === 'sdk') {
      kernel = 'sdk';
      kernelReason = `${KERNEL_ENV}=sdk forces the Extism SDK kernel${blocker === null ? '' : ` (and ${blocker})`}`;
    } else if (blocker === null) {
      kernel = 'fast';
      kernelReason = 'nothing keeps it off the fast kernel (a kernel import declared with a non-Extism signature would fall back to the SDK)';
    } else if (preference === 'fast') {
      kernelReason = `${KERNEL_ENV}=fast, but the fast kernel cannot serve it: ${blocker}`;
    } else {
      kernel = 'sdk';
      kernelReason = blocker;
    }
  } catch (err) {
    error = asK8streamError(err);
    problems.push(problemOf(err));
    // A missing function stops the loader before its import check: run that check too.
    const other = functions.find((f) => f !== config.function);
    if (!exportsFunction && other !== undefined) {
      try {
        await loadTransform({ ...config, function: other }, options);
      } catch (second) {
        if (errorMessage(second) !== error.message) problems.push(problemOf(second));
      }
    }
  }
  return {
    module: source,
    sha256: sha256Hex(bytes),
    bytes: bytes.length,
    function: config.function,
    exportsFunction,
    exports,
    imports: [...groups].map(([name, items]) => ({ module: name, items })),
    loadable: error === null,
    kernel,
    kernelReason,
    problems,
    error,
  };
}

function itemLine(item: InspectedItem, width: number): string {
  return `    ${item.kind.padEnd(8)} ${item.signature ? `${item.name.padEnd(width)}  ${item.signature}` : item.name}`;
}

/** The human-readable report of `k8stream transform inspect`. */
export function formatInspection(r: InspectResult): string {
  const lines: string[] = [];
  lines.push(`module    ${r.module}`, `sha256    ${r.sha256} (${r.bytes} bytes)`);
  const exportWidth = Math.max(0, ...r.exports.map((e) => e.name.length));
  lines.push(`exports   ${r.exports.length}`);
  for (const e of r.exports) lines.push(itemLine(e, exportWidth).slice(2));
  const total = r.imports.reduce((sum, g) => sum + g.items.length, 0);
  lines.push(`imports   ${total}`);
  for (const group of r.imports) {
    lines.push(`  ${group.module} (${group.items.length === 0 ? 'none' : group.items.length})`);
    const width = Math.max(0, ...group.items.map((i) => i.name.length));
    for (const item of group.items) lines.push(itemLine(item, width));
  }
  const functions = r.exports.filter((e) => e.kind === 'function').map((e) => e.name);
  lines.push(
    r.exportsFunction
      ? `function  "${r.function}": exported`
      : `function  "${r.function}": not exported (its functions: ${functions.length > 0 ? functions.join(', ') : 'none'}; choose one with --function NAME)`,
  );
  lines.push(`kernel    ${r.kernel ?? 'none'}: ${r.kernelReason}`);
  lines.push(`loadable  ${r.loadable ? 'yes' : 'no'}`);
  for (const p of r.problems) lines.push(`  [${p.code}] ${p.message}${p.hint ? `\n    hint: ${p.hint}` : ''}`);
  return lines.join('\n') + '\n';
}

/** The machine-readable report (`--json`): the result without the error object. */
export function inspectionJson(r: InspectResult): string {
  const { error: _error, ...rest } = r;
  return JSON.stringify(rest, null, 2) + '\n';
}
