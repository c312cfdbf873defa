/**
 * The "closed" state every sink instance keeps: after `close()`, `send` must fail fast with
 * `SINK_CLOSED` instead of touching a released client, file handle or stream.
 *
 * Invariants:
 * - `assertOpen()` throws a K8streamError with code `SINK_CLOSED`, message
 *   `<plugin> sink "<sink>" is closed` and `plugin` set to the sink INSTANCE name (as every
 *   other sink error), once and every time after `close()` was called;
 * - `close()` returns true only the first time, so resources are released exactly once.
 */
import { K8streamError } from '../errors.js';

export interface ClosedGuard {
  /** True once `close()` was called. */
  readonly closed: boolean;
  /** Throws `SINK_CLOSED` when closed; call it first in `send` (and anything else that needs the sink open). */
  assertOpen(): void;
  /** Marks the sink closed. True the first time (release resources then), false afterwards. */
  close(): boolean;
}

/**
 * A guard for one sink instance: `plugin` is the plugin name (`s3`), `sink` the instance name
 * from the sink context (`archive`; defaults to the plugin name).
 */
export function createClosedGuard(plugin: string, sink: string = plugin): ClosedGuard {
  let closed = false;
  return {
    get closed() {
      return closed;
    },
    assertOpen() {
      if (closed) throw new K8streamError('SINK_CLOSED', `${plugin} sink "${sink}" is closed`, { plugin: sink });
    },
    close() {
      if (closed) return false;
      closed = true;
      return true;
    },
  };
}
