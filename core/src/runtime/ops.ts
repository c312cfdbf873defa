/**
 * The ops component: the metrics/health server and the heartbeat. First in the list, so a
 * standby replica serves them too (ready, `leader: false`), and stopped last, after the final
 * flush; its stop reports the `stopping` phase before closing.
 */
import type { Ops } from '../ops/ops.js';
import type { Component } from './lifecycle.js';

export function opsComponent(ops: Ops, onServer?: (url: string) => void): Component {
  return {
    name: 'ops',
    async start() {
      await ops.start();
      if (ops.url !== null) onServer?.(ops.url);
    },
    async stop() {
      ops.setPhase('stopping');
      await ops.close();
    },
  };
}
