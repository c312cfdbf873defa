/**
 * What the main thread and a transform worker exchange.
 *
 * Records go to a worker in messages of up to `batchSize` (one `run` message: their UTF-8 JSON
 * written one after another into the worker's own growable input `SharedArrayBuffer`, which
 * the message references). The main thread writes the JSON text straight into that buffer
 * ({@link packRecordsInto}): no per-record byte array, no per-message allocation or transfer;
 * it only writes while the worker is idle (before a message, or after its `done`).
 * Results come back through a per-worker
 * `SharedArrayBuffer` rather than a message, so they survive the worker being terminated:
 * when the watchdog kills a worker stuck in a call, the results of the records it already
 * finished are still there, only the stuck record is marked timed out, and the rest of the
 * message is sent to the replacement worker.
 *
 * Control buffer layout (the first {@link RESULTS_OFFSET} bytes):
 * - Int32 {@link I_ITEM}: index (in the current message) of the record whose call is running;
 *   -1 between calls.
 * - Int32 {@link I_STEP}: chain step (transform index) of the running call.
 * - Int32 {@link I_DONE}: records of the current message whose results are written.
 * - Int32 {@link I_BYTES}: bytes of results written after {@link RESULTS_OFFSET}.
 * - Float64 {@link F_START}: start of the running call, ms since the Unix epoch.
 * - Float64 {@link F_MICROS}: µs spent in calls for the current message.
 *
 * This module must stay loadable by Node's type stripping (the worker imports it when run
 * from sources): no enums, namespaces or parameter properties.
 */

import type { KernelKind } from './host-api.js';

export const I_ITEM = 0;
export const I_STEP = 1;
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

/** Initial size of a worker's input buffer (a message of 250 ~1.2 KB records fits; it grows). */
export const INPUT_INITIAL_BYTES = 512 * 1024;

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
  /**
   * Shared by every worker of the transform (4 bytes): the first worker that falls back to the
   * SDK kernel says why, the others keep quiet. Without it, every instantiation says it.
   */
  kernelNote?: SharedArrayBuffer;
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
  /** Chain step: the transform's index in the chain. */
  step: number;
  /**
   * The records' UTF-8 JSON, concatenated: a view of the worker's shared input buffer, valid
   * until the worker answers `done` (the main thread then reuses the buffer).
   */
  data: Uint8Array;
  /** `offsets[i]..offsets[i+1]` is record i in `data`; length = records + 1. */
  offsets: Uint32Array;
  /** Records in the message. */
  count: number;
}

export type ToWorker = RunMessage;

/** Worker → main messages. */
export type FromWorker =
  /** The chain is instantiated; `kernels[i]` is the kernel serving chain step i (see README.md). */
  | { type: 'ready'; kernels: KernelKind[] }
  | { type: 'init-failed'; transform: string; message: string }
  /** The message's results are in the control buffer; `partial` when the buffer filled up first. */
  | { type: 'done'; partial: boolean }
  | { type: 'log'; transform: string; level: 'debug' | 'info' | 'warn' | 'error'; message: string };

/** Error codes a worker can report for one record. */
export const RESULT_ERROR_CODES = ['TRANSFORM_TRAP', 'TRANSFORM_ERROR', 'TRANSFORM_OUTPUT_INVALID', 'TRANSFORM_TIMEOUT'] as const;
export type ResultErrorCode = (typeof RESULT_ERROR_CODES)[number];

/** What one call did to one record, as the worker reports it (validated on the main thread). */
export type ItemResult =
  /** The module's output bytes (never empty), when they differ from its input. */
  | { kind: 'output'; bytes: Uint8Array }
  /**
   * The output is byte for byte the input (a filter keeping the record, a transform finding
   * nothing to change): the main thread keeps the record it sent, with no decoding or parsing.
   */
  | { kind: 'same' }
  /** No output, or zero bytes. */
  | { kind: 'drop' }
  | { kind: 'error'; code: ResultErrorCode; message: string };

/**
 * A result as the main thread reads it: an output comes as its text (valid UTF-8, decoded once
 * while copying it out of the shared buffer) and its size in bytes; an output that is not
 * valid UTF-8 comes as a `TRANSFORM_OUTPUT_INVALID` error.
 */
export type RunResult = { kind: 'output'; text: string; bytes: number } | { kind: 'same' } | { kind: 'drop' } | { kind: 'error'; code: ResultErrorCode; message: string };

const KIND_OUTPUT = 0;
const KIND_DROP = 1;
const KIND_ERROR = 2;
const KIND_SAME = 3;

/** Shared, immutable results: these kinds carry nothing, so one object each will do. */
const SAME: RunResult = Object.freeze({ kind: 'same' });
const DROP: RunResult = Object.freeze({ kind: 'drop' });

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Upper bound of the bytes {@link writeResult} needs for `result`. */
export function resultSizeBound(result: ItemResult): number {
  if (result.kind === 'drop' || result.kind === 'same') return 1;
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
  if (result.kind === 'same') {
    bytes[p++] = KIND_SAME;
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

/**
 * Reads `count` results starting at `at`. Outputs are decoded (strictly: invalid UTF-8 becomes
 * a `TRANSFORM_OUTPUT_INVALID` error) into strings, which copies them out of the buffer, so the
 * buffer can be reused as soon as this returns.
 */
export function readResults(bytes: Uint8Array, view: DataView, at: number, count: number): RunResult[] {
  const results: RunResult[] = [];
  let p = at;
  for (let i = 0; i < count; i++) {
    const kind = bytes[p++];
    if (kind === KIND_SAME) {
      results.push(SAME);
    } else if (kind === KIND_DROP) {
      results.push(DROP);
    } else if (kind === KIND_ERROR) {
      const code = RESULT_ERROR_CODES[bytes[p++]!] ?? 'TRANSFORM_TRAP';
      const len = view.getUint32(p, true);
      const message = decoder.decode(bytes.subarray(p + 4, p + 4 + len));
      p += 4 + len;
      results.push({ kind: 'error', code, message });
    } else if (kind === KIND_OUTPUT) {
      const len = view.getUint32(p, true);
      results.push(decodeOutput(bytes.subarray(p + 4, p + 4 + len)));
      p += 4 + len;
    } else {
      throw new Error(`corrupt transform result buffer: kind ${String(kind)} at byte ${p - 1}`);
    }
  }
  return results;
}

/** An output's text, or the error an output that is not UTF-8 is (the ABI's output rules). */
function decodeOutput(output: Uint8Array): RunResult {
  try {
    return { kind: 'output', text: strictUtf8.decode(output), bytes: output.length };
  } catch {
    return { kind: 'error', code: 'TRANSFORM_OUTPUT_INVALID', message: invalidUtf8Message(output.length) };
  }
}

/** The message of an output that is not valid UTF-8 (also used by `interpretOutput`). */
export function invalidUtf8Message(bytes: number): string {
  return `output is not valid UTF-8 (${bytes} bytes)`;
}

/** Where {@link packRecordsInto} put a message's records. */
export interface PackedRecords {
  /** The records' bytes: a view of the input buffer from byte 0. */
  data: Uint8Array;
  /** `offsets[i]..offsets[i+1]` is record i in `data`; length = count + 1. */
  offsets: Uint32Array;
  /** Records written (from `from`): fewer than asked when the buffer reached its limit. */
  count: number;
}

/**
 * Writes records' JSON text as UTF-8, `jsons[from]` first, one after another from byte 0 of
 * `input` (growing it up to its `maxByteLength` when needed) and stops after `max` records or
 * before the first one that no longer fits. `count` is 0 only when `jsons[from]` alone is
 * larger than the buffer can ever be.
 */
export function packRecordsInto(input: SharedArrayBuffer, jsons: readonly string[], from: number, max: number): PackedRecords {
  const end = Math.min(jsons.length, from + max);
  const offsets = new Uint32Array(end - from + 1);
  let target = Buffer.from(input, 0, input.byteLength);
  let at = 0;
  let i = from;
  for (; i < end; i++) {
    const json = jsons[i]!;
    // A UTF-8 byte per UTF-16 unit at best, three at worst: measure only when it may not fit.
    if (at + json.length * 3 > target.length) {
      const need = at + Buffer.byteLength(json);
      if (need > target.length) {
        if (need > input.maxByteLength) break;
        input.grow(Math.min(input.maxByteLength, Math.max(need, input.byteLength * 2)));
        target = Buffer.from(input, 0, input.byteLength);
      }
    }
    offsets[i - from] = at;
    at += target.write(json, at);
  }
  const count = i - from;
  offsets[count] = at;
  return { data: new Uint8Array(input, 0, at), offsets: count === end - from ? offsets : offsets.subarray(0, count + 1), count };
}

/** Milliseconds since the Unix epoch with sub-millisecond precision, comparable across threads. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
