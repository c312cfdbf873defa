/**
 * `buildTimeline`: from a subject to the TimelineData the text output and the HTML report
 * draw — the subject's records (select.ts), grouped into lanes (structure.ts, lanes.ts),
 * folded (fold.ts), with the window's watch gaps.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Gap, ReadStats, Subject, TimeWindow, TimelineData } from '../types.js';
import { fold, topReasons } from './fold.js';
import { iso, layOut } from './lanes.js';
import { objectRows, podRows, podSummaries, stageRows, watchGaps } from './select.js';
import type { MarkerRow, TimelineRow } from './select.js';
import { objectQuery, structureOf } from './structure.js';
import type { Structure } from './structure.js';
import { subjectTitle } from './subject.js';

/** What buildTimeline reads: the engine's `events` view and its read counts (an EventsDb). */
export interface TimelineDb {
  connection: DuckDBConnection;
  stats: ReadStats;
}

/** Where the records came from, for the header and the "nothing found" message. */
export interface TimelineMeta {
  window: TimeWindow;
  /** The archive as the session describes it (`/abs/out`, `s3://bucket/prefix`). */
  archive: string;
  clusters: string[];
  /** Partitions listed. */
  partitions: string[];
  /** What the archive part listed and fetched. */
  fetched: { objectsListed: number; objectsFetched: number; bytesFetched: number };
  /** The subject as written on the command line; @default subjectTitle(subject) */
  title?: string;
  /** @default new Date() */
  now?: Date;
}

export async function buildTimeline(db: TimelineDb, subject: Subject, meta: TimelineMeta, prefetched?: string): Promise<TimelineData> {
  const rows = await stageRows(db.connection, subject, prefetched);
  let pods: TimelineRow[];
  let objects: TimelineRow[];
  let markers: MarkerRow[];
  let structure: Structure;
  try {
    structure = structureOf(subject, await podSummaries(rows));
    pods = await podRows(rows);
    objects = await objectRows(rows, objectQuery(structure));
    markers = await watchGaps(rows);
  } finally {
    await rows.drop();
  }
  const { lanes, events } = layOut(structure, [...pods, ...objects]);
  const gaps: Gap[] = markers.map((m) => ({ from: iso(m.previousMs ?? meta.window.fromMs), to: iso(m.timeMs), message: m.message }));
  return {
    subject,
    title: meta.title ?? subjectTitle(subject),
    window: { from: iso(meta.window.fromMs), to: iso(meta.window.toMs) },
    archive: meta.archive,
    clusters: meta.clusters,
    lanes,
    events,
    folded: fold(
      events,
      lanes.map((l) => l.key),
    ),
    gaps,
    topReasons: topReasons(events),
    warnings: events.filter((e) => e.type === 'Warning').length,
    stats: { ...db.stats, partitions: meta.partitions, ...meta.fetched },
    generatedAt: (meta.now ?? new Date()).toISOString(),
  };
}
