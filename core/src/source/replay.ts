/**
 * The `replay` source: Kubernetes Events from a file instead of a cluster — for the demo,
 * tests, benchmarks and re-processing a capture. See `replay-read.ts` for the accepted formats.
 *
 * Pulling is backpressure: the file is read only as the consumer asks for the next chunk.
 * With `rate`, chunks are small and spaced by timers; with `follow`, the file is replayed
 * again and again (as new events, see `replay-follow.ts`) until the signal aborts.
 */
import path from 'node:path';
import { K8streamError } from '../errors.js';
import type { ReplayConfig } from '../config/types.js';
import { freshenEvent, numericResourceVersion } from './replay-follow.js';
import { createPacer } from './replay-pace.js';
import { readReplayEntries } from './replay-read.js';
import type { ReplayEntry } from './replay-read.js';
import type { Source, SourceChunk, SourceContext, SourceItem, SourceNotice } from './types.js';

/** Largest chunk the replay source yields. */
export const REPLAY_MAX_CHUNK = 256;

/** Replay options plus the directory `file` is resolved against (the config file's directory). */
export interface ReplaySourceOptions extends ReplayConfig {
  dir: string;
}

/**
 * Creates the replay source. Nothing is read until `stream()` is pulled; a missing file or one
 * that is not JSON surfaces there as `SOURCE_INPUT_INVALID` naming the file and line. Entries
 * that are JSON but no Event, bookmarks and watch errors travel as the chunks' `notices`.
 *
 * @throws K8streamError `CONFIG_INVALID` when `rate` is not a positive number or null.
 */
export function createReplaySource(config: ReplaySourceOptions): Source {
  if (config.rate !== null && !(Number.isFinite(config.rate) && config.rate > 0)) {
    throw new K8streamError('CONFIG_INVALID', `replay rate must be a positive number of events per second, got ${config.rate}`, {
      path: 'source.replay.rate',
    });
  }
  const file = path.resolve(config.dir, config.file);
  return {
    kind: 'replay',
    stream: (ctx) => replay(file, config, ctx),
  };
}

async function* replay(file: string, config: ReplaySourceOptions, ctx: SourceContext): AsyncGenerator<SourceChunk> {
  const { signal, logger } = ctx;
  const pacer = createPacer(config.rate, signal, REPLAY_MAX_CHUNK);
  logger.info('replay source started', { file, rate: config.rate ?? 'unlimited', follow: config.follow });

  // Follow passes continue resourceVersions above the highest one seen in the first pass.
  let maxResourceVersion = 0n;
  let nextResourceVersion = 0n;

  for (let loop = 0; !signal.aborted; loop++) {
    let count = 0;
    let chunk: SourceItem[] = [];
    // Notices ride on the next chunk; they count towards its size so they never pile up.
    let notices: SourceNotice[] = [];
    const take = (): SourceChunk => {
      const out: SourceChunk = notices.length === 0 ? chunk : Object.assign(chunk, { notices });
      chunk = [];
      notices = [];
      return out;
    };
    const pending = (): number => chunk.length + notices.length;
    const emit = async (): Promise<boolean> => {
      if (!(await pacer.wait(chunk.length))) return false;
      const now = Date.now();
      for (const item of chunk) {
        item.receivedAt = now;
        if (loop > 0) {
          nextResourceVersion++;
          freshenEvent(item.object, { loop, resourceVersion: String(nextResourceVersion), now });
        }
      }
      return true;
    };

    const entries = readReplayEntries(file, logger);
    try {
      for (;;) {
        let next: IteratorResult<ReplayEntry>;
        try {
          next = await entries.next();
        } catch (err) {
          // Deliver what was read before the bad line, then fail.
          if (pending() > 0 && (await emit())) yield take();
          throw err;
        }
        if (next.done) break;
        if (signal.aborted) return;
        const entry = next.value;
        if (entry.kind !== 'event') {
          // Later passes repeat the file's events only: its notices were counted once.
          if (loop === 0) notices.push(notice(entry));
          if (pending() >= pacer.chunkSize) {
            if (!(await emit())) return;
            yield take();
          }
          continue;
        }
        if (loop === 0) {
          const rv = numericResourceVersion((entry.object['metadata'] as Record<string, unknown> | undefined)?.['resourceVersion']);
          if (rv !== null && rv > maxResourceVersion) maxResourceVersion = rv;
        }
        chunk.push({ type: entry.type, object: entry.object, receivedAt: 0 });
        count++;
        if (pending() >= pacer.chunkSize) {
          if (!(await emit())) return;
          yield take();
        }
      }
    } finally {
      await entries.return(undefined);
    }
    if (pending() > 0) {
      if (!(await emit())) return;
      yield take();
    }

    logger.debug('replay pass finished', { file, pass: loop + 1, events: count });
    if (!config.follow) return;
    if (count === 0) {
      logger.warn('replay file has no events; follow mode stops', { file });
      return;
    }
    if (loop === 0) nextResourceVersion = maxResourceVersion;
  }
}

/** The notice of a non-event entry, without the reader's line (its message names it already). */
function notice(entry: Exclude<ReplayEntry, { kind: 'event' }>): SourceNotice {
  switch (entry.kind) {
    case 'bookmark':
      return { kind: 'bookmark' };
    case 'watch-error':
      return { kind: 'watch-error' };
    case 'rejected':
      return { kind: 'rejected', input: entry.input, error: entry.error };
  }
}
