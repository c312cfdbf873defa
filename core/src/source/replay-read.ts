/**
 * Reads a replay file into watch entries, in file order, one at a time (pull-driven).
 *
 * Accepted inputs, detected from the content (not the file name):
 * - a JSON document: a List (`kubectl get events -A -o json`, every item `ADDED`), an array of
 *   events or watch events, or one event;
 * - NDJSON: one JSON value per line — a watch event `{"type":"MODIFIED","object":{...}}`
 *   (`kubectl get --raw '/api/v1/events?watch=1'`), a bare event (`kubectl get events -w -o json`
 *   in compact form), or a whole List/array on one line.
 *
 * Detection: if the first non-empty line parses as JSON on its own, the file is NDJSON and is
 * streamed line by line (a huge file never sits in memory); otherwise the file is one JSON
 * document. Lines end at `\n` only (see `replay-lines.ts`).
 *
 * Entries that are not events come out as notices (see `SourceNotice`): `BOOKMARK`, `ERROR`
 * (with a warning) and entries that are valid JSON but no Event, which the pipeline dead-letters
 * (one foreign item must not stop a replay). Only input that is not JSON stops the read.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { K8streamError, errorMessage } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { jsonErrorReason, locateJsonError } from './replay-json.js';
import { splitLines } from './replay-lines.js';
import type { SourceNotice, WatchType } from './types.js';

/** One event read from a replay file. */
export interface ReplayEvent {
  kind: 'event';
  type: WatchType;
  object: Record<string, unknown>;
  /** 1-based NDJSON line the entry came from; null inside a (multi-line) JSON document. */
  line: number | null;
}

/** One entry of a replay file: an event, or a notice (bookmark, watch error, rejected entry). */
export type ReplayEntry = ReplayEvent | (SourceNotice & { line: number | null });

const WATCH_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/**
 * Streams the entries of `file` (an absolute path). Throws `SOURCE_INPUT_INVALID` naming the
 * file, line and column for content that is not JSON, or for a missing file; `SOURCE_FAILED`
 * when the file cannot be read. An entry that is JSON but no Event is a `rejected` notice whose
 * message names the file and the line (or item index inside a JSON document).
 */
export async function* readReplayEntries(file: string, logger: Logger): AsyncGenerator<ReplayEntry> {
  await checkReadable(file);
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = splitLines(input);
  const ctx = { file, logger };
  try {
    let mode: 'detect' | 'ndjson' | 'document' = 'detect';
    const document: string[] = [];
    let lineNo = 0;
    for await (const raw of lines) {
      lineNo++;
      const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (mode === 'document') {
        document.push(line);
        continue;
      }
      if (line.trim() === '') {
        if (mode === 'detect') document.push('');
        continue;
      }
      if (mode === 'detect') {
        mode = isCompleteJson(line) ? 'ndjson' : 'document';
        if (mode === 'document') {
          // Not one JSON value per line: the whole file is one document. The blank lines
          // kept so far make reported line numbers match the file.
          document.push(line);
          continue;
        }
      }
      yield* expand(parseLine(line, lineNo, ctx), lineNo, '', ctx);
    }
    if (mode === 'document') yield* expand(parseDocument(document.join('\n'), ctx), null, '', ctx);
  } catch (err) {
    if (err instanceof K8streamError) throw err;
    throw new K8streamError('SOURCE_FAILED', `cannot read replay file ${file}: ${errorMessage(err)}`, {
      path: file,
      cause: err,
    });
  } finally {
    await lines.return(undefined);
    input.destroy();
  }
}

interface ReadContext {
  file: string;
  logger: Logger;
}

/** True when `line` is a complete JSON object or array by itself (cheap bracket check first). */
function isCompleteJson(line: string): boolean {
  const t = line.trim();
  const first = t[0];
  const last = t[t.length - 1];
  if (!((first === '{' && last === '}') || (first === '[' && last === ']'))) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

function parseLine(line: string, lineNo: number, ctx: ReadContext): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    const col = locateJsonError(line)?.column;
    throw inputError(
      ctx.file,
      col === undefined ? `${lineNo}` : `${lineNo}:${col}`,
      `invalid JSON: ${jsonErrorReason(err)}`,
      'each line of an NDJSON file must be one complete JSON value',
    );
  }
}

function parseDocument(text: string, ctx: ReadContext): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const loc = locateJsonError(text);
    throw inputError(ctx.file, loc ? `${loc.line}:${loc.column}` : null, `invalid JSON: ${jsonErrorReason(err)}`);
  }
}

/** Turns one parsed value (List, array, watch event or event) into entries. */
function* expand(value: unknown, line: number | null, where: string, ctx: ReadContext): Generator<ReplayEntry> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield entry(value[i], line, `${where}[${i}]`, ctx);
    return;
  }
  if (isObj(value) && 'items' in value && isListLike(value)) {
    const items = value['items'];
    if (!Array.isArray(items)) {
      yield rejected(value, line, `${where}items is ${kindOf(items)}; expected an array of Events`, ctx);
      return;
    }
    const inherited = itemApiVersion(value);
    for (let i = 0; i < items.length; i++) yield eventEntry('ADDED', withApiVersion(items[i], inherited), line, `${where}items[${i}]`, ctx);
    return;
  }
  yield entry(value, line, where, ctx);
}

/** A watch event `{type, object}` or a bare event (ADDED). */
function entry(value: unknown, line: number | null, where: string, ctx: ReadContext): ReplayEntry {
  if (isObj(value) && typeof value['type'] === 'string' && WATCH_TYPES.has(value['type']) && 'object' in value) {
    const type = value['type'];
    if (type === 'BOOKMARK') return { kind: 'bookmark', line };
    if (type === 'ERROR') {
      ctx.logger.warn('replay: skipping a watch ERROR entry', { file: ctx.file, ...(line === null ? { at: where } : { line }) });
      return { kind: 'watch-error', line };
    }
    return eventEntry(type as WatchType, value['object'], line, `${where}.object`.replace(/^\./, ''), ctx);
  }
  return eventEntry('ADDED', value, line, where, ctx);
}

/** The event `value`, or a rejected entry saying why it is none. */
function eventEntry(type: WatchType, value: unknown, line: number | null, where: string, ctx: ReadContext): ReplayEntry {
  const at = where === '' ? '' : `${where}: `;
  if (!isObj(value)) {
    return rejected(value, line, `${at}expected a Kubernetes Event object, a watch event {type, object} or a List, got ${kindOf(value)}`, ctx);
  }
  const kind = value['kind'];
  if (typeof kind === 'string' && kind !== 'Event') {
    return rejected(value, line, `${at}expected kind Event, got kind ${kind}`, ctx);
  }
  return { kind: 'event', type, object: value, line };
}

/** A List-shaped object: kind `List` / `…List`, or no kind at all (`{"items": …}`). */
function isListLike(value: Record<string, unknown>): boolean {
  const kind = value['kind'];
  return kind === undefined || (typeof kind === 'string' && kind.endsWith('List'));
}

/**
 * The apiVersion a typed list (`EventList`, as the API server answers a list request) gives its
 * items, which carry none of their own there: an `events.k8s.io/v1beta1` list's items are
 * v1beta1 events. A generic `List` (kubectl's output) names only itself: null.
 */
function itemApiVersion(list: Record<string, unknown>): string | null {
  const { kind, apiVersion } = list;
  return typeof kind === 'string' && kind !== 'List' && typeof apiVersion === 'string' && apiVersion !== '' ? apiVersion : null;
}

/** `item` with `apiVersion` when it has none (a shallow copy; the input is not changed). */
function withApiVersion(item: unknown, apiVersion: string | null): unknown {
  if (apiVersion === null || !isObj(item) || item['apiVersion'] !== undefined) return item;
  return { apiVersion, ...item };
}

/** An entry that is JSON but no Event: dead-lettered by the pipeline, with `file[:line]: problem`. */
function rejected(input: unknown, line: number | null, problem: string, ctx: ReadContext): ReplayEntry {
  return { kind: 'rejected', input, error: { code: 'EVENT_INVALID', message: `${ctx.file}${line === null ? '' : `:${line}`}: ${problem}` }, line };
}

async function checkReadable(file: string): Promise<void> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw inputError(file, null, 'replay file is not a regular file');
  } catch (err) {
    if (err instanceof K8streamError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new K8streamError('SOURCE_INPUT_INVALID', `replay file not found: ${file}`, {
        path: file,
        hint: 'source.replay.file is resolved against the directory of the config file',
      });
    }
    throw new K8streamError('SOURCE_FAILED', `cannot read replay file ${file}: ${errorMessage(err)}`, { path: file, cause: err });
  }
}

/** `file:line[:column]: problem`, or `file: problem` when no line applies. */
function inputError(file: string, line: number | string | null, problem: string, hint?: string): K8streamError {
  return new K8streamError('SOURCE_INPUT_INVALID', `${file}${line === null ? '' : `:${line}`}: ${problem}`, {
    path: file,
    ...(hint ? { hint } : {}),
  });
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
