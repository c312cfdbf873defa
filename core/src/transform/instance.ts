/**
 * One transform instantiated in a worker. {@link createInstance} picks the kernel: the wasm fast
 * kernel (fast-instance.ts) when the module needs nothing else, else the SDK path below.
 *
 * The SDK path: an `@extism/extism` 1.0.3 plugin created from the
 * compiled module, with the SDK's known defects worked around (FACTS.md):
 * - every call fails after ~16k calls (block indices reach 2^15 and the i64 address turns
 *   negative): the instance is `reset()` before every call, as Extism's own runtime does;
 * - a config value that is the empty string makes `config_get` throw: `config_get` is served
 *   here, an empty value as a zero-length block;
 * - a pooled Node `Buffer` input would expose its whole backing store: inputs are copied into
 *   an exact, fresh `ArrayBuffer` unless they already are one;
 * - the whole output block is returned even when `output_set` named a shorter length: the
 *   output is tracked here and cut to that length;
 * - the SDK's memory option bounds nothing: linear memory is capped in the module binary
 *   (see wasm-memory.ts) and host blocks allocated through the kernel's `alloc` are counted
 *   against the same cap here.
 * Variables (`var_get`/`var_set`) are kept here, so they survive the resets.
 * Kernel functions the SDK lacks are served here too (`log_trace`, `get_log_level`,
 * `http_headers`), and so is the error channel (`error_set`), so that a WASI `proc_exit` —
 * which the SDK turns into a rejected call, even with code 0 — follows Extism's runtime:
 * code 0 is a success with the output set so far, another code a failed call ("the module
 * exited with code N"); the plugin is recreated before the next call either way.
 *
 * The kernel's hot paths (`input_load_*`, `load_*`, `store_*`) are served with cached views,
 * which saves about a third of a call on a 1.2 KB record. The guest sees exactly the standard
 * Extism kernel imports. Must stay loadable by Node's type stripping.
 */
import type { CallContext, ExtismPluginOptions, Plugin } from '@extism/extism';
import { GUEST_LOG_LEVEL, WASI_PREVIEW1 } from './abi.js';
import { CallError, GuestVars, failureMessage, truncate } from './host-api.js';
import type { BlockIO, InstanceHooks, LogLevel, TransformInstance } from './host-api.js';
import { FastInstance, fastPathBlocker } from './fast-instance.js';
import type { KernelKind } from './host-api.js';
import type { WorkerTransformSpec } from './protocol.js';
import { WasiExit, exitMessage } from './wasi.js';

export { CallError } from './host-api.js';
export type { HttpRequestImpl, InstanceHooks, LogLevel, TransformInstance } from './host-api.js';

type KernelFunctions = NonNullable<ExtismPluginOptions['functions']>[string];

/** The bytes behind an SDK output view (a `DataView` over the block's own buffer). */
function blockBuffer(output: object): ArrayBuffer {
  return (output as DataView).buffer as ArrayBuffer;
}

type CreatePlugin = (manifest: { wasm: { module: WebAssembly.Module }[] }, opts: ExtismPluginOptions) => Promise<Plugin>;

let createPluginPromise: Promise<CreatePlugin> | undefined;

/**
 * Imports the SDK once, without the ExperimentalWarning about WASI that Node prints when the
 * SDK loads `node:wasi` (printed even with WASI off).
 */
function loadSdk(): Promise<CreatePlugin> {
  createPluginPromise ??= (async () => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with .call(process, ...)
    const original = process.emitWarning;
    process.emitWarning = function filtered(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
      const text = typeof warning === 'string' ? warning : warning.message;
      if (/WASI/.test(text)) return;
      (original as (...args: unknown[]) => void).call(process, warning, ...rest);
    };
    try {
      const sdk = await import('@extism/extism');
      return sdk.createPlugin;
    } finally {
      process.emitWarning = original;
    }
  })();
  return createPluginPromise;
}

const PLUGIN_ERROR_PREFIX = 'Plugin-originated error: ';

/** State shared between the kernel overrides and the instance (mutated in place). */
interface KernelState {
  ctx: CallContext | null;
  input: Uint8Array;
  inputView: DataView;
  output: { addr: bigint; length: number } | null;
  /** The block `error_set` named in this call, if any. */
  error: bigint | null;
  /** Host bytes allocated during the current call. */
  callBytes: number;
  /** Views of the call's blocks, by block index. */
  views: (DataView | undefined)[];
  vars: GuestVars;
}

const EMPTY = new Uint8Array(0);

function newState(): KernelState {
  return { ctx: null, input: EMPTY, inputView: new DataView(EMPTY.buffer), output: null, error: null, callBytes: 0, views: [], vars: new GuestVars() };
}

/**
 * Block index and offset of an address (`index << 48 | offset`), read through a typed-array
 * scratch: about 4x cheaper than `Number(addr)` and no BigInt arithmetic.
 */
const scratch64 = new BigUint64Array(1);
const scratch32 = new Uint32Array(scratch64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
let splitIndex = 0;
let splitOffset = 0;
function split(addr: bigint): void {
  scratch64[0] = addr;
  const hi = scratch32[HI]!;
  splitIndex = hi >>> 16;
  splitOffset = scratch32[LO]! + (hi & 0xffff) * 0x1_0000_0000;
}

/** SDK access to the blocks of the call running in `ctx`, for `http_request`. */
function sdkBlocks(ctx: CallContext): BlockIO {
  return {
    read: (addr) => ctx.read(addr)?.bytes() ?? null,
    store: (bytes) => {
      if (bytes.length === 0) return ctx.alloc(0);
      // The SDK keeps the whole backing buffer of what it stores: hand it an exact one.
      const exact = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
      return ctx.store(exact);
    },
  };
}

/** A transform instance on the Extism JS SDK: one call at a time. */
export class SdkInstance implements TransformInstance {
  readonly kernel = 'sdk' as const;
  readonly spec: WorkerTransformSpec;
  readonly #hooks: InstanceHooks;
  #plugin: Plugin | null = null;
  /** The call target: the SDK names a manifest's only module "0". */
  readonly #target: [string, string];
  readonly #state: KernelState = newState();
  #active = false;

  private constructor(spec: WorkerTransformSpec, hooks: InstanceHooks) {
    this.spec = spec;
    this.#hooks = hooks;
    this.#target = ['0', spec.function];
  }

  /** Instantiates the module (running its `_initialize` if it has one). */
  static async create(spec: WorkerTransformSpec, hooks: InstanceHooks): Promise<SdkInstance> {
    const instance = new SdkInstance(spec, hooks);
    await instance.#instantiate();
    return instance;
  }

  async #instantiate(): Promise<void> {
    const createPlugin = await loadSdk();
    this.#state.vars.clear();
    const plugin = await createPlugin(
      { wasm: [{ module: this.spec.module }] },
      {
        useWasi: this.spec.wasi,
        allowedPaths: this.spec.allowedPaths,
        allowedHosts: [],
        enableWasiOutput: false,
        runInWorker: false,
        // Config is served by the config_get override below; the SDK never sees it.
        config: {},
        functions: {
          'extism:host/env': this.#kernel(),
          // Replaces node:wasi's proc_exit (which throws a bare symbol): the exit code is kept.
          ...(this.spec.wasi
            ? {
                [WASI_PREVIEW1]: {
                  proc_exit: (_ctx: CallContext, code: number) => {
                    throw new WasiExit(code >>> 0);
                  },
                },
              }
            : {}),
        },
        logger: this.#logger(),
      },
    );
    const exists = await plugin.functionExists(this.spec.function);
    if (!exists) {
      await plugin.close();
      throw new Error(`the module does not export a function named "${this.spec.function}"`);
    }
    this.#plugin = plugin;
  }

  #logger(): Console {
    const log =
      (level: LogLevel) =>
      (...args: unknown[]) =>
        this.#hooks.log(level, args.map(String).join(' '));
    return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } as unknown as Console;
  }

  /** The kernel functions served here instead of by the SDK. */
  #kernel(): KernelFunctions {
    const spec = this.spec;
    const st = this.#state;
    const track = (ctx: CallContext, addr: bigint): bigint => {
      st.ctx = ctx;
      return addr;
    };
    const charge = (n: number): void => {
      st.callBytes += n;
      if (st.callBytes > spec.memoryBytes) {
        throw new Error(`host memory allocated by one call exceeds the memory cap of ${spec.memoryBytes} bytes`);
      }
    };
    /** The view of `addr`'s block; leaves the offset in `splitOffset`. */
    const viewOf = (ctx: CallContext, addr: bigint): DataView => {
      split(addr);
      const index = splitIndex;
      let view = st.views[index];
      if (view === undefined) {
        const offset = splitOffset;
        const block = ctx.read(addr);
        if (block === null) throw new Error(`invalid memory block (index ${index})`);
        view = new DataView(blockBuffer(block));
        st.views[index] = view;
        splitOffset = offset;
      }
      return view;
    };
    const inputOffset = (addr: bigint): number => {
      split(addr);
      return splitOffset;
    };
    const textAt = (ctx: CallContext, addr: bigint): string | null => ctx.read(addr)?.text() ?? null;
    const kernel: KernelFunctions = {
      alloc: (ctx: CallContext, n: bigint) => {
        charge(Number(n));
        return track(ctx, ctx.alloc(n));
      },
      input_length: () => BigInt(st.input.length),
      input_load_u8: (_ctx: CallContext, addr: bigint) => st.inputView.getUint8(inputOffset(addr)),
      input_load_u64: (_ctx: CallContext, addr: bigint) => st.inputView.getBigUint64(inputOffset(addr), true),
      load_u8: (ctx: CallContext, addr: bigint) => viewOf(ctx, addr).getUint8(splitOffset),
      load_u64: (ctx: CallContext, addr: bigint) => viewOf(ctx, addr).getBigUint64(splitOffset, true),
      store_u8: (ctx: CallContext, addr: bigint, value: number) => viewOf(ctx, addr).setUint8(splitOffset, value),
      store_u64: (ctx: CallContext, addr: bigint, value: bigint) => viewOf(ctx, addr).setBigUint64(splitOffset, value, true),
      output_set: (ctx: CallContext, addr: bigint, length: bigint) => {
        st.ctx = ctx;
        const block = ctx.read(addr);
        if (block === null) throw new Error(`output_set: invalid memory block (addr=0x${addr.toString(16)})`);
        const n = Number(length);
        const size = blockBuffer(block).byteLength;
        if (n > size) throw new Error(`output_set: length ${n} is longer than its block (${size} bytes)`);
        st.output = { addr, length: n };
      },
      // The error channel is tracked here: the SDK loses it when a call unwinds (proc_exit).
      error_set: (ctx: CallContext, addr: bigint) => {
        st.ctx = ctx;
        if (addr === 0n) {
          st.error = null;
          return;
        }
        if (ctx.read(addr) === null) throw new Error(`error_set: invalid memory block (addr=0x${addr.toString(16)})`);
        st.error = addr;
      },
      config_get: (ctx: CallContext, keyAddr: bigint) => {
        const key = textAt(ctx, keyAddr);
        if (key === null || !Object.hasOwn(spec.config, key)) return 0n;
        const value = spec.config[key]!;
        const bytes = new TextEncoder().encode(value);
        charge(bytes.length);
        // The SDK cannot store an empty value: hand out a zero-length block instead.
        return track(ctx, bytes.length === 0 ? ctx.alloc(0) : ctx.store(bytes));
      },
      var_get: (ctx: CallContext, keyAddr: bigint) => {
        const key = textAt(ctx, keyAddr);
        const value = key === null ? undefined : st.vars.get(key);
        if (value === undefined) return 0n;
        charge(value.length);
        return track(ctx, value.length === 0 ? ctx.alloc(0) : ctx.store(value.slice()));
      },
      var_set: (ctx: CallContext, keyAddr: bigint, valueAddr: bigint) => {
        const key = textAt(ctx, keyAddr);
        if (key === null) return;
        st.vars.set(key, valueAddr === 0n ? null : (ctx.read(valueAddr)?.bytes().slice() ?? null));
      },
    };
    // Newer kernels' functions that SDK 1.0.3 lacks (see abi.ts).
    kernel.log_trace = (ctx: CallContext, addr: bigint) => {
      const text = textAt(ctx, addr);
      if (text !== null) this.#hooks.log('debug', text);
    };
    kernel.get_log_level = () => GUEST_LOG_LEVEL;
    // Extism answers 0 unless response headers are enabled: here, unless hosts are allowed.
    kernel.http_headers = () => 0n;
    if (this.#hooks.http) {
      const http = this.#hooks.http;
      kernel.http_request = (ctx: CallContext, request: bigint, body: bigint) => {
        const addr = http.request(sdkBlocks(ctx), request, body);
        charge(Number(ctx.length(addr)));
        return track(ctx, addr);
      };
      kernel.http_status_code = () => http.statusCode();
      kernel.http_headers = (ctx: CallContext) => {
        const headers = http.headers();
        if (headers === null) return 0n;
        charge(headers.length);
        return track(ctx, sdkBlocks(ctx).store(headers));
      };
    }
    return kernel;
  }

  /**
   * Calls the transform with one record's UTF-8 JSON. Resolves with the output (null when the
   * module set none); the bytes stay valid until the next call. Rejects with a
   * {@link CallError}; after a trap the instance is recreated before the next call.
   */
  async call(input: Uint8Array): Promise<Uint8Array | null> {
    if (this.#active) throw new Error('SdkInstance.call is not reentrant');
    this.#active = true;
    try {
      if (this.#plugin === null) await this.#instantiate();
      const plugin = this.#plugin!;
      const st = this.#state;
      // Like Extism's own runtime, every call starts with fresh kernel memory (variables are
      // kept here, not in the SDK). It also keeps block indices small: the SDK's addresses break
      // at index 2^15 (~16k calls without a reset), and small ones decode without BigInt math.
      await plugin.reset();
      st.views.length = 0;
      st.ctx = null;
      // The SDK stores the input's whole backing buffer: it must be exactly the input.
      const exact = input.byteOffset === 0 && input.buffer.byteLength === input.length && input.buffer instanceof ArrayBuffer ? input : input.slice();
      st.input = exact;
      st.inputView = new DataView(exact.buffer);
      st.output = null;
      st.error = null;
      st.callBytes = exact.length;
      try {
        // [module, function] form: the SDK then skips listing the module's exports on every call.
        await plugin.call(this.#target, exact);
      } catch (err) {
        if (err instanceof WasiExit) {
          await this.#discard();
          if (err.code !== 0) throw new CallError(exitMessage(err.code), true);
          // Exit code 0: a success with what the module set so far (Extism's runtime).
          return this.#result();
        }
        const message = err instanceof Error ? err.message : '';
        if (message.startsWith(PLUGIN_ERROR_PREFIX)) throw new CallError(truncate(message.slice(PLUGIN_ERROR_PREFIX.length)), true);
        // A trap or a failing host function: the instance may be inconsistent.
        await this.#discard();
        throw new CallError(failureMessage(err), false);
      }
      return this.#result();
    } finally {
      this.#active = false;
    }
  }

  /** The outcome of the call that just ended: the error channel, else the output. */
  #result(): Uint8Array | null {
    const st = this.#state;
    const ctx = st.ctx;
    if (ctx === null) return null;
    if (st.error !== null) {
      const text = ctx.read(st.error)?.text();
      throw new CallError(truncate(text ?? 'the module set an unreadable error'), true);
    }
    const out = st.output;
    if (out === null) return null;
    split(out.addr);
    const cached = st.views[splitIndex];
    const buffer = cached
      ? (cached.buffer as ArrayBuffer)
      : (() => {
          const block = ctx.read(out.addr);
          return block === null ? null : blockBuffer(block);
        })();
    return buffer === null ? null : new Uint8Array(buffer, 0, out.length);
  }

  async #discard(): Promise<void> {
    const plugin = this.#plugin;
    this.#plugin = null;
    if (plugin) await plugin.close().catch(() => {});
  }

  /** Releases the plugin (closes WASI file descriptors). */
  async close(): Promise<void> {
    await this.#discard();
  }
}

/** Environment variable that picks the kernel: `sdk` forces the SDK path, `fast` requires the fast one. */
export const KERNEL_ENV = 'K8STREAM_TRANSFORM_KERNEL';

export type KernelPreference = 'auto' | KernelKind;

/** The kernel preference from {@link KERNEL_ENV} (read when an instance is created). */
export function kernelPreference(): KernelPreference {
  const value = process.env[KERNEL_ENV]?.trim().toLowerCase();
  return value === 'sdk' || value === 'fast' ? value : 'auto';
}

/**
 * Instantiates `spec` on the fast kernel when it can serve the module (and the preference is
 * not `sdk`), else on the SDK. With `fast`, a module the fast kernel cannot serve is an error.
 */
export async function createInstance(spec: WorkerTransformSpec, hooks: InstanceHooks, preference: KernelPreference = kernelPreference()): Promise<TransformInstance> {
  if (preference !== 'sdk') {
    let blocker = fastPathBlocker(spec);
    if (blocker === null) {
      try {
        return FastInstance.create(spec, hooks);
      } catch (err) {
        // A kernel import declared with another signature than Extism's: the SDK's JS
        // functions accept it, a wasm function does not.
        if (!(err instanceof WebAssembly.LinkError)) throw err;
        blocker = `link error: ${err.message}`;
      }
    }
    if (preference === 'fast') throw new Error(`the fast kernel cannot serve this module: ${blocker}`);
    // Said once per loaded transform (by the first of its workers), naming the reason.
    const note = spec.kernelNote;
    if (note === undefined || Atomics.compareExchange(new Int32Array(note), 0, 0, 1) === 0) {
      hooks.log('info', `runs on the Extism SDK kernel: ${blocker}`);
    }
  }
  return SdkInstance.create(spec, hooks);
}
