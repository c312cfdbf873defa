/**
 * The k8stream transform ABI, version 1. It is Extism's plugin ABI, nothing more:
 *
 * - A transform is an Extism plugin (any PDK: Rust, Go, AssemblyScript, C, Zig, JS, or raw
 *   WebAssembly against the kernel imports) exporting a function (`transform` unless the
 *   config names another) that takes no arguments and returns an i32.
 * - Input: one `k8stream.event/v1` record as UTF-8 JSON (Extism input).
 * - Output (Extism output): a JSON object replaces the record (it must keep `schema` and `id`
 *   strings); a JSON array of objects fans out (an element without `id` gets `<id>#<index>`);
 *   no output, or zero bytes, or `[]`, drops the record — a drop is a success.
 * - Errors: through Extism's error channel (`error_set`); a trap is an error too. The function's
 *   return code is not consulted (Extism's JS SDK ignores it).
 * - Config: the transform's `config` becomes the Extism plugin config, every value a string:
 *   strings as they are, numbers and booleans as text, objects and arrays JSON-encoded, null
 *   left out.
 * - Imports: only the Extism kernel (`extism:host/env`) and, when the module asks for it,
 *   WASI preview 1 without any directory unless `allowedPaths` grants some. `http_request`
 *   reaches only the hosts in `allowedHosts`. No k8stream-specific import exists.
 * - Limits: linear memory capped at `memoryMb`; each call has a `timeoutMs` deadline.
 *
 * Must stay loadable by Node's type stripping (the worker imports it).
 */

/** Version of the transform ABI described above. */
export const TRANSFORM_ABI_VERSION = 1;

/** Import module of the Extism kernel functions. */
export const EXTISM_ENV = 'extism:host/env';

/** Import module of WASI preview 1. */
export const WASI_PREVIEW1 = 'wasi_snapshot_preview1';

/**
 * The kernel's memory functions: the ones the fast path serves in WebAssembly (kernel-wasm.ts)
 * and links to the guest directly.
 */
export const KERNEL_MEMORY_FUNCTIONS = [
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
] as const;

/** Kernel functions served by the Extism JS SDK 1.0.3. */
export const SDK_KERNEL_FUNCTIONS: readonly string[] = [
  ...KERNEL_MEMORY_FUNCTIONS,
  'config_get',
  'var_get',
  'var_set',
  'http_request',
  'http_status_code',
  'log_debug',
  'log_info',
  'log_warn',
  'log_error',
];

/**
 * Kernel functions of newer Extism runtimes that SDK 1.0.3 lacks, served by k8stream so
 * modules built with newer PDKs link: `log_trace` (logged at debug), `get_log_level`, and
 * `http_headers` (the last `http_request`'s response headers as a JSON object; 0 unless the
 * transform allows hosts and a request was made — the Rust PDK ≥ 1.3 imports it in every
 * `http::request`).
 */
export const EXTRA_KERNEL_FUNCTIONS: readonly string[] = ['log_trace', 'get_log_level', 'http_headers'];

/** Every kernel function a transform may import. */
export const KERNEL_FUNCTIONS: ReadonlySet<string> = new Set([...SDK_KERNEL_FUNCTIONS, ...EXTRA_KERNEL_FUNCTIONS]);

/**
 * What `get_log_level` answers (Extism's numbering: trace 0, debug 1, info 2, warn 3,
 * error 4): guests skip building debug and trace lines.
 */
export const GUEST_LOG_LEVEL = 2;
