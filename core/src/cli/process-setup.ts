/**
 * What the `k8stream` binary does to its own process before it loads the rest of k8stream. The
 * bench child (test/bench/child.mjs) calls the same function, so the benchmark measures what the
 * binary runs.
 *
 * {@link installLeanClientNode}: @kubernetes/client-node's `KubeConfig` without the generated
 * API and undici it never uses (see util/lean-client-node.ts).
 *
 * Not done here, measured: a fixed old-generation growing factor (`node
 * --heap-growing-percent=25`, a V8 flag NODE_OPTIONS refuses) lowers peak RSS by 85–120 MB (bench
 * D 273 → 188 MB, E over 60 s 338 → 216 MB) but costs ~35% more CPU per event in bursts (D: 34.6
 * → 46.7 µs per event for the whole process, 3.0 → 3.6 s). Operators who prefer memory can pass
 * it themselves (docs/performance.md).
 */
import { installLeanClientNode } from '../util/lean-client-node.js';

/**
 * Prepares this process for running k8stream (idempotent). Call it before the first import of
 * anything that loads @kubernetes/client-node.
 */
export function setupProcess(): void {
  installLeanClientNode(); // installs its hook once, however often it is called
}
