/**
 * Opening the disk buffer's queue, in the background so that creating a dispatcher stays
 * synchronous.
 *
 * Invariants:
 * - {@link DiskOpening.opening} never rejects: it resolves with the queue, or with null once
 *   the open failed; {@link DiskOpening.queue} and {@link DiskOpening.error} are set before it
 *   resolves, and `onOpen(queue)` has run by then.
 * - An open failure is logged once and becomes an error naming the sink and the directory:
 *   the inner `K8streamError`'s code and hint when there is one, `BUFFER_UNAVAILABLE` for a
 *   file-system error (EACCES, ENOTDIR, EROFS, ...), `INTERNAL` for anything else.
 * - {@link DiskOpening.opened} resolves once the queue is open and rejects with that error.
 */
import type { Logger } from '../util/logger.js';
import type { DiskQueue } from './disk-queue/types.js';
import type { DispatchBuffer } from './types.js';
import { K8streamError } from '../errors.js';
import { createDiskQueue } from './disk-queue/index.js';
import { failureMessage } from './retry.js';

/** The disk variant of {@link DispatchBuffer}. */
export type DiskBuffer = Extract<DispatchBuffer, { type: 'disk' }>;

function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Turns an open failure into an error naming the sink and the directory. */
export function openFailure(name: string, dir: string, err: unknown): K8streamError {
  const inner = err instanceof K8streamError ? err : null;
  return new K8streamError(
    inner !== null ? inner.code : errnoOf(err) !== undefined ? 'BUFFER_UNAVAILABLE' : 'INTERNAL',
    `sink "${name}": cannot open the disk buffer in ${dir}: ${failureMessage(err)}`,
    { plugin: name, path: dir, cause: err, ...(inner?.hint !== undefined ? { hint: inner.hint } : {}) },
  );
}

export interface DiskOpening {
  /** Resolves with the open queue, or null when it could not be opened; never rejects. */
  readonly opening: Promise<DiskQueue | null>;
  /** The open queue (null until open, or when the open failed). */
  readonly queue: DiskQueue | null;
  /** Why the queue could not be opened (null while opening, and once open). */
  readonly error: K8streamError | null;
  /** Resolves once the queue is open; rejects with {@link error}. */
  opened(): Promise<void>;
}

/** Opens sink `name`'s disk queue in `buffer.dir`; `onOpen` runs once it is open. */
export function openDiskBuffer(name: string, buffer: DiskBuffer, log: Logger, onOpen: (queue: DiskQueue) => void): DiskOpening {
  let queue: DiskQueue | null = null;
  let error: K8streamError | null = null;
  const opening: Promise<DiskQueue | null> = createDiskQueue({
    dir: buffer.dir,
    maxBytes: buffer.maxBytes,
    fsync: buffer.fsync,
    overflow: buffer.overflow,
    logger: log,
    ...(buffer.segmentBytes !== undefined ? { segmentBytes: buffer.segmentBytes } : {}),
  }).then(
    (opened) => {
      queue = opened;
      onOpen(opened);
      return opened;
    },
    (err: unknown) => {
      error = openFailure(name, buffer.dir, err);
      log.error('disk buffer unavailable', { dir: buffer.dir, code: error.code, error: error.message });
      return null;
    },
  );
  return {
    opening,
    get queue() {
      return queue;
    },
    get error() {
      return error;
    },
    opened(): Promise<void> {
      return opening.then(() => {
        if (error !== null) throw error;
      });
    },
  };
}
