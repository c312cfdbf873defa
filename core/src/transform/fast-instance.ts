/**
 * The fast path: a transform instantiated with `new WebAssembly.Instance`, its Extism kernel
 * imports linked to the wasm kernel of kernel-wasm.ts (memory functions: wasm→wasm calls) and
 * to the JS functions below for the rest (config, variables, logs, HTTP), which read and
 * write the kernel's memory. Calls are synchronous: no SDK, no promise per call.
 *
 * Same semantics as the SDK path (instance.ts): the error channel makes a call fail with
 * `CallError(fromModule: true)`; a trap or a failing kernel/host function fails it with
 * `fromModule: false` and the instance (guest and kernel) is recreated before the next call;
 * the output is cut to `output_set`'s length; kernel memory allocated in one call is capped at
 * `memoryBytes`; variables survive calls (not re-instantiation); an empty config value is a
 * zero-length block. After instantiation, as the SDK does: a module importing WASI has its
 * `_initialize` run (a reactor; a command's `_start` is not run), then `hs_init` if exported.
 *
 * WASI preview 1 is served by wasi.ts (no files, no network; stdout/stderr to the log):
 * `proc_exit(0)` ends a call as a success with the output set so far, another code fails it
 * (`CallError(fromModule: true)`, "the module exited with code N"); either way the instance
 * is recreated before the next call.
 *
 * Only for modules whose imports are all `extism:host/env` kernel functions or WASI, given no
 * `allowedPaths` (see {@link fastPathBlocker}); others run on the SDK path.
 *
 * Must stay loadable by Node's type stripping (the worker imports it).
 */
import { EXTISM_ENV, GUEST_LOG_LEVEL, KERNEL_FUNCTIONS, KERNEL_MEMORY_FUNCTIONS, WASI_PREVIEW1 } from './abi.js';
import { CallError, GuestVars, failureMessage, truncate } from './host-api.js';
import type { BlockIO, InstanceHooks, LogLevel, TransformInstance } from './host-api.js';
import { FAIL_ALLOC, FAIL_ERROR_BLOCK, FAIL_GROW, FAIL_INPUT, FAIL_LOAD, FAIL_OUTPUT_BLOCK, FAIL_OUTPUT_LENGTH, FAIL_STORE, FIRST_ADDRESS, kernelModule } from './kernel-wasm.js';
import type { WorkerTransformSpec } from './protocol.js';
import { WASI_FUNCTIONS, WasiExit, WasiLog, exitMessage, wasiImports } from './wasi.js';

/** What the kernel module exports (see kernel-wasm.ts). */
interface KernelExports {
  memory: WebAssembly.Memory;
  top: WebAssembly.Global;
  in_len: WebAssembly.Global;
  out_addr: WebAssembly.Global;
  out_len: WebAssembly.Global;
  err_addr: WebAssembly.Global;
  begin(length: number): number;
  alloc(n: bigint): bigint;
  [name: string]: unknown;
}

/**
 * Why the fast kernel cannot serve `spec`'s module (null when it can): `allowedPaths` (files
 * need the SDK's WASI), an import that is neither an Extism kernel function nor WASI preview 1,
 * or WASI without an exported memory.
 */
export function fastPathBlocker(spec: WorkerTransformSpec): string | null {
  if (Object.keys(spec.allowedPaths).length > 0) return "the transform is given allowedPaths (files are served by the SDK kernel's WASI)";
  let wasi = false;
  for (const imp of WebAssembly.Module.imports(spec.module)) {
    if (imp.kind === 'function' && imp.module === WASI_PREVIEW1 && WASI_FUNCTIONS.has(imp.name)) wasi = true;
    else if (imp.module !== EXTISM_ENV || imp.kind !== 'function' || !KERNEL_FUNCTIONS.has(imp.name)) {
      return `the module imports ${imp.module}.${imp.name} (${imp.kind})`;
    }
  }
  if (wasi && !WebAssembly.Module.exports(spec.module).some((e) => e.name === 'memory' && e.kind === 'memory')) {
    return 'the module imports WASI but exports no memory';
  }
  return null;
}

const hex = (n: bigint): string => `0x${BigInt.asUintN(64, n).toString(16)}`;

/** One instantiation: the kernel, the guest, and the function to call. */
interface Live {
  kernel: KernelExports;
  fn: () => unknown;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class FastInstance implements TransformInstance {
  readonly kernel = 'fast' as const;
  readonly spec: WorkerTransformSpec;
  readonly #hooks: InstanceHooks;
  /** Config values, UTF-8 encoded once. */
  readonly #config: Map<string, Uint8Array>;
  #live: Live | null = null;
  readonly #vars = new GuestVars();
  /** stdout/stderr (WASI) as log lines, rate-limited across calls. */
  readonly #wasiLog: WasiLog;
  #active = false;

  private constructor(spec: WorkerTransformSpec, hooks: InstanceHooks) {
    this.spec = spec;
    this.#hooks = hooks;
    this.#config = new Map(Object.entries(spec.config).map(([k, v]) => [k, encoder.encode(v)]));
    this.#wasiLog = new WasiLog((level, message) => hooks.log(level, message));
  }

  /**
   * Instantiates the module on the fast kernel. Throws a `WebAssembly.LinkError` when a kernel
   * import's signature differs from Extism's (the caller then uses the SDK path).
   */
  static create(spec: WorkerTransformSpec, hooks: InstanceHooks): FastInstance {
    const instance = new FastInstance(spec, hooks);
    instance.#live = instance.#instantiate();
    return instance;
  }

  #instantiate(): Live {
    this.#vars.clear();
    const fail = (code: number, a: bigint, b: bigint): never => {
      throw new Error(this.#failMessage(code, a, b, kernel));
    };
    const kernel = new WebAssembly.Instance(kernelModule(this.spec.memoryBytes), { host: { fail } }).exports as unknown as KernelExports;
    const env: Record<string, unknown> = this.#hostFunctions(kernel);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- wasm exports are plain functions, no `this`
    for (const name of KERNEL_MEMORY_FUNCTIONS) env[name] = kernel[name];
    const imports: Record<string, Record<string, unknown>> = { [EXTISM_ENV]: env };
    const wasi = WebAssembly.Module.imports(this.spec.module).some((imp) => imp.module === WASI_PREVIEW1);
    let memory: WebAssembly.Memory | null = null;
    if (wasi) {
      imports[WASI_PREVIEW1] = wasiImports(() => memory!, this.#wasiLog);
    }
    const guest = new WebAssembly.Instance(this.spec.module, imports);
    const fn = guest.exports[this.spec.function];
    if (typeof fn !== 'function') throw new Error(`the module does not export a function named "${this.spec.function}"`);
    // What the SDK runs after instantiation: a WASI reactor's `_initialize`, then `hs_init`.
    if (wasi) {
      memory = guest.exports.memory as WebAssembly.Memory;
      const initialize = guest.exports._initialize;
      if (typeof initialize === 'function') this.#init(initialize as () => unknown, '_initialize');
    }
    const hsInit = guest.exports.hs_init;
    if (typeof hsInit === 'function') this.#init(hsInit as () => unknown, 'hs_init');
    return { kernel, fn: fn as () => unknown };
  }

  /** Runs an initialiser; a proc_exit in it fails the instantiation (as on the SDK path). */
  #init(init: () => unknown, name: string): void {
    try {
      init();
    } catch (err) {
      if (err instanceof WasiExit) throw new Error(`${name}: ${exitMessage(err.code)}`, { cause: err });
      throw err;
    } finally {
      this.#wasiLog.flush();
    }
  }

  #failMessage(code: number, a: bigint, b: bigint, kernel: KernelExports): string {
    switch (code) {
      case FAIL_ALLOC:
        return `host memory allocated by one call exceeds the memory cap of ${this.spec.memoryBytes} bytes`;
      case FAIL_GROW:
        return `kernel memory could not grow to ${a} bytes`;
      case FAIL_LOAD:
        return `load_u${Number(b) * 8}: address ${hex(a)} is outside the call's memory blocks`;
      case FAIL_STORE:
        return `store_u${Number(b) * 8}: address ${hex(a)} is outside the call's memory blocks`;
      case FAIL_INPUT:
        return `input_load_u${Number(b) * 8}: offset ${a} is outside the input (${kernel.in_len.value as number} bytes)`;
      case FAIL_OUTPUT_BLOCK:
        return `output_set: invalid memory block (addr=${hex(a)})`;
      case FAIL_OUTPUT_LENGTH:
        return `output_set: length ${a} is longer than its block (${b} bytes)`;
      case FAIL_ERROR_BLOCK:
        return `error_set: invalid memory block (addr=${hex(a)})`;
      default:
        return `kernel failure ${code}`;
    }
  }

  /** Block access on `kernel`'s memory for the JS host functions (cold paths: BigInt is fine). */
  #blocks(kernel: KernelExports): BlockIO {
    return {
      read(addr: bigint): Uint8Array | null {
        const top = kernel.top.value as number;
        if (addr < BigInt(FIRST_ADDRESS) || addr > BigInt(top)) return null;
        const at = Number(addr);
        if (at % 8 !== 0) return null;
        const view = new DataView(kernel.memory.buffer);
        const length = view.getUint32(at - 8, true);
        if (view.getUint32(at - 4, true) !== 0 || length > top - at) return null;
        return new Uint8Array(kernel.memory.buffer, at, length);
      },
      store(bytes: Uint8Array): bigint {
        const addr = kernel.alloc(BigInt(bytes.length));
        new Uint8Array(kernel.memory.buffer, Number(addr), bytes.length).set(bytes);
        return addr;
      },
    };
  }

  /** The kernel functions served in JS: config, variables, logs, HTTP. */
  #hostFunctions(kernel: KernelExports): Record<string, unknown> {
    const io = this.#blocks(kernel);
    const hooks = this.#hooks;
    const text = (addr: bigint): string | null => {
      const bytes = io.read(addr);
      return bytes === null ? null : decoder.decode(bytes);
    };
    const log = (level: LogLevel) => (addr: bigint) => {
      const line = text(addr);
      if (line === null) hooks.log('error', `failed to log(${level}): bad block reference in addr ${hex(addr)}`);
      else hooks.log(level, line);
    };
    const functions: Record<string, unknown> = {
      config_get: (keyAddr: bigint): bigint => {
        const key = text(keyAddr);
        const value = key === null ? undefined : this.#config.get(key);
        // An empty value is a zero-length block (the SDK 1.0.3 cannot store one).
        return value === undefined ? 0n : io.store(value);
      },
      var_get: (keyAddr: bigint): bigint => {
        const key = text(keyAddr);
        const value = key === null ? undefined : this.#vars.get(key);
        return value === undefined ? 0n : io.store(value);
      },
      var_set: (keyAddr: bigint, valueAddr: bigint): void => {
        const key = text(keyAddr);
        if (key === null) return;
        this.#vars.set(key, valueAddr === 0n ? null : (io.read(valueAddr)?.slice() ?? null));
      },
      log_debug: log('debug'),
      log_info: log('info'),
      log_warn: log('warn'),
      log_error: log('error'),
      log_trace: (addr: bigint): void => {
        const line = text(addr);
        if (line !== null) hooks.log('debug', line);
      },
      get_log_level: (): number => GUEST_LOG_LEVEL,
    };
    const http = hooks.http;
    if (http) {
      functions.http_request = (request: bigint, body: bigint): bigint => http.request(io, request, body);
      functions.http_status_code = (): number => http.statusCode();
      functions.http_headers = (): bigint => {
        const headers = http.headers();
        return headers === null ? 0n : io.store(headers);
      };
    } else {
      // What the SDK answers when HTTP is not enabled.
      functions.http_request = (): bigint => {
        hooks.log('error', 'http_request is not enabled');
        return 0n;
      };
      functions.http_status_code = (): number => {
        hooks.log('error', 'http_status_code is not enabled');
        return 0;
      };
      // Extism answers 0 unless response headers are enabled: here, unless hosts are allowed.
      functions.http_headers = (): bigint => 0n;
    }
    return functions;
  }

  call(input: Uint8Array): Uint8Array | null {
    if (this.#active) throw new Error('FastInstance.call is not reentrant');
    this.#active = true;
    try {
      // Recreated after a trap (the previous instance may be inconsistent).
      this.#live ??= this.#instantiate();
      const { kernel, fn } = this.#live;
      let at: number;
      try {
        // Fresh kernel memory for every call, the input copied into its own block. An input
        // above the memory cap fails here, before the module runs: the instance stays.
        at = kernel.begin(input.length);
      } catch (err) {
        throw new CallError(failureMessage(err), false);
      }
      try {
        new Uint8Array(kernel.memory.buffer, at, input.length).set(input);
        fn();
      } catch (err) {
        this.#live = null;
        if (!(err instanceof WasiExit)) throw new CallError(failureMessage(err), false);
        // proc_exit: 0 is a success with what the module set so far (Extism's runtime).
        if (err.code !== 0) throw new CallError(exitMessage(err.code), true);
      } finally {
        this.#wasiLog.flush();
      }
      const errAddr = kernel.err_addr.value as number;
      if (errAddr !== 0) {
        const bytes = this.#blocks(kernel).read(BigInt(errAddr));
        throw new CallError(truncate(bytes === null ? 'the module set an unreadable error' : decoder.decode(bytes)), true);
      }
      const outAddr = kernel.out_addr.value as number;
      if (outAddr === 0) return null;
      return new Uint8Array(kernel.memory.buffer, outAddr, kernel.out_len.value as number);
    } finally {
      this.#active = false;
    }
  }

  async close(): Promise<void> {
    this.#live = null;
  }
}
