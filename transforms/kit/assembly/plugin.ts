/**
 * The Extism side of a k8stream transform: read the input, write the output, report errors.
 *
 * A transform export returns a status code: `0` after {@link replace}, {@link fanOut},
 * {@link keep}, {@link drop} or {@link output}; `1` after {@link fail}. The host treats empty
 * output as a drop, a JSON object as a replacement, a JSON array as a fan-out, and an error set
 * through Extism's error channel (what `fail` does) as a failure handled by the transform's
 * `onError` policy. A drop is never an error.
 */
import { Host, Memory } from "@extism/as-pdk";
import { error_set, input_length, output_set } from "@extism/as-pdk/lib/env";
import { JSON } from "json-as";
import { EventRecord, RECORD_SCHEMA } from "./record";

/** Status returned by a transform export after a success (replace, fan-out, keep, drop). */
export const OK: i32 = 0;
/** Status returned by a transform export after {@link fail}. */
export const FAILED: i32 = 1;

// Kernel address of the input block (Extism kernel; the AssemblyScript PDK does not bind it).
@external("extism:host/env", "input_offset")
declare function input_offset(): u64;

/** The raw input of the current call (UTF-8 bytes). */
export function readInputBytes(): Uint8Array {
  return Host.input();
}

/** The input of the current call as a string (one `k8stream.event/v1` record as JSON). */
export function readInput(): string {
  return String.UTF8.decode(readInputBytes().buffer);
}

/**
 * Reads and decodes the record of the current call. Input that is not a JSON object or carries
 * another `schema` makes the call fail (the error is set, then the call traps).
 */
export function readRecord(): EventRecord {
  const text = readInput();
  const rec = parseRecord(text);
  if (rec === null) abortWith(lastParseError);
  return rec!;
}

let lastParseError = "";

/**
 * Decodes one record from JSON text. Returns null when the text is not a JSON object or its
 * `schema` is not `k8stream.event/v1` (the reason is in the `fail`-ready message of
 * {@link parseRecordError}).
 */
export function parseRecord(text: string): EventRecord | null {
  let i = 0;
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
  if (i >= text.length || text.charCodeAt(i) != 0x7b) {
    lastParseError = "input is not a JSON object (expected one k8stream.event/v1 record)";
    return null;
  }
  const rec = JSON.parse<EventRecord>(text);
  if (rec.schema != RECORD_SCHEMA) {
    lastParseError = 'input record has schema "' + rec.schema + '", expected "' + RECORD_SCHEMA + '"';
    return null;
  }
  return rec;
}

/** Why the last {@link parseRecord} returned null. */
export function parseRecordError(): string {
  return lastParseError;
}

function isJsonSpace(c: i32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

/** Writes `json` (a JSON object or array) as the output of the call. Returns {@link OK}. */
export function output(json: string): i32 {
  Host.output(Uint8Array.wrap(String.UTF8.encode(json)));
  return OK;
}

/** Replaces the event with `rec`. Returns {@link OK}. */
export function replace(rec: EventRecord): i32 {
  return output(JSON.stringify<EventRecord>(rec));
}

/** Replaces the event with zero or more records (an empty list drops it). Returns {@link OK}. */
export function fanOut(recs: EventRecord[]): i32 {
  if (recs.length == 0) return drop();
  return output(JSON.stringify<EventRecord[]>(recs));
}

/**
 * Passes the event on unchanged: the output is the input block itself (no copy, no re-encoding,
 * so fields this kit version does not know survive). Returns {@link OK}.
 */
export function keep(): i32 {
  output_set(input_offset(), input_length());
  return OK;
}

/** Drops the event: success with empty output. Returns {@link OK}. */
export function drop(): i32 {
  return OK;
}

/**
 * Fails the call with `message` through Extism's error channel; the host applies the
 * transform's `onError` policy. Returns {@link FAILED}: `return fail("...")`.
 */
export function fail(message: string): i32 {
  setError(message);
  return FAILED;
}

function setError(message: string): void {
  const mem = Memory.allocateString(message);
  error_set(mem.offset);
}

/** Sets the error and traps: for failures deep inside code that cannot return a status. */
export function abortWith(message: string): void {
  setError(message);
  unreachable();
}

let aborting = false;

/**
 * The `abort` every kit-built module uses (`--use abort=…` in the kit's asconfig): sets the
 * Extism error to the abort message and location, then traps. AssemblyScript calls it for
 * `throw`, failed assertions, out-of-bounds access and invalid JSON.
 */
export function kitAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  // Building the message allocates; if the allocator itself is what aborted, do not recurse.
  if (aborting) unreachable();
  aborting = true;
  let text = "transform aborted";
  if (message !== null) text += ": " + message;
  if (fileName !== null) text += " (" + fileName + ":" + line.toString() + ":" + column.toString() + ")";
  setError(text);
  aborting = false;
  unreachable();
}
