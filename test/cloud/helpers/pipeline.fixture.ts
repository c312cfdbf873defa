/**
 * Helpers for the cloud-sink pipeline tests: a replay file of realistic events, and one run
 * of the real runtime (`run`) with a single cloud sink and a file dead letter.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfig } from '../../../core/src/config/index.js';
import { run } from '../../../core/src/runtime.js';
import type { RunSummary } from '../../../core/src/runtime.js';
import { silentLogger } from '../../../core/src/util/logger.js';
import { benchEvent } from '../../bench/events.mjs';

/** The repository root: `use: s3` resolves from its node_modules. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The cluster name every run uses (the `cluster=` partition). */
export const CLUSTER = 'cloud-test';

/** What the replay file holds, as the pipeline's records will show it. */
export interface InputEvent {
  id: string;
  namespace: string;
  reason: string;
  type: string;
  lastTimestamp: string;
}

/** Base time of the events: 2026-11-27T12:00:00Z. */
export const BASE_MS = Date.UTC(2026, 10, 27, 12, 0, 0);

/**
 * Writes `n` watch events (NDJSON) to `dir/events.ndjson`. With `hours > 1` the events are
 * spread over that many consecutive hours in contiguous blocks (time only moves forward).
 */
export async function writeReplayFile(dir: string, n: number, hours = 1): Promise<{ file: string; events: InputEvent[] }> {
  const file = join(dir, 'events.ndjson');
  const lines: string[] = [];
  const events: InputEvent[] = [];
  const perHour = Math.ceil(n / hours);
  for (let i = 0; i < n; i++) {
    const block = Math.floor(i / perHour);
    const ev = benchEvent(i, BASE_MS + block * 3_600_000 - block * perHour * 10) as {
      metadata: { uid: string; resourceVersion: string; namespace: string };
      reason: string;
      type: string;
      lastTimestamp: string;
    };
    events.push({ id: `${ev.metadata.uid}:${ev.metadata.resourceVersion}`, namespace: ev.metadata.namespace, reason: ev.reason, type: ev.type, lastTimestamp: ev.lastTimestamp });
    lines.push(JSON.stringify({ type: 'ADDED', object: ev }));
  }
  await writeFile(file, lines.join('\n') + '\n');
  return { file, events };
}

/** One sink entry of the `.k8streamrc` (`use`, `config`, …). */
export type RawSink = Record<string, unknown>;

/**
 * Runs the real pipeline once over the replay file into `sink` (retries fast and unbounded,
 * dead letter to `dir/deadletter`) and returns its summary.
 */
export async function runReplay(dir: string, file: string, sink: RawSink): Promise<RunSummary> {
  const config = validateConfig({
    cluster: CLUSTER,
    source: { type: 'replay', replay: { file } },
    enrich: { objects: false, owners: false, nodes: false, services: false },
    sinks: [{ retry: { maxAttempts: null, initialBackoffMs: 1, maxBackoffMs: 20 }, timeoutMs: 20_000, ...sink }],
    deadLetter: { use: 'file', config: { dir: join(dir, 'deadletter') } },
    shutdown: { graceMs: 30_000 },
  });
  return run({ config, filepath: null, dir: REPO }, { logger: silentLogger, signal: new AbortController().signal });
}

/** Counts of `values`, as a plain object sorted by key. */
export function countBy<T>(values: readonly T[], key: (v: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const k = key(v);
    out[k] = (out[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
