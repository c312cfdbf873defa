/**
 * V8's `gc()` for the main thread of the binary, for `startIdleGc` (util/idle-gc.ts).
 *
 * `--expose-gc` is a V8 flag: NODE_OPTIONS refuses it, and `process.execve` happens only under
 * some conditions (cli/heap-limit.ts). So this sets it at run time (`v8.setFlagsFromString`): V8
 * reads it whenever it creates a context, and installs `gc` on that context's global object.
 * This thread's own context exists already, so `gc` is taken from a fresh `vm` context; the
 * transform workers started afterwards find it on their own global (transform/worker.ts). Node
 * warns that flags changed after start-up may behave unpredictably; this one only decides
 * whether new contexts get a `gc` function, and nothing here relies on it being there.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { globalGc } from './idle-gc.js';
import type { GcFunction } from './idle-gc.js';

/** `gc()` for this thread (and on the global of contexts and workers created from now on); null if V8 refused. */
export function exposeGc(): GcFunction | null {
  const own = globalGc();
  if (own !== null) return own;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as GcFunction) : null;
  } catch {
    return null;
  }
}
