/**
 * What a run reports when it ends: the pipeline counters, each sink's and the dead letter's
 * delivery stats and whether its stop flushed, and the resume state. A replica that never led
 * reports the standby summary.
 */
import { emptyDispatchStats } from '../dispatch/dispatcher.js';
import type { DispatchStats } from '../dispatch/types.js';
import type { Resume } from '../checkpoint/resume.js';
import type { ResumePoint } from '../checkpoint/position.js';
import { emptyPipelineCounters } from '../pipeline.js';
import type { PipelineCounters } from '../pipeline.js';
import type { SinkComponent } from './sinks.js';

export interface SinkSummary {
  name: string;
  destination: string;
  stats: DispatchStats;
  flushed: boolean;
  /** Undelivered events wait in a disk buffer for the next start (nothing is lost). */
  diskBuffered: boolean;
}

export interface RunSummary {
  counters: PipelineCounters;
  sinks: SinkSummary[];
  deadLetter: SinkSummary;
  /** With leader election: false when this replica stopped while on standby (it never streamed). */
  led: boolean;
  /** The resume state, when one is kept (`state.dir` or leader election). */
  resume: { store: string; from: ResumePoint; saved: ResumePoint | null; saveErrors: number } | null;
}

/** The summary of a run that streamed, from its stopped components (`watchBookmarks`: see {@link withWatchBookmarks}). */
export function runSummary(counters: PipelineCounters, sinks: readonly SinkComponent[], deadLetter: SinkComponent, resume: Resume | null, watchBookmarks = 0): RunSummary {
  return {
    counters: withWatchBookmarks(counters, watchBookmarks),
    sinks: sinks.map(sinkSummary),
    deadLetter: sinkSummary(deadLetter),
    led: true,
    resume: resume === null ? null : { store: resume.store.describe, from: resume.from, saved: resume.keeper.stats.saved, saveErrors: resume.keeper.stats.saveErrors },
  };
}

/**
 * The counters plus the BOOKMARK events a live watch consumed itself (they never reach the
 * pipeline): counted as received, like a replay file's bookmarks, so `received` still adds up
 * (`receivedParts`).
 */
export function withWatchBookmarks(counters: PipelineCounters, watchBookmarks: number): PipelineCounters {
  return { ...counters, received: counters.received + watchBookmarks, bookmarks: counters.bookmarks + watchBookmarks };
}

/** What a replica that never led reports. */
export function standbySummary(): RunSummary {
  const none: SinkSummary = { name: 'deadletter', destination: '(standby)', stats: emptyDispatchStats(), flushed: true, diskBuffered: false };
  return { counters: emptyPipelineCounters(), sinks: [], deadLetter: none, led: false, resume: null };
}

function sinkSummary(s: SinkComponent): SinkSummary {
  const { sink } = s.resolved;
  return { name: sink.name, destination: s.destination(), stats: s.dispatcher.stats(), flushed: s.flushed, diskBuffered: sink.buffer?.type === 'disk' };
}
