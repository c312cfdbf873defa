/**
 * What the main thread and a transform worker exchange.
 *
 * Records go to a worker in messages of up to ~100 (one `run` message: their UTF-8 JSON
 * concatenated in one transferred buffer). Results come back through a per-worker
 * `SharedArrayBuffer` rather than a message, so they survive the worker being terminated:
 * when the watchdog kills a worker stuck in a call, the results of the records it already
 * finished are still there, only the stuck record is marked timed out, and the rest of the
 * message is sent to the replacement worker.
 *
 * Control buffer layout (the first {@link RESULTS_OFFSET} bytes):
 * - Int32 {@link I_ITEM}: index (in the current message) of the record whose call is running;
 *   -1 between calls.
 * - Int32 {@link I_STAGE}: transform index of the running call.
 * - Int32 {@link I_DONE}: records of the current message whose results are written.
 * - Int32 {@link I_BYTES}: bytes of results written after {@link RESULTS_OFFSET}.
 * - Float64 {@link F_START}: start of the running call, ms since the Unix epoch.
 * - Float64 {@link F_MICROS}: µs spent in calls for the current message.
 *
 * This module must stay loadable by Node's type stripping (the worker imports it when run
 * from sources): no enums, namespaces or parameter properties.
 */

export const I_ITEM = 0;
export const I_STAGE = 1;
export const I_DONE = 2;
export const I_BYTES = 3;
/** Float64 index (byte 32). */
export const F_START = 4;
/** Float64 index (byte 40). */
export const F_MICROS = 5;
/** Where results start in the control buffer. */
export const RESULTS_OFFSET = 64;

/** Initial size of a worker's control buffer. @default 1 MiB */
export const CONTROL_INITIAL_BYTES = 1024 * 1024;

/** One transform of the chain, as a worker instantiates it. */
export interface WorkerTransformSpec {
  name: string;
  /** Compiled on the main thread (memory already capped); instantiated in the worker. */
  module: WebAssembly.Module;
  /** Exported function to call. */
  function: string;
  /** Extism plugin config: every value a string. */
  config: Record<string, string>;
  /** Cap for host memory blocks the module allocates through the kernel, in bytes. */
  memoryBytes: number;
  /** Enable WASI (the module imports it, or paths are allowed). */
  wasi: boolean;
  /** WASI preopens: guest path → absolute host path. */
  allowedPaths: Record<string, string>;
  /** Hosts `http_request` may reach; empty = no network. */
  allowedHosts: string[];
}

/** `workerData` of a transform worker. */
export interface WorkerInit {
  transforms: WorkerTransformSpec[];
  /** Growable SharedArrayBuffer with the layout above. */
  control: SharedArrayBuffer;
}

/** Main → worker: run one transform over a message of records. */
export interface RunMessage {
  type: 'run';
  /** Transform index in the chain. */
  stage: number;
  /** The records' UTF-8 JSON, concatenated. */
  data: Uint8Array;
  /** `offsets[i]..offsets[i+1]` is record i in `data`; length = records + 1. */
  offsets: Uint32Array;
  /** Records in the message. */
  count: number;
}

export type ToWorker = RunMessage;

/** Worker → main messages. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-failed'; transform: string; message: string }
  /** The message's results are in the control buffer; `partial` when the buffer filled up first. */
  | { type: 'done'; partial: boolean }
  | { type: 'log'; transform: string; level: 'debug' | 'info' | 'warn' | 'error'; message: string };

/** Error codes a worker can report for one record. */
export const RESULT_ERROR_CODES = ['TRANSFORM_TRAP', 'TRANSFORM_ERROR', 'TRANSFORM_OUTPUT_INVALID', 'TRANSFORM_TIMEOUT'] as const;
export type ResultErrorCode = (typeof RESULT_ERROR_CODES)[number];

/** What one call did to one record, as the worker reports it (validated on the main thread). */
export type ItemResult =
  /** The module's output bytes (never empty). */
  | { kind: 'output'; bytes: Uint8Array }
  /** No output, or zero bytes. */
  | { kind: 'drop' }
  | { kind: 'error'; code: ResultErrorCode; message: string };

const KIND_OUTPUT = 0;
const KIND_DROP = 1;
const KIND_ERROR = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Upper bound of the bytes {@link writeResult} needs for `result`. */
export function resultSizeBound(result: ItemResult): number {
  if (result.kind === 'drop') return 1;
  if (result.kind === 'error') return 1 + 1 + 4 + result.message.length * 3;
  return 1 + 4 + result.bytes.length;
}

/**
 * Writes `result` at `at` in `bytes` (which must have {@link resultSizeBound} bytes free) and
 * returns the offset after it.
 */
export function writeResult(bytes: Uint8Array, view: DataView, at: number, result: ItemResult): number {
  let p = at;
  if (result.kind === 'drop') {
    bytes[p++] = KIND_DROP;
    return p;
  }
  if (result.kind === 'error') {
    bytes[p++] = KIND_ERROR;
    bytes[p++] = RESULT_ERROR_CODES.indexOf(result.code);
    const { written } = encoder.encodeInto(result.message, bytes.subarray(p + 4));
    view.setUint32(p, written, true);
    return p + 4 + written;
  }
  bytes[p++] = KIND_OUTPUT;
  view.setUint32(p, result.bytes.length, true);
  bytes.set(result.bytes, p + 4);
  return p + 4 + result.bytes.length;
}

/** Reads `count` results starting at `at`; output bytes are copied out (the buffer is reused). */
export function readResults(bytes: Uint8Array, view: DataView, at: number, count: number): ItemResult[] {
  const results: ItemResult[] = [];
  let p = at;
  for (let i = 0; i < count; i++) {
    const kind = bytes[p++];
    if (kind === KIND_DROP) {
      results.push({ kind: 'drop' });
    } else if (kind === KIND_ERROR) {
      const code = RESULT_ERROR_CODES[bytes[p++]!] ?? 'TRANSFORM_TRAP';
      const len = view.getUint32(p, true);
      const message = decoder.decode(bytes.slice(p + 4, p + 4 + len));
      p += 4 + len;
      results.push({ kind: 'error', code, message });
    } else if (kind === KIND_OUTPUT) {
      const len = view.getUint32(p, true);
      results.push({ kind: 'output', bytes: bytes.slice(p + 4, p + 4 + len) });
      p += 4 + len;
    } else {
      throw new Error(`corrupt transform result buffer: kind ${String(kind)} at byte ${p - 1}`);
    }
  }
  return results;
}

/** Packs records' JSON into one buffer plus offsets, ready for a {@link RunMessage}. */
export function packRecords(jsons: readonly Uint8Array[]): { data: Uint8Array; offsets: Uint32Array } {
  const offsets = new Uint32Array(jsons.length + 1);
  let total = 0;
  for (let i = 0; i < jsons.length; i++) {
    offsets[i] = total;
    total += jsons[i]!.length;
  }
  offsets[jsons.length] = total;
  const data = new Uint8Array(total);
  for (let i = 0; i < jsons.length; i++) data.set(jsons[i]!, offsets[i]!);
  return { data, offsets };
}

/** Milliseconds since the Unix epoch with sub-millisecond precision, comparable across threads. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
