/**
 * One archived batch object back into records: its extension names the encoding, and the body is
 * decoded by the dispatch module's own decoder (so every encoding the sinks write reads back).
 * Each entry is checked to be a `k8stream.event/v1` record with an id; others are returned as
 * problems naming the object key and the entry's index.
 */
import { decodeBody, decompressSync, encodingOf } from '../../dispatch/encode.js';
import { K8streamError, errorMessage } from '../../errors.js';
import { recordTimestamp } from '../../record/map.js';
import type { Compression } from '../../plugins/api.js';
import { RECORD_SCHEMA } from '../../record/types.js';
import type { EventRecord } from '../../record/types.js';

/** An entry that is no record this version of k8stream replays. */
export interface EntryProblem {
  index: number;
  input: unknown;
  message: string;
}

export interface DecodedObject {
  /** The object's records, in time order (stable: equal timestamps keep their archived order). */
  records: EventRecord[];
  problems: EntryProblem[];
}

/** Checks one decoded entry; null when it is a record to replay. */
function problemOf(entry: unknown): string | null {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return 'is not a JSON object';
  const r = entry as Record<string, unknown>;
  if (r['schema'] !== RECORD_SCHEMA) return `has schema ${JSON.stringify(r['schema'])}, not ${RECORD_SCHEMA} (an unknown schema version)`;
  if (typeof r['id'] !== 'string' || r['id'] === '') return 'has no id';
  return null;
}

/**
 * Decodes `body` (stored as `extension`). Throws a K8streamError `EVENT_INVALID` when the body as a
 * whole cannot be decoded (truncated compression, not NDJSON/JSON, an unreadable Parquet file).
 */
export async function decodeObject(body: Uint8Array, extension: string): Promise<DecodedObject> {
  const encoding = encodingOf(extension);
  const records: { record: EventRecord; at: number; index: number }[] = [];
  const problems: EntryProblem[] = [];
  let entries: unknown[];
  try {
    entries = await decodeBody(body, encoding);
  } catch (err) {
    // NDJSON that decompresses but has bad lines: keep the good lines, reject the others.
    if (encoding.format !== 'ndjson') throw err;
    entries = ndjsonLines(body, encoding.compression, err, problems);
  }
  entries.forEach((entry, index) => {
    if (entry === BAD_LINE) return;
    const problem = problemOf(entry);
    if (problem !== null) {
      problems.push({ index, input: entry, message: `record ${index} ${problem}` });
      return;
    }
    const record = entry as EventRecord;
    const ts = recordTimestamp(record);
    const at = ts === null ? Number.NaN : Date.parse(ts);
    records.push({ record, at, index });
  });
  // Records without a timestamp keep their place at the end of the object.
  records.sort((a, b) => (Number.isNaN(a.at) ? 1 : 0) - (Number.isNaN(b.at) ? 1 : 0) || a.at - b.at || a.index - b.index);
  return { records: records.map((r) => r.record), problems };
}

const BAD_LINE = Symbol('bad line');

/** The entries of an NDJSON body line by line; a line that is no JSON becomes a problem (and a BAD_LINE placeholder). */
function ndjsonLines(body: Uint8Array, compression: Compression, failure: unknown, problems: EntryProblem[]): unknown[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(decompressSync(body, compression));
  } catch {
    throw failure;
  }
  const entries: unknown[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      entries.push(JSON.parse(line));
    } catch (err) {
      problems.push({ index: entries.length, input: line, message: `record ${entries.length} is not JSON: ${errorMessage(err)}` });
      entries.push(BAD_LINE);
    }
  }
  if (entries.length > 0 && entries.every((e) => e === BAD_LINE)) {
    throw new K8streamError('EVENT_INVALID', 'cannot parse ndjson body: no line is JSON', { cause: failure });
  }
  return entries;
}

/** The message of a body that cannot be decoded, with its cause. */
export function decodeFailure(err: unknown): string {
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause !== undefined ? `${errorMessage(err)}: ${errorMessage(cause)}` : errorMessage(err);
}
