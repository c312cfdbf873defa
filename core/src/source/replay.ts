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
import type { Source, SourceContext, SourceItem } from './types.js';

/** Largest chunk the replay source yields. */
export const REPLAY_MAX_CHUNK = 256;

/** Replay options plus the directory `file` is resolved against (the config file's directory). */
export interface ReplaySourceOptions extends ReplayConfig {
  dir: string;
}

/**
 * Creates the replay source. Nothing is read until `stream()` is pulled; a missing or malformed
 * file surfaces there as `SOURCE_INPUT_INVALID` naming the file and line.
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

async function* replay(file: string, config: ReplaySourceOptions, ctx: SourceContext): AsyncGenerator<readonly SourceItem[]> {
  const { signal, logger } = ctx;
  const pacer = createPacer(config.rate, signal, REPLAY_MAX_CHUNK);
  logger.info('replay source started', { file, rate: config.rate ?? 'unlimited', follow: config.follow });

  // Follow passes continue resourceVersions above the highest one seen in the first pass.
  let maxResourceVersion = 0n;
  let nextResourceVersion = 0n;

  for (let loop = 0; !signal.aborted; loop++) {
    let count = 0;
    let chunk: SourceItem[] = [];
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
          if (chunk.length > 0 && (await emit())) yield chunk;
          throw err;
        }
        if (next.done) break;
        if (signal.aborted) return;
        const entry = next.value;
        if (loop === 0) {
          const rv = numericResourceVersion((entry.object['metadata'] as Record<string, unknown> | undefined)?.['resourceVersion']);
          if (rv !== null && rv > maxResourceVersion) maxResourceVersion = rv;
        }
        chunk.push({ type: entry.type, object: entry.object, receivedAt: 0 });
        count++;
        if (chunk.length >= pacer.chunkSize) {
          if (!(await emit())) return;
          yield chunk;
          chunk = [];
        }
      }
    } finally {
      await entries.return(undefined);
    }
    if (chunk.length > 0) {
      if (!(await emit())) return;
      yield chunk;
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
