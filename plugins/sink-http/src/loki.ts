/** The Loki push body (`POST /loki/api/v1/push`, JSON form). */
import type { Batch } from '@k8stream/core';
import { recordTime, stringField } from './record-fields.js';

/** One Loki stream: its labels and `[nanosecond epoch string, line]` entries. */
export interface LokiStream {
  stream: Record<string, string>;
  values: [string, string][];
}

/** The Loki push request body. */
export interface LokiPush {
  streams: LokiStream[];
}

/** Labels of a record's stream: cluster, namespace, type, reason (empty values left out). */
export function lokiLabels(record: unknown, cluster: string): Record<string, string> {
  const labels: Record<string, string> = { cluster: stringField(record, 'cluster') || cluster };
  for (const key of ['namespace', 'type', 'reason'] as const) {
    const value = stringField(record, key);
    if (value !== '') labels[key] = value;
  }
  return labels;
}

/**
 * Groups the batch's records into streams by label set; each entry is the record as one JSON line,
 * stamped with its event time in nanoseconds. Entries are in time order within a stream.
 */
export function buildLokiPush(batch: Batch<unknown>): LokiPush {
  const streams = new Map<string, { labels: Record<string, string>; entries: { ns: bigint; line: string }[] }>();
  for (const record of batch.records) {
    const labels = lokiLabels(record, batch.cluster);
    const key = JSON.stringify(labels);
    let stream = streams.get(key);
    if (stream === undefined) {
      stream = { labels, entries: [] };
      streams.set(key, stream);
    }
    stream.entries.push({ ns: BigInt(recordTime(record, batch.createdAt)) * 1_000_000n, line: JSON.stringify(record) });
  }
  return {
    streams: [...streams.values()].map(({ labels, entries }) => ({
      stream: labels,
      values: entries
        .map((e, i) => ({ ...e, i }))
        .sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.i - b.i))
        .map((e): [string, string] => [e.ns.toString(), e.line]),
    })),
  };
}
