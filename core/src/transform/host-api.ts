/**
 * What both kernel paths share: the instance contract the worker calls, the hooks it passes
 * in, the call error, and the narrow block interface `http_request` needs (so http.ts serves
 * the SDK path and the fast kernel alike).
 *
 * Must stay loadable by Node's type stripping (the worker imports it).
 */

/** Total bytes of variables a module may keep (Extism's default `max_var_bytes`). */
export const MAX_VAR_BYTES = 1024 * 1024;

/**
 * A module's variables (`var_get`/`var_set`), kept across calls and kernel resets: at most
 * {@link MAX_VAR_BYTES} in all. Both kernel paths keep them here.
 */
export class GuestVars {
  readonly #values = new Map<string, Uint8Array>();
  #bytes = 0;

  get(key: string): Uint8Array | undefined {
    return this.#values.get(key);
  }

  /** Replaces `key`'s value (null: deletes it); throws when the variables would exceed the limit. */
  set(key: string, value: Uint8Array | null): void {
    const old = this.#values.get(key);
    if (old !== undefined) {
      this.#bytes -= old.length;
      this.#values.delete(key);
    }
    if (value === null) return;
    if (this.#bytes + value.length > MAX_VAR_BYTES) throw new Error(`var_set: variables exceed ${MAX_VAR_BYTES} bytes`);
    this.#values.set(key, value);
    this.#bytes += value.length;
  }

  clear(): void {
    this.#values.clear();
    this.#bytes = 0;
  }
}

/** Longest error message kept from a module. */
const MAX_ERROR_CHARS = 4096;

export function truncate(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Reads and creates kernel memory blocks during a call. */
export interface BlockIO {
  /** The bytes of the block at `addr` (valid until the next allocation), or null. */
  read(addr: bigint): Uint8Array | null;
  /** Copies `bytes` into a new block (a zero-length one for no bytes); returns its address. */
  store(bytes: Uint8Array): bigint;
}

/** Signature of the kernel's `http_request`, served by the worker when hosts are allowed. */
export type HttpRequestImpl = (io: BlockIO, request: bigint, body: bigint) => bigint;

export interface InstanceHooks {
  /** Guest log lines (`log_info`...) and SDK complaints. */
  log(level: LogLevel, message: string): void;
  /**
   * Serves `http_request`/`http_status_code`/`http_headers` when the transform allows hosts.
   * `headers()`: the last response's headers as a JSON object (UTF-8), null before any.
   */
  http?: { request: HttpRequestImpl; statusCode: () => number; headers: () => Uint8Array | null };
}

/** Why a call failed. */
export class CallError extends Error {
  /** True when the module reported the error itself (Extism's error channel). */
  readonly fromModule: boolean;
  constructor(message: string, fromModule: boolean) {
    super(message);
    this.name = 'CallError';
    this.fromModule = fromModule;
  }
}

/** Which kernel serves an instance: the wasm fast kernel, or the Extism JS SDK. */
export type KernelKind = 'fast' | 'sdk';

/** A transform instance as the worker uses it: one call at a time. */
export interface TransformInstance {
  readonly kernel: KernelKind;
  /**
   * Calls the transform with one record's UTF-8 JSON. Returns the output (null when the module
   * set none); the bytes stay valid until the next call. Fails with a {@link CallError}. The
   * fast kernel answers synchronously; the SDK path returns a promise.
   */
  call(input: Uint8Array): Uint8Array | null | Promise<Uint8Array | null>;
  /** Releases the instance. */
  close(): Promise<void>;
}

/** Message of a failed call, from what the engine or a host function threw. */
export function failureMessage(err: unknown): string {
  // Node's WASI throws a symbol when the module calls proc_exit.
  const message = err instanceof Error ? err.message : typeof err === 'symbol' ? 'the module exited (WASI proc_exit)' : String(err);
  return truncate(err instanceof WebAssembly.RuntimeError ? `trap: ${message}` : message);
}
