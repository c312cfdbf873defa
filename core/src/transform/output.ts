/**
 * Host-side validation of what a transform returned (the ABI's output rules):
 * - nothing, or zero bytes: the record is dropped (a success, never an error);
 * - a JSON object: it replaces the record; it must carry non-empty `schema` and `id` strings;
 * - a JSON array of objects: fan-out, one record per element (an empty array drops); an
 *   element without an `id` gets `<input id>#<index>` (index from 0);
 * - anything else (bad UTF-8, bad JSON, another JSON value, an element that is not a record):
 *   an invalid output, handled by the transform's `onError` policy.
 *
 * Runs on the main thread, which needs the parsed records anyway: each output is parsed once.
 * (An output identical to the input never gets here: the worker reports it as unchanged.)
 */
import type { EventRecord } from '../record/types.js';
import { invalidUtf8Message } from './protocol.js';

/** One validated output record. `json` is the module's own JSON text when it returned one record. */
export interface ValidOutput {
  id: string;
  record: EventRecord;
  json: string | null;
}

export type Interpretation = { kind: 'ok'; fanout: boolean; outputs: ValidOutput[] } | { kind: 'drop' } | { kind: 'invalid'; message: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Why `value` is not a record (null when it is one). `needId`: an `id` string is required. */
function recordProblem(value: unknown, needId: boolean): string | null {
  if (!isObject(value)) return `${describeJson(value)} is not a record object`;
  if (typeof value.schema !== 'string' || value.schema === '') return 'a record needs a non-empty "schema" string';
  if (value.id === undefined) return needId ? 'a record needs an "id" string' : null;
  if (typeof value.id !== 'string' || value.id === '') return '"id" must be a non-empty string';
  return null;
}

/** Interprets a transform's output (its bytes) for the record `inputId`. */
export function interpretOutput(output: Uint8Array | null, inputId: string): Interpretation {
  if (output === null || output.length === 0) return { kind: 'drop' };
  let text: string;
  try {
    text = strictUtf8.decode(output);
  } catch {
    return { kind: 'invalid', message: invalidUtf8Message(output.length) };
  }
  return interpretText(text, output.length, inputId);
}

/**
 * Interprets a transform's output already decoded from valid UTF-8 (`bytes` long, not empty)
 * for the record `inputId`: the same rules as {@link interpretOutput}.
 */
export function interpretText(text: string, bytes: number, inputId: string): Interpretation {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', message: `output is not valid JSON (${bytes} bytes)` };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return { kind: 'drop' };
    const outputs: ValidOutput[] = [];
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      const problem = recordProblem(element, false);
      if (problem !== null) return { kind: 'invalid', message: `fan-out element ${i}: ${problem}` };
      const record = element as Record<string, unknown>;
      if (record.id === undefined) record.id = `${inputId}#${i}`;
      outputs.push({ id: record.id as string, record: record as unknown as EventRecord, json: null });
    }
    return { kind: 'ok', fanout: true, outputs };
  }
  const problem = recordProblem(value, true);
  if (problem !== null) {
    return { kind: 'invalid', message: isObject(value) ? `output ${problem}` : `output must be a JSON object or an array of objects, got ${describeJson(value)}` };
  }
  const record = value as EventRecord;
  return { kind: 'ok', fanout: false, outputs: [{ id: record.id, record, json: text }] };
}
