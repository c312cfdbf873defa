/**
 * Where the resume state is kept: a file in `state.dir` (one instance), or the `k8stream.io/state`
 * annotation of the leader Lease (several replicas: the next leader reads what the last one
 * wrote). Both load `null` when nothing was saved yet.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, K8streamError } from '../errors.js';
import { fsyncDir, mkdirDurable } from '../util/durable-dir.js';

export interface StateStore {
  /** Where it lives, for logs (`/var/lib/k8stream/state.json`, `lease k8stream/k8stream`). */
  readonly describe: string;
  load(signal?: AbortSignal): Promise<string | null>;
  /** Durable when it resolves. */
  save(text: string, signal?: AbortSignal): Promise<void>;
}

export const STATE_FILE = 'state.json';

/**
 * A file store: written to a temporary file, fsynced, renamed over `state.json`, then the
 * directory is fsynced — a crash leaves the old or the new state, never a torn one.
 */
export function createFileStateStore(dir: string): StateStore {
  const file = join(dir, STATE_FILE);
  const tmp = join(dir, `${STATE_FILE}.tmp`);
  const fail = (what: string, err: unknown): K8streamError =>
    new K8streamError('STATE_UNAVAILABLE', `cannot ${what} the resume state in ${dir}: ${errorMessage(err)}`, {
      path: 'state.dir',
      cause: err,
      hint: 'state.dir must be a writable directory (a volume that outlives the process)',
    });
  let ready: Promise<void> | null = null;
  // Saves share one temporary file: run them one at a time.
  let chain: Promise<void> = Promise.resolve();
  const write = async (text: string): Promise<void> => {
    try {
      ready ??= mkdirDurable(dir);
      await ready;
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
      await fsyncDir(dir);
    } catch (err) {
      ready = null;
      throw fail('save', err);
    }
  };
  return {
    describe: file,
    async load() {
      try {
        return await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw fail('read', err);
      }
    },
    save(text) {
      const run = chain.then(() => write(text));
      chain = run.catch(() => undefined);
      return run;
    },
  };
}

/** The Lease annotation store, on top of the leader elector's read/write. */
export function createLeaseStateStore(lease: {
  describe: string;
  readState(signal?: AbortSignal): Promise<string | null>;
  writeState(value: string, signal?: AbortSignal): Promise<void>;
}): StateStore {
  const fail = (what: string, err: unknown): K8streamError =>
    err instanceof K8streamError && err.code === 'STATE_UNAVAILABLE'
      ? err
      : new K8streamError('STATE_UNAVAILABLE', `cannot ${what} the resume state on ${lease.describe}: ${errorMessage(err)}`, { path: 'leaderElection', cause: err });
  return {
    describe: lease.describe,
    async load(signal) {
      try {
        return await lease.readState(signal);
      } catch (err) {
        throw fail('read', err);
      }
    },
    async save(text, signal) {
      try {
        await lease.writeState(text, signal);
      } catch (err) {
        throw fail('save', err);
      }
    },
  };
}
