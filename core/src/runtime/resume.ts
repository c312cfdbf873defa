/**
 * The resume-point component (a state store is configured: the Lease with leader election,
 * else `state.dir`): its start loads the saved point the source resumes after and starts saving
 * it as deliveries are acknowledged; its stop, after the sinks and the dead letter have flushed, saves the final
 * point — unless flushing is skipped (a lost lease: the new leader owns the point now).
 */
import { resolve as resolvePath } from 'node:path';
import { errorMessage } from '../errors.js';
import type { K8streamConfig } from '../config/types.js';
import { openResume } from '../checkpoint/resume.js';
import type { Resume } from '../checkpoint/resume.js';
import { createFileStateStore, createLeaseStateStore } from '../checkpoint/state-store.js';
import type { StateStore } from '../checkpoint/state-store.js';
import type { Leadership } from '../leader/leadership.js';
import type { Ops } from '../ops/ops.js';
import type { Logger } from '../util/logger.js';
import type { Component, StopContext } from './lifecycle.js';

export interface ResumeComponent extends Component {
  /** The opened resume state (after start). */
  readonly resume: Resume;
  /** The lease was lost: save nothing more, not even at stop (the point is the next leader's). */
  abandon(): void;
}

/** Where the resume point is kept: the Lease with leader election, else `state.dir`; null: nowhere. */
export function resumeStore(config: K8streamConfig, dir: string, leadership: Leadership | null): StateStore | null {
  if (leadership !== null) {
    const { elector } = leadership;
    return createLeaseStateStore({ describe: leadership.describe, readState: (s) => elector.readState(s), writeState: (v, s) => elector.writeState(v, s) });
  }
  return config.state.dir !== null ? createFileStateStore(resolvePath(dir, config.state.dir)) : null;
}

/** Each save writes the Lease (a read and an update on the API server): at most one a second unless configured. */
export const LEASE_SAVE_INTERVAL_MS = 1000;

/** at-least-once: the least time between two saves; `state.saveIntervalMs`, else 0 for `state.dir` and 1 s for the Lease. */
export function minSaveIntervalMs(config: Pick<K8streamConfig, 'state' | 'leaderElection'>): number {
  return config.state.saveIntervalMs ?? (config.leaderElection.enabled ? LEASE_SAVE_INTERVAL_MS : 0);
}

export function resumeComponent(store: StateStore, options: { config: K8streamConfig; server: string; ops: Ops; logger: Logger; signal: AbortSignal }): ResumeComponent {
  const { config, logger } = options;
  let opened: Resume | null = null;
  let abandoned = false;
  return {
    name: 'resume',
    abandon() {
      abandoned = true;
      opened?.keeper.abandon();
    },
    get resume(): Resume {
      if (opened === null) throw new Error('the resume point is not open yet');
      return opened;
    },
    async start() {
      opened = await openResume({ store, delivery: config.delivery, server: options.server, minIntervalMs: minSaveIntervalMs(config), logger, signal: options.signal });
      options.ops.setResume(opened.keeper.stats);
      if (abandoned) opened.keeper.abandon();
      else opened.keeper.start();
    },
    async stop(context: StopContext) {
      if (opened === null || context.skipFlush) return;
      try {
        await opened.keeper.finish();
      } catch (err) {
        logger.error('could not save the final resume point', { state: store.describe, error: errorMessage(err) });
      }
    },
  };
}
