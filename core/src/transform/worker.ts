/**
 * A transform worker thread: instantiates the whole chain once, then runs `run` messages — one
 * transform over up to `batchSize` records (read from the shared input buffer the message references),
 * one call at a time — writing each record's result into
 * the shared control buffer as soon as it is known, and publishing which record's call is
 * running and since when, so the main thread's watchdog can stop a call that overruns its
 * deadline by terminating this thread.
 *
 * Loaded by Node directly from `worker.ts` when the core runs from sources (type stripping),
 * so this file and its imports must avoid enums, namespaces and parameter properties.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CallError, createInstance } from './instance.js';
import type { InstanceHooks, LogLevel, TransformInstance } from './instance.js';
import { createHttpClient } from './http.js';
import { F_MICROS, F_START, I_BYTES, I_DONE, I_ITEM, I_STEP, RESULTS_OFFSET, epochMs, resultSizeBound, writeResult } from './protocol.js';
import type { FromWorker, ItemResult, RunMessage, WorkerInit } from './protocol.js';
import { globalGc, startIdleGc } from '../util/idle-gc.js';

const port = parentPort;
if (port === null) throw new Error('transform worker must run in a worker thread');

const init = workerData as WorkerInit;
const control = init.control;
const header = new Int32Array(control, 0, RESULTS_OFFSET / 4);
const floats = new Float64Array(control, 0, RESULTS_OFFSET / 8);
// Length-tracking views: they follow the buffer as it grows.
const resultBytes = new Uint8Array(control, RESULTS_OFFSET);
const resultView = new DataView(control, RESULTS_OFFSET);

const SAME: ItemResult = { kind: 'same' };
const DROP: ItemResult = { kind: 'drop' };

function post(message: FromWorker): void {
  port!.postMessage(message);
}

/** Largest result area this worker may use (the buffer's own limit). */
function maxResultBytes(): number {
  return control.maxByteLength - RESULTS_OFFSET;
}

/** Makes room for `need` more bytes after `used`; false when the buffer cannot grow enough. */
function ensureRoom(used: number, need: number): boolean {
  const required = RESULTS_OFFSET + used + need;
  if (required <= control.byteLength) return true;
  if (required > control.maxByteLength) return false;
  control.grow(Math.min(control.maxByteLength, Math.max(required, control.byteLength * 2)));
  return true;
}

async function start(): Promise<TransformInstance[]> {
  const instances: TransformInstance[] = [];
  for (const spec of init.transforms) {
    const hooks: InstanceHooks = {
      log: (level: LogLevel, message: string) => post({ type: 'log', transform: spec.name, level, message }),
    };
    if (spec.allowedHosts.length > 0) hooks.http = createHttpClient(spec.allowedHosts);
    try {
      instances.push(await createInstance(spec, hooks));
    } catch (err) {
      post({ type: 'init-failed', transform: spec.name, message: err instanceof Error ? err.message : String(err) });
      return [];
    }
  }
  return instances;
}

async function run(instances: TransformInstance[], message: RunMessage): Promise<void> {
  const instance = instances[message.step]!;
  const { data, offsets, count } = message;
  const sync = instance.kernel === 'fast';
  Atomics.store(header, I_DONE, 0);
  Atomics.store(header, I_BYTES, 0);
  floats[F_MICROS] = 0;
  let used = 0;
  for (let i = 0; i < count; i++) {
    // The fast kernel copies the input into its own memory; the SDK needs a fresh, exact
    // buffer (it exposes the input's whole backing buffer).
    const input = sync ? data.subarray(offsets[i], offsets[i + 1]) : data.slice(offsets[i], offsets[i + 1]);
    floats[F_START] = epochMs();
    Atomics.store(header, I_STEP, message.step);
    Atomics.store(header, I_ITEM, i);
    const t0 = performance.now();
    let result: ItemResult;
    try {
      // The fast kernel answers synchronously: no await (and no microtask) per record.
      const pending = instance.call(input);
      const output = pending instanceof Promise ? await pending : pending;
      if (output === null || output.length === 0) result = DROP;
      // Unchanged (a kept record): say so in one byte; the main thread then reuses the record
      // it sent instead of copying, decoding and parsing the same JSON back (and this thread
      // copies nothing). Compared here, off the main thread.
      else if (output.length === input.length && Buffer.compare(output, input) === 0) result = SAME;
      else result = { kind: 'output', bytes: output };
    } catch (err) {
      if (err instanceof CallError) {
        result = { kind: 'error', code: err.fromModule ? 'TRANSFORM_ERROR' : 'TRANSFORM_TRAP', message: err.message };
      } else {
        result = { kind: 'error', code: 'TRANSFORM_TRAP', message: err instanceof Error ? err.message : String(err) };
      }
    }
    floats[F_MICROS] = floats[F_MICROS] + (performance.now() - t0) * 1000;
    let need = resultSizeBound(result);
    if (need > maxResultBytes()) {
      result = { kind: 'error', code: 'TRANSFORM_OUTPUT_INVALID', message: `output too large (${need} bytes)` };
      need = resultSizeBound(result);
    }
    if (!ensureRoom(used, need)) {
      // The buffer is full: hand back what is done; the rest is sent again in a new message.
      Atomics.store(header, I_ITEM, -1);
      post({ type: 'done', partial: true });
      return;
    }
    used = writeResult(resultBytes, resultView, used, result);
    Atomics.store(header, I_BYTES, used);
    Atomics.store(header, I_DONE, i + 1);
    Atomics.store(header, I_ITEM, -1);
  }
  post({ type: 'done', partial: false });
}

// Where the process exposed gc (the binary does, util/expose-gc.ts): give memory back once idle.
const gc = globalGc();
const idle = gc === null ? null : startIdleGc({ gc });

const ready = start();
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: RunMessage) => {
  // Messages are handled strictly one after another: one call at a time per instance.
  queue = queue.then(async () => {
    await run(await ready, message);
    idle?.activity();
  });
});
void ready.then((instances) => {
  if (instances.length === init.transforms.length) post({ type: 'ready', kernels: instances.map((instance) => instance.kernel) });
});
