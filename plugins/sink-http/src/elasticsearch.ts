/** The Elasticsearch/OpenSearch `_bulk` body and the reading of its response. */
import { escapeLineSeparators } from '@k8stream/core';
import type { Batch } from '@k8stream/core';
import { renderIndex } from './index-template.js';
import { recordTime, stringField } from './record-fields.js';

/**
 * NDJSON `_bulk` body: an `index` action per record, `_id` = the record id (so a redelivered batch
 * overwrites its own documents instead of adding copies), then the record.
 */
export function buildBulkBody(batch: Batch<unknown>, indexTemplate: string): string {
  let out = '';
  for (const [i, record] of batch.records.entries()) {
    const index = renderIndex(indexTemplate, {
      cluster: stringField(record, 'cluster') || batch.cluster,
      namespace: stringField(record, 'namespace'),
      time: recordTime(record, batch.createdAt),
    });
    const id = stringField(record, 'id') || `${batch.id}-${i}`;
    out += `${escapeLineSeparators(JSON.stringify({ index: { _index: index, _id: id } }))}\n${escapeLineSeparators(JSON.stringify(record))}\n`;
  }
  return out;
}

/** What a `_bulk` response says about the batch. */
export type BulkOutcome =
  | { kind: 'ok' }
  /** Some items were rejected with 429 (queue full): retry the batch. */
  | { kind: 'throttled'; failed: number }
  /** Some items failed with 5xx: retry the batch. */
  | { kind: 'transient'; failed: number; reason: string }
  /** Some items failed with 4xx (mapping error, bad document): retrying will not help. */
  | { kind: 'permanent'; failed: number; reason: string };

interface BulkItemResult {
  status?: unknown;
  error?: unknown;
}

function errorReason(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const { type, reason } = error as { type?: unknown; reason?: unknown };
    return [type, reason]
      .filter((x) => typeof x === 'string')
      .join(': ')
      .slice(0, 300);
  }
  return typeof error === 'string' ? error.slice(0, 300) : 'unknown error';
}

/** Reads a 2xx `_bulk` response body: `errors: false` is success; otherwise the worst item decides. */
export function bulkOutcome(responseText: string): BulkOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(responseText);
  } catch {
    return { kind: 'ok' };
  }
  if (parsed === null || typeof parsed !== 'object' || (parsed as { errors?: unknown }).errors !== true) return { kind: 'ok' };
  const items = (parsed as { items?: unknown }).items;
  const results: BulkItemResult[] = Array.isArray(items)
    ? items.map((item) => (item !== null && typeof item === 'object' ? ((Object.values(item as object)[0] as BulkItemResult) ?? {}) : {}))
    : [];
  const failed = results.filter((r) => r.error !== undefined || (typeof r.status === 'number' && r.status >= 300));
  const status = (r: BulkItemResult) => (typeof r.status === 'number' ? r.status : 0);
  if (failed.some((r) => status(r) === 429)) return { kind: 'throttled', failed: failed.length };
  const first = failed.find((r) => status(r) >= 500 || status(r) === 0);
  const permanent = failed.find((r) => status(r) >= 300 && status(r) < 500);
  if (permanent !== undefined) return { kind: 'permanent', failed: failed.length, reason: `${status(permanent)} ${errorReason(permanent.error)}` };
  return { kind: 'transient', failed: failed.length, reason: first ? `${status(first)} ${errorReason(first.error)}` : 'errors: true without item details' };
}
